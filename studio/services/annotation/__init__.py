"""People labeling examples in the browser: the queue (claims with overlap), recording labels/skips/undo,
the blind payload an annotator's page receives, progress and guidelines. Views stay thin and call these."""
from .bodies import parse_example_body, parse_label_body
from .errors import AnnotationError
from .guidelines import render_guidelines
from .payload import example_payload
from .progress import progress
from .queue import annotator_dataset, next_example, queue_examples, require_annotator
from .recording import Undone, skip, submit_label, undo_last
from .responses import label_body, next_body, skip_body, undo_body

__all__ = [
    "AnnotationError",
    "Undone",
    "annotator_dataset",
    "example_payload",
    "label_body",
    "next_body",
    "next_example",
    "parse_example_body",
    "parse_label_body",
    "progress",
    "queue_examples",
    "render_guidelines",
    "require_annotator",
    "skip",
    "skip_body",
    "submit_label",
    "undo_body",
    "undo_last",
]
