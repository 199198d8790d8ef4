"""Small helpers shared by the import tests."""
import io
import json

from studio.models import Dataset, Example, GoldLabel, HumanLabel


def db_state() -> tuple:
    """Everything an import writes; compared before and after a refused import."""
    return (
        tuple(Dataset.objects.order_by("pk").values_list("pk", "name")),
        Example.objects.count(),
        GoldLabel.objects.count(),
        HumanLabel.objects.count(),
    )


def jsonl_lines(n: int, *, bad: dict | None = None) -> list[str]:
    """n JSONL rows {"id", "text", "label"}; `bad` maps a 1-based row to the raw line to put there instead."""
    lines = [json.dumps({"id": f"r{i}", "text": f"sentence number {i}", "label": i % 3 == 0}) for i in range(1, n + 1)]
    for row, raw in (bad or {}).items():
        lines[row - 1] = raw
    return lines


class CountingReader(io.RawIOBase):
    """A binary file that records how much was read per call (to prove an import streams)."""

    def __init__(self, data: bytes, name: str = "upload.json"):
        self._buf = io.BytesIO(data)
        self.name = name
        self.sizes: list[int] = []
        self.total = len(data)

    def readable(self):
        return True

    def seekable(self):
        return True

    def seek(self, offset, whence=0):
        return self._buf.seek(offset, whence)

    def read(self, size=-1):
        self.sizes.append(size)
        return self._buf.read(size)

    @property
    def bytes_read(self) -> int:
        return self._buf.tell()
