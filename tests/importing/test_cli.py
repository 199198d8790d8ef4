"""`manage.py import_dataset`: presets, a user's file with --map, refusals with a message naming the row,
re-imports refused or skipped (the demo relies on that)."""
import json

import pytest
from django.core.management import CommandError, call_command

from studio.models import Dataset, HumanLabel
from studio.services.importing import writer
from studio.services.importing.presets import PRESETS

from .helpers import db_state, jsonl_lines

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("import_dataset", *args, stdout=out)
    return out.getvalue()


def test_preset_import_reports_counts_and_reimport_is_refused_or_skipped():
    out = run("alpaca")
    assert "Imported preset 'alpaca' as 'Alpaca helpfulness': 934 examples (468 train, 466 test) in 467 groups, " \
           "934 gold labels, 3,738 crowd-vote human labels." in out
    before = db_state()
    with pytest.raises(CommandError, match="preset 'alpaca' is already imported as 'Alpaca helpfulness'.*"
                                           "--skip-existing"):
        run("alpaca")
    assert "already imported" in run("alpaca", "--skip-existing")
    assert db_state() == before


def test_preset_name_taken_by_another_dataset_is_refused_even_with_skip_existing(tmp_path):
    path = tmp_path / "mine.jsonl"
    path.write_text("\n".join(jsonl_lines(3)))
    run(str(path), "--name", "Alpaca helpfulness", "--map", "text=text")
    with pytest.raises(CommandError, match="did not come from preset 'alpaca'"):
        run("alpaca", "--skip-existing")


def test_user_file_with_mapping(tmp_path):
    path = tmp_path / "claims.jsonl"
    rows = [{"qid": i // 2, "q": f"question {i // 2}", "a": f"answer {i}", "ok": i % 2, "part": "test" if i > 7 else "train"}
            for i in range(10)]
    path.write_text("\n".join(json.dumps(r) for r in rows))
    out = run(str(path), "--name", "My claims", "--map", "question=q,choice=a", "--map", "label=ok,group=qid,split=part",
              "--prompt-template", r"Question: {question}\nClaim: {choice}\nI think this claim is",
              "--question", "Is the answer right?", "--display-fields", "choice")
    assert "Imported 'My claims' from claims.jsonl (jsonl): 10 examples (8 train, 2 test) in 5 groups, 10 gold labels." in out
    ds = Dataset.objects.get(name="My claims")
    assert ds.prompt_template == "Question: {question}\nClaim: {choice}\nI think this claim is"
    assert ds.display_fields == ["choice"] and ds.preset == ""
    assert ds.examples.get(fields__choice="answer 0").prompt == "Question: question 0\nClaim: answer 0\nI think this claim is"


def test_broken_file_is_refused_with_the_row_and_nothing_imported(tmp_path):
    path = tmp_path / "broken.jsonl"
    path.write_text("\n".join(jsonl_lines(40, bad={37: '{"id": "r37", "text": "x", "label": "maybe"}'})))
    before = db_state()
    with pytest.raises(CommandError) as e:
        run(str(path), "--name", "Broken", "--map", "id=id,text=text,label=label")
    assert str(e.value) == ("Import refused, nothing was imported: row 37, field 'label': expected a boolean "
                            "(true/false/0/1), got 'maybe'")
    assert db_state() == before


@pytest.mark.parametrize("args, message", [
    (["no-such-thing"], "neither a preset"),
    (["alpaca", "--name", "x"], "--name is for your own files"),
    (["alpaca", "--keys", "official"], "preset 'alpaca' has no key variant 'official'"),
    (["{file}", "--map", "text=text"], "--name is required"),
    (["{file}", "--name", "x"], "--map is required"),
    (["{file}", "--name", "x", "--map", "text=text", "--keys", "official"], "--keys is for presets"),
])
def test_usage_errors(tmp_path, args, message):
    path = tmp_path / "f.jsonl"
    path.write_text("\n".join(jsonl_lines(2)))
    with pytest.raises(CommandError, match=message):
        run(*[a.replace("{file}", str(path)) for a in args])
    assert Dataset.objects.count() == 0


def test_list_names_every_preset():
    out = run("--list")
    for name in PRESETS:
        assert name in out


def test_orm_insert_path_matches_copy_path(monkeypatch):
    """The embedded SQLite default inserts with bulk_create instead of COPY; both give the same rows."""
    copied = run("alpaca")
    Dataset.objects.all().delete()
    monkeypatch.setattr(writer, "_inserter", lambda: writer._orm_batch)
    assert run("alpaca") == copied
    ds = Dataset.objects.get(preset="alpaca")
    assert HumanLabel.objects.filter(example__dataset=ds, source="crowd", annotator__isnull=True).count() == 3738
