"""What every import produces before it is written: one ExampleRow per example."""
from dataclasses import dataclass, field


@dataclass
class ExampleRow:
    """One example as read from a file. `gold` and `crowd_votes` go to their own tables, never into `fields`."""

    external_id: str
    fields: dict
    split: str = "train"
    group: str = ""
    key: str = ""
    gold: bool | None = None
    # (vote position, label) pairs: imported crowd votes, no person behind them.
    crowd_votes: list[tuple[int, bool]] = field(default_factory=list)
    row: int | None = None  # where it came from, for error messages
    pk: int | None = None  # the example's id when the writer chose it (files.content_order)
    line: int | None = None
