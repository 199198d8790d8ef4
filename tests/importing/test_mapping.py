"""Field mappings and value parsing: what a user writes after --map, and the errors they get."""
import pytest

from studio.services.importing import ImportFailed, parse_mapping
from studio.services.importing.mapping import mapped_rows
from studio.services.importing.prompts import check_template, default_template
from studio.services.importing.values import parse_bool


def test_parse_mapping_from_cli_text_and_dict():
    m = parse_mapping(["id=uid,text=sentence", "label=gold,group=q", "key=ans,split=part,human_label=votes"])
    assert (m.id, m.label, m.group, m.key, m.split, m.human_label) == ("uid", "gold", "q", "ans", "part", "votes")
    assert m.fields == {"text": "sentence"}
    m = parse_mapping({"text": "t", "topic": "t2", "id": "", "label": "y"})
    assert m.fields == {"text": "t", "topic": "t2"} and m.id is None and m.label == "y"


@pytest.mark.parametrize(
    "spec, message",
    [
        ("id=uid", "map at least one content field"),
        ("text", "is not name=column"),
        ("text=", "no column given for 'text'"),
        ("text=a,text=b", "'text' is mapped twice"),
        ("my field=a", "must be a plain identifier"),
        ("text=answer,label=answer", "column 'answer' is the gold label; it cannot also be 'text'"),
        ("text=t,key=y,label=y", "column 'y' is the gold label; it cannot also be 'key'"),
    ],
)
def test_bad_mappings_are_refused_with_a_reason(spec, message):
    with pytest.raises(ImportFailed, match=message):
        parse_mapping(spec)


@pytest.mark.parametrize("value, expected", [
    (True, True), (False, False), (1, True), (0, False), (1.0, True), ("true", True), ("False", False),
    (" 1 ", True), ("0", False), ("yes", True), ("no", False), (None, None), ("", None),
])
def test_booleans_accepted(value, expected):
    assert parse_bool(value, row=1, field="label") is expected


@pytest.mark.parametrize("value", ["maybe", 2, -1, 0.5, "tru", [True], {"a": 1}])
def test_non_booleans_refused_naming_row_and_field(value):
    with pytest.raises(ImportFailed) as e:
        parse_bool(value, row=37, field="label")
    assert str(e.value).startswith("row 37, field 'label': expected a boolean (true/false/0/1), got ")


def test_mapped_rows_keep_gold_out_of_fields_and_ignore_unmapped_columns():
    m = parse_mapping("id=uid,text=sentence,label=gold,group=q,key=k,human_label=votes")
    records = [(1, 1, {"uid": "a", "sentence": "s1", "gold": "1", "q": 7, "k": "x", "votes": [True, False, None],
                       "secret": "not imported"})]
    (row,) = mapped_rows(records, m, default_split="train")
    assert row.fields == {"text": "s1"}
    assert (row.external_id, row.gold, row.group, row.key, row.split) == ("a", True, "7", "x", "train")
    assert row.crowd_votes == [(1, True), (2, False)]


def test_mapped_rows_missing_and_null_fields_name_row_and_column():
    m = parse_mapping("text=sentence,label=gold")
    with pytest.raises(ImportFailed) as e:
        list(mapped_rows([(1, 1, {"sentence": "a", "gold": 1}), (2, 2, {"gold": 0})], m, default_split="train"))
    assert str(e.value).startswith("row 2, field 'sentence': missing required field")
    with pytest.raises(ImportFailed, match=r"^row 1, field 'sentence': expected a value, got null"):
        list(mapped_rows([(1, 1, {"sentence": None, "gold": 1})], m, default_split="train"))


def test_templates_are_checked_against_the_mapped_fields():
    assert default_template(["text", "the_topic"]) == "Text: {text}\nThe topic: {the_topic}\nI think this claim is"
    check_template("Review: {text}\nI think this claim is", ["text"])
    for template, message in [
        ("Review: {review}", "uses {review}, which is not a mapped field"),
        ("Review: {text.upper}", "plain field names"),
        ("Review: {text!r}", "format spec or conversion"),
        ("Review: {", "not a valid format string"),
        ("No fields", "uses no field"),
    ]:
        with pytest.raises(ImportFailed, match=message):
            check_template(template, ["text"])
