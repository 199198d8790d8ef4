"""Seeding things an annotator must never see, and checking what they were sent."""
import json
import re

from studio.models import ElicitationRun, ElicitedLabel, GoldLabel, HumanLabel, Skip
from studio.services import tallies
from studio.services.annotation import next_example, skip, submit_label

from .factories import make_annotator

# Distinctive values planted in gold-adjacent and other people's rows; none may reach an annotator.
LEAK_TOKENS = ["LEAKCHECK", "123.4567", "987.654", "otherperson"]
FORBIDDEN_WORDS = re.compile(r"gold|elicit|score|otherperson", re.IGNORECASE)
ALLOWED_BOOLEANS = {("saved", "label"), ("saved", "created"), ("undone", "label")}


def seed_hidden(ds, *, flip: bool = False):
    """Gold for every example, a finished ICM run with labels, another person's labels and a skip."""
    examples = list(ds.examples.order_by("position"))
    GoldLabel.objects.bulk_create(GoldLabel(example=e, label=(e.position % 2 == 0) != flip) for e in examples)
    run = ElicitationRun.objects.create(
        dataset=ds, model="model-LEAKCHECK-7781", fingerprint="LEAKCHECK".ljust(64, "0"), state="completed",
        config={"note": "LEAKCHECK"},
    )
    ElicitedLabel.objects.bulk_create(
        ElicitedLabel(run=run, example=e, label=(e.position % 3 == 0) != flip, score=123.4567 + e.position,
                      kind=ElicitedLabel.Kind.FILLED if e.position % 4 == 3 else ElicitedLabel.Kind.ELICITED)
        for e in examples
    )
    tallies.rebuild(ds)  # gold and a finished run, written past their services
    other = make_annotator("otherperson", ds)
    for value in (True, False):
        submit_label(other, next_example(other, ds), value != flip, 1.0)
    skip(other, next_example(other, ds), 1.0)
    HumanLabel.objects.filter(annotator=other).update(seconds_spent=987.654)
    Skip.objects.filter(annotator=other).update(seconds_spent=987.654)
    return other


def flip_hidden(ds) -> None:
    """Every hidden label turned around: an annotator's responses must not change."""
    for model, flt in [(GoldLabel, {"example__dataset": ds}), (ElicitedLabel, {"run__dataset": ds}),
                       (HumanLabel, {"example__dataset": ds, "annotator__username": "otherperson"})]:
        for row in model.objects.filter(**flt):
            row.label = not row.label
            row.save()
    tallies.rebuild(ds)


def assert_no_tokens(url: str, text: str) -> None:
    for token in LEAK_TOKENS:
        assert token.lower() not in text.lower(), f"{token!r} reached the annotator in {url}"


def booleans(node, path=()):
    if isinstance(node, bool):
        yield path, node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from booleans(value, path + (key,))
    elif isinstance(node, list):
        for value in node:
            yield from booleans(value, path)


def assert_blind_json(url: str, text: str) -> list[bool]:
    """Checks one JSON body; returns the annotator's own labels it echoes."""
    assert_no_tokens(url, text)
    assert not FORBIDDEN_WORDS.search(text), f"{FORBIDDEN_WORDS.search(text).group()!r} in {url}: {text[:300]}"
    own = []
    for path, value in booleans(json.loads(text)):
        assert path in ALLOWED_BOOLEANS, f"unexpected boolean at {path} in {url}"
        if path[-1] == "label" and path[0] == "saved":
            own.append(value)
    return own
