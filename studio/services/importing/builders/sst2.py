"""`sst2`: GLUE SST-2 sentences (train 67,349; dev 872, imported as the test split) and the claim that the
sentiment is positive. The TSV has no quoting; every sentence ends with one space before the tab."""
from collections.abc import Iterator
from pathlib import Path

from ..errors import ImportFailed
from ..rows import ExampleRow

FILES = (("train", "sst2/train.tsv"), ("test", "sst2/dev.tsv"))
LABELS = {"1": True, "0": False}


def build(data_dir: Path, keys: str | None) -> Iterator[ExampleRow]:
    for split, name in FILES:
        with (data_dir / name).open(encoding="utf-8", newline="\n") as f:
            header = f.readline().rstrip("\n")
            if header != "sentence\tlabel":
                raise ImportFailed(f"expected the header 'sentence<TAB>label', got {header!r}", line=1)
            for row, line in enumerate(f, 1):
                sentence, tab, label = line.rstrip("\n").rpartition("\t")
                if not tab:
                    raise ImportFailed("expected 'sentence<TAB>label'", row=row, line=row + 1)
                if label not in LABELS:
                    raise ImportFailed(f"expected 0 or 1, got {label!r}", row=row, line=row + 1, field="label")
                yield ExampleRow(external_id=f"{split}-{row}", fields={"sentence": sentence.rstrip(" ")},
                                 split=split, gold=LABELS[label], row=row, line=row + 1)
