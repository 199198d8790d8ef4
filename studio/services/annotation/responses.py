"""The JSON bodies the labeling page's endpoints answer with, one function per endpoint (the view picks the
status: label_body's ["saved"]["created"] says whether a label was new). Each body is built from the blind example payload and counts; see payload.py and progress.py."""
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
        raise AnnotationError(f"Example {example_id} is not in the annotation queue of '{dataset.slug}'.",
                              "example", kind="not_found")
    return example


def _next(user, dataset: Dataset) -> dict:
    example = next_example(user, dataset)
    return {"example": example_payload(example) if example else None, "progress": progress(user, dataset)}


def next_body(user, dataset: Dataset) -> dict:
    return _next(user, dataset)


def label_body(user, dataset: Dataset, raw: bytes, session) -> dict:
    example_id, label, seconds = parse_label_body(raw)
    stored = submit_label(user, _queued_example(dataset, example_id), label, seconds)
    if stored.created:
        remember_label(session, dataset, stored.pk)
    saved = {"example": example_id, "label": stored.label, "seconds": stored.seconds_spent, "created": stored.created}
    return {"saved": saved, **_next(user, dataset)}


def skip_body(user, dataset: Dataset, raw: bytes) -> dict:
    example_id, seconds = parse_example_body(raw)
    skip(user, _queued_example(dataset, example_id), seconds)
    return {"skipped": {"example": example_id}, **_next(user, dataset)}


def undo_body(user, dataset: Dataset, session) -> dict:
    undone = undo_last(user, dataset, label_ids=session_label_ids(session, dataset))
    forget_label(session, dataset, undone.label_id)
    return {
        "undone": {"example": undone.example.pk, "label": undone.label},
        "example": example_payload(undone.example),
        "progress": progress(user, dataset),
    }
