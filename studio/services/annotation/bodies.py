"""Parsing the JSON bodies the labeling page posts. Errors name the field and what was wrong."""
import json

from .errors import AnnotationError
from .recording import check_seconds

EXAMPLE_HINT = 'e.g. {"example": 12, "label": true, "seconds": 4.2}'


def _load(raw: bytes) -> dict:
    try:
        data = json.loads(raw.decode("utf-8")) if raw else None
    except (UnicodeDecodeError, ValueError):
        raise AnnotationError(f"The request body is not valid JSON; send a JSON object, {EXAMPLE_HINT}.")
    except RecursionError:  # brackets nested ~1,000 deep
        raise AnnotationError(f"The request body is nested too deeply; send a flat JSON object, {EXAMPLE_HINT}.")
    if not isinstance(data, dict):
        raise AnnotationError(f"The request body must be a JSON object, {EXAMPLE_HINT}.")
    return data


def _example_id(data: dict) -> int:
    value = data.get("example")
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:  # a bigint primary key
        raise AnnotationError(f"'example' must be the id of the example shown (a positive integer), got {value!r}.",
                              "example")
    return value


def parse_label_body(raw: bytes) -> tuple[int, bool, float | None]:
    data = _load(raw)
    example_id = _example_id(data)
    if "label" not in data:
        raise AnnotationError("'label' is missing; send true or false.", "label")
    label = data["label"]
    if not isinstance(label, bool):
        raise AnnotationError(f"'label' must be true or false, got {label!r}.", "label")
    return example_id, label, check_seconds(data.get("seconds"))


def parse_example_body(raw: bytes) -> tuple[int, float | None]:
    data = _load(raw)
    return _example_id(data), check_seconds(data.get("seconds"))
