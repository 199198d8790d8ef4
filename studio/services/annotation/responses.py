"""The JSON the labeling page's endpoints answer with, one function per endpoint: (HTTP status, body).
Each body is built from the blind example payload and counts; see payload.py and progress.py."""
from studio.models import Dataset, Example

from .bodies import parse_example_body, parse_label_body
from .errors import AnnotationError
from .payload import example_payload
from .progress import progress
from .queue import next_example, queue_examples
from .recording import skip, submit_label, undo_last
from .session import forget_label, remember_label, session_label_ids


def _queued_example(dataset: Dataset, example_id: int) -> Example:
    example = queue_examples(dataset).select_related("dataset").filter(pk=example_id).first()
    if example is None:
        raise AnnotationError(f"Example {example_id} is not in the annotation queue of '{dataset.slug}'.", 404)
    return example


def _next(user, dataset: Dataset) -> dict:
    example = next_example(user, dataset)
    return {"example": example_payload(example) if example else None, "progress": progress(user, dataset)}


def next_body(user, dataset: Dataset) -> tuple[int, dict]:
    return 200, _next(user, dataset)


def label_body(user, dataset: Dataset, raw: bytes, session) -> tuple[int, dict]:
    example_id, label, seconds = parse_label_body(raw)
    stored = submit_label(user, _queued_example(dataset, example_id), label, seconds)
    if stored.created:
        remember_label(session, dataset, stored.pk)
    saved = {"example": example_id, "label": stored.label, "seconds": stored.seconds_spent, "created": stored.created}
    return (201 if stored.created else 200), {"saved": saved, **_next(user, dataset)}


def skip_body(user, dataset: Dataset, raw: bytes) -> tuple[int, dict]:
    example_id, seconds = parse_example_body(raw)
    skip(user, _queued_example(dataset, example_id), seconds)
    return 200, {"skipped": {"example": example_id}, **_next(user, dataset)}


def undo_body(user, dataset: Dataset, session) -> tuple[int, dict]:
    undone = undo_last(user, dataset, label_ids=session_label_ids(session, dataset))
    forget_label(session, dataset, undone.label_id)
    return 200, {
        "undone": {"example": undone.example.pk, "label": undone.label},
        "example": example_payload(undone.example),
        "progress": progress(user, dataset),
    }
