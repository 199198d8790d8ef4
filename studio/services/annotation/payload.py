"""What an annotator's page receives about an example: the dataset's display fields and nothing else.

Built field by field from `Dataset.display_fields`; the Example row is never serialized wholesale, and nothing
here reads gold labels, elicited labels or other people's labels.
"""
import re

from studio.models import Dataset, Example

PAIR_LAYOUT = "pair"  # the last two fields side by side (two responses, two blog posts)
STACK_LAYOUT = "stack"

# "Is Answer 1 more truthful than Answer 2?" names the two sides of a pair: "Answer 1" and "Answer 2".
PAIR_NAMES = re.compile(r"\b([A-Z][\w-]*) (1|A)\b.*\b\1 (2|B)\b")


def _humanize(name: str) -> str:
    words = name.replace("_", " ").split()
    text = " ".join(w.upper() if len(w) == 1 else w for w in words)  # post_a -> post A
    return text[:1].upper() + text[1:] if text else name


def display_items(dataset: Dataset) -> list[tuple[str, str]]:
    """(field name, title) pairs from display_fields; entries are "name" or {"field": name, "label": title}."""
    items = []
    for entry in dataset.display_fields or []:
        if isinstance(entry, str) and entry:
            items.append((entry, _humanize(entry)))
        elif isinstance(entry, dict):
            name = entry.get("field") or entry.get("name")
            if isinstance(name, str) and name:
                title = entry.get("label") or entry.get("title") or _humanize(name)
                items.append((name, str(title)))
    return items


def _text(value) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def example_payload(example: Example) -> dict:
    dataset = example.dataset
    fields = example.fields if isinstance(example.fields, dict) else {}
    items = display_items(dataset)
    if items:
        blocks = [{"field": name, "title": title, "text": _text(fields.get(name))} for name, title in items
                  if name in fields]
    else:
        # No display fields configured: show what the model is shown (the rendered prompt holds no label).
        blocks = [{"field": "prompt", "title": "Text", "text": example.prompt}]
    if dataset.task_type == Dataset.TaskType.COMPARISON and len(blocks) >= 2:
        pair = blocks[-2:]
        named = PAIR_NAMES.search(dataset.question or "")
        explicit = {name for name, title in items if title != _humanize(name)}
        if named:
            for block, side in zip(pair, named.group(2, 3)):
                if block["field"] not in explicit:
                    block["title"] = f"{named.group(1)} {side}"
        return {"id": example.pk, "layout": PAIR_LAYOUT, "top": blocks[:-2], "pair": pair}
    return {"id": example.pk, "layout": STACK_LAYOUT, "top": blocks, "pair": []}
