"""Importing a user's own file: what lands in the database, and that a broken file changes nothing."""
import csv
import io
import json

import pytest

from studio.models import Dataset, Example, GoldLabel, HumanLabel
from studio.services.importing import DatasetExists, ImportFailed, import_file

from .helpers import CountingReader, db_state, jsonl_lines

pytestmark = pytest.mark.django_db

MAPPING = "id=id,text=text,label=label"


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_jsonl_import_puts_gold_in_its_own_table_and_renders_prompts(tmp_path):
    path = write(tmp_path, "reviews.jsonl", "\n".join(jsonl_lines(10)) + "\n")
    ds = import_file(path, name="Reviews", mapping=MAPPING, question="Is it positive?",
                     prompt_template="Review: {text}\nClaim: it is positive.\nI think this claim is")
    assert ds.slug == "reviews" and ds.question == "Is it positive?" and ds.display_fields == ["text"]
    examples = sorted(ds.examples.all(), key=lambda e: int(e.external_id[1:]))  # positions follow content
    assert [e.external_id for e in examples] == [f"r{i}" for i in range(1, 11)]
    assert examples[0].fields == {"text": "sentence number 1"}  # no gold, no unmapped columns
    assert examples[0].prompt == "Review: sentence number 1\nClaim: it is positive.\nI think this claim is"
    assert {e.split for e in examples} == {"train"}
    gold = dict(GoldLabel.objects.filter(example__dataset=ds).values_list("example__external_id", "label"))
    assert gold == {f"r{i}": i % 3 == 0 for i in range(1, 11)}


def test_json_array_with_groups_keys_splits_and_crowd_votes(tmp_path):
    rows = [
        {"uid": "a", "q": "2+2?", "ans": "4", "ok": True, "qid": 1, "part": "train", "votes": [True, True, False]},
        {"uid": "b", "q": "2+2?", "ans": "5", "ok": False, "qid": 1, "part": "train", "votes": []},
        {"uid": "c", "q": "3+3?", "ans": "6", "ok": None, "qid": 2, "part": "test", "votes": None},
    ]
    path = write(tmp_path, "math.json", json.dumps(rows, indent=1))
    ds = import_file(path, name="Math", mapping="id=uid,question=q,answer=ans,label=ok,group=qid,key=ans,"
                                                 "split=part,human_label=votes",
                     consistency="keys", prompt_template="Q: {question}\nA: {answer}\nI think this claim is")
    a, b, c = (ds.examples.get(external_id=uid) for uid in "abc")
    assert (a.group, a.key, a.split, c.split) == ("1", "4", "train", "test")
    assert a.fields == {"question": "2+2?", "answer": "4"}
    assert GoldLabel.objects.filter(example__dataset=ds).count() == 2  # c has no gold (null)
    votes = HumanLabel.objects.filter(example=a).order_by("crowd_voter")
    assert [(v.crowd_voter, v.label, v.source, v.annotator_id) for v in votes] == [
        (1, True, "crowd", None), (2, True, "crowd", None), (3, False, "crowd", None)]


def test_csv_import_with_default_template(tmp_path):
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["sentence", "sentiment"])
    w.writerows([["a fine, funny film", "1"], ["dull", "0"], ['"quoted" and\nmultiline', "1"]])
    path = write(tmp_path, "sst.csv", buf.getvalue())
    ds = import_file(path, name="My SST", mapping="sentence=sentence,label=sentiment", task_type="text")
    assert ds.prompt_template == "Sentence: {sentence}\nI think this claim is"
    # Without an id column the ids number the rows in content order (file order could tell the gold).
    got = list(ds.examples.order_by("position").values_list("external_id", "position", "fields"))
    assert [(e, p) for e, p, _ in got] == [("1", 0), ("2", 1), ("3", 2)]
    assert sorted(f["sentence"] for _, _, f in got) == sorted(['a fine, funny film', 'dull', '"quoted" and\nmultiline'])


# --- refused imports change nothing ---------------------------------------------------------------

def refused(tmp_path, name, content, mapping=MAPPING, **kwargs) -> ImportFailed:
    path = write(tmp_path, name, content)
    before = db_state()
    with pytest.raises(ImportFailed) as e:
        import_file(path, name="Broken", mapping=mapping, **kwargs)
    assert db_state() == before
    assert not Dataset.objects.filter(name="Broken").exists()
    return e.value


def test_bad_json_on_row_37_imports_nothing(tmp_path):
    e = refused(tmp_path, "bad.jsonl", "\n".join(jsonl_lines(50, bad={37: '{"id": "r37", "text": "x", "label": tru}'})))
    assert e.row == 37
    assert str(e).startswith("row 37: invalid JSON: Expecting value")


def test_bad_json_on_row_37_of_a_json_array_imports_nothing(tmp_path):
    rows = [json.loads(line) for line in jsonl_lines(50)]
    text = "[\n" + ",\n".join(json.dumps(r) for r in rows[:36]) + ',\n{"id": "r37", "text": "x" "label": 1},\n' \
        + ",\n".join(json.dumps(r) for r in rows[37:]) + "\n]"
    e = refused(tmp_path, "bad.json", text)
    assert (e.row, e.line) == (37, 38)
    assert "row 37 (line 38): invalid JSON: Expecting ',' delimiter" in str(e)


def test_missing_required_field_names_row_and_field(tmp_path):
    e = refused(tmp_path, "missing.jsonl", "\n".join(jsonl_lines(50, bad={37: '{"id": "r37", "label": true}'})))
    assert (e.row, e.field) == (37, "text")
    assert str(e).startswith("row 37, field 'text': missing required field")


def test_non_boolean_label_names_row_field_and_value(tmp_path):
    lines = ["id,text,label"] + [f"r{i},text {i},{'maybe' if i == 37 else i % 2}" for i in range(1, 51)]
    e = refused(tmp_path, "labels.csv", "\n".join(lines))
    assert (e.row, e.field) == (37, "label")
    assert str(e) == "row 37 (line 38), field 'label': expected a boolean (true/false/0/1), got 'maybe'"


def test_failure_after_several_written_batches_rolls_all_of_them_back(tmp_path):
    """Row 4,321 fails after two batches of 2,000 were already inserted: the transaction undoes them."""
    e = refused(tmp_path, "late.jsonl",
                "\n".join(jsonl_lines(5000, bad={4321: '{"id": "r4321", "text": "x", "label": "perhaps"}'})))
    assert (e.row, e.field) == (4321, "label")


@pytest.mark.parametrize("content, fmt, message", [
    ('{"id": "a", "text": "x", "label": 1}\n{"id": "a", "text": "y", "label": 0}\n', "jsonl",
     "row 2, field 'id': duplicate id 'a' (first on row 1)"),
    ('{"id": "a", "text": "x\\u0000y", "label": 1}\n', "jsonl", "row 1, field 'text': contains a NUL character"),
    ("", "jsonl", "the file has no rows"),
    ('{"id": "a", "text": "x", "label": 1}\n', "xml", "unknown format 'xml'"),
])
def test_other_refusals(tmp_path, content, fmt, message):
    e = refused(tmp_path, "f.jsonl", content, fmt=fmt)
    assert message in str(e)


@pytest.mark.parametrize("kwargs, message", [
    ({"consistency": "comparison"}, "consistency 'comparison' needs consistency groups: map group=<column>"),
    ({"consistency": "keys", "mapping": "text=text,group=id"}, "consistency 'keys' needs keys"),
    ({"task_type": "essay"}, "unknown task type 'essay'"),
    ({"prompt_template": "{sentence}"}, "uses {sentence}, which is not a mapped field"),
    ({"display_fields": ["label"]}, "display field 'label' is not a mapped field"),
])
def test_bad_options_are_refused_before_reading(tmp_path, kwargs, message):
    e = refused(tmp_path, "ok.jsonl", "\n".join(jsonl_lines(3)), **kwargs)
    assert message in str(e)


def test_existing_name_is_refused(tmp_path):
    path = write(tmp_path, "a.jsonl", "\n".join(jsonl_lines(3)))
    import_file(path, name="Same", mapping=MAPPING)
    before = db_state()
    with pytest.raises(DatasetExists, match="a dataset named 'Same' already exists"):
        import_file(path, name="Same", mapping=MAPPING)
    assert db_state() == before


def test_50000_row_json_array_streams_in_chunks(tmp_path):
    """The whole file is never read at once: every read() asks for one chunk."""
    rows = [{"id": f"row-{i}", "text": f"example text number {i} " * 3, "label": i % 2} for i in range(50000)]
    data = json.dumps(rows).encode()
    stream = CountingReader(data, name="big.json")
    ds = import_file(stream, name="Big", mapping=MAPPING)
    assert ds.examples.count() == 50000
    assert GoldLabel.objects.filter(example__dataset=ds, label=True).count() == 25000
    assert stream.bytes_read == len(data) > 5_000_000  # each of the two passes (content order, rows) reads it all
    assert max(stream.sizes) <= 65536 and min(stream.sizes) > 0
    last = Example.objects.get(dataset=ds, external_id="row-49999")
    assert last.fields == {"text": "example text number 49999 " * 3}
    assert sorted(ds.examples.values_list("position", flat=True)) == list(range(50000))
