"""Bounded imports (issue 16, findings 3, 4, 5): too many crowd votes in a row, a value or a row over the size
limit, and JSON nested too deeply are each refused naming the row (and field), and nothing is written."""
import io
import json

import pytest

from studio.models import HumanLabel
from studio.services.importing import ImportFailed, import_file

from .helpers import db_state

pytestmark = pytest.mark.django_db
MAPPING = "id=id,text=text,label=label,human_label=votes"


def _import(data: bytes, fmt: str, name: str = "bounded"):
    return import_file(io.BytesIO(data), name=name, fmt=fmt, mapping=MAPPING)


def _jsonl(rows) -> bytes:
    return "\n".join(json.dumps(r) for r in rows).encode()


def _refused(data: bytes, fmt: str) -> ImportFailed:
    before = db_state()
    with pytest.raises(ImportFailed) as info:
        _import(data, fmt, name="refused")
    assert db_state() == before
    return info.value


@pytest.mark.parametrize("votes", [[True, False] * 600, ";".join(["1"] * 1500)])
def test_too_many_crowd_votes_in_a_row_are_refused_naming_the_row(settings, votes):
    settings.IMPORT_MAX_VOTES_PER_ROW = 1000
    rows = [{"id": "a", "text": "x", "label": 1, "votes": [1, 0]}, {"id": "b", "text": "y", "label": 0, "votes": votes}]
    err = _refused(_jsonl(rows), "jsonl")
    assert err.row == 2 and err.field == "votes"
    assert "IMPORT_MAX_VOTES_PER_ROW" in str(err) and "1,000" in str(err) and str(err).startswith("row 2")


def test_votes_up_to_the_limit_import_with_voter_numbers_in_range(settings):
    settings.IMPORT_MAX_VOTES_PER_ROW = 40000  # above the column's range: capped at 32,767
    rows = [{"id": f"r{i}", "text": "x", "label": 1, "votes": [i % 2 == 0] * 3000} for i in range(10)]
    ds = _import(_jsonl(rows), "jsonl")
    assert ds.import_counts.crowd_votes == 30000
    votes = HumanLabel.objects.filter(example__dataset=ds)
    assert votes.count() == 30000 and max(votes.values_list("crowd_voter", flat=True)) == 3000
    settings.IMPORT_MAX_VOTES_PER_ROW = 10**6
    err = _refused(_jsonl([{"id": "z", "text": "x", "label": 1, "votes": [1] * 32768}]), "jsonl")
    assert "32,767" in str(err)


@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv"])
def test_a_value_over_the_field_limit_is_refused_naming_row_and_field(settings, fmt):
    settings.IMPORT_MAX_FIELD_BYTES = 1000
    rows = [{"id": "a", "text": "short", "label": 1, "votes": ""}, {"id": "b", "text": "é" * 600, "label": 0, "votes": ""}]
    if fmt == "jsonl":
        data = _jsonl(rows)
    elif fmt == "json":
        data = json.dumps(rows, indent=1).encode()
    else:
        data = ("id,text,label,votes\n" + "".join(f"{r['id']},{r['text']},{r['label']},\n" for r in rows)).encode()
    err = _refused(data, fmt)  # 600 characters, 1,200 bytes
    assert err.row == 2 and err.field == "text" and "IMPORT_MAX_FIELD_BYTES" in str(err)


def test_a_csv_value_far_over_the_limit_is_refused_naming_the_row(settings):
    settings.IMPORT_MAX_FIELD_BYTES = 1000
    data = ('id,text,label,votes\na,ok,1,\nb,"' + "x" * 50000 + '",0,\n').encode()
    err = _refused(data, "csv")
    assert err.row == 2 and "IMPORT_MAX_FIELD_BYTES" in str(err)


def test_a_line_over_the_row_limit_is_refused_before_it_is_read_whole(settings):
    settings.IMPORT_MAX_FIELD_BYTES = 1000
    settings.IMPORT_MAX_ROW_BYTES = 10000
    rows = [{"id": "a", "text": "ok", "label": 1, "votes": ""},
            {"id": "b", "text": "ok", "label": 1, "votes": "", "x": ["y" * 900] * 30}]
    err = _refused(_jsonl(rows), "jsonl")
    assert err.row == 2 and "IMPORT_MAX_ROW_BYTES" in str(err)
    err = _refused(json.dumps(rows).encode(), "json")
    assert err.row == 2 and "IMPORT_MAX_ROW_BYTES" in str(err)


@pytest.mark.parametrize("depth", [150, 5000])
@pytest.mark.parametrize("fmt", ["jsonl", "json"])
def test_deeply_nested_json_is_refused_naming_the_row(fmt, depth):
    nested = "[" * depth + "]" * depth
    good = '{"id": "a", "text": "ok", "label": 1, "votes": ""}'
    bad = '{"id": "b", "text": "ok", "label": 1, "votes": "", "extra": ' + nested + "}"
    data = (good + "\n" + bad) if fmt == "jsonl" else f"[{good},\n{bad}]"
    err = _refused(data.encode(), fmt)
    assert err.row == 2 and "nested" in str(err)


@pytest.mark.parametrize("with_ids", [False, True])
def test_a_file_sorted_by_label_does_not_hand_its_order_to_ids_or_positions(with_ids):
    """Issue 16, finding 12: examples are ordered by content, as the presets order theirs, so a file with every
    true row first does not give annotators the gold through example ids, positions or row-number ids."""
    from studio.models import Example

    rows = [{"id": f"x{i}", "text": f"statement {i}", "label": i < 20, "votes": ""} for i in range(40)]
    mapping = MAPPING if with_ids else "text=text,label=label"
    ds = import_file(io.BytesIO(_jsonl(rows)), name=f"sorted-{with_ids}", fmt="jsonl", mapping=mapping)
    by_pk = list(Example.objects.filter(dataset=ds).order_by("pk").select_related("gold"))
    assert [e.position for e in by_pk] == list(range(40))  # ids and positions agree
    first_half = [e.gold.label for e in by_pk[:20]]
    assert 5 <= sum(first_half) <= 15, first_half  # not the file's 20 true rows first
    if not with_ids:
        by_number = sorted(by_pk, key=lambda e: int(e.external_id))
        assert 5 <= sum(e.gold.label for e in by_number[:20]) <= 15
    again = import_file(io.BytesIO(_jsonl(rows)), name=f"again-{with_ids}", fmt="jsonl", mapping=mapping)
    assert [e.fields for e in by_pk] == [e.fields for e in Example.objects.filter(dataset=again).order_by("pk")]
