"""`manage.py evaluate DATASET ...` (issue 14): one evaluation run in this process with the bundled model
(SmolLM2 on CPU, real scoring) on a tiny SST-2 dataset — 2 test sentences, 2 demonstrations — printed as JSON
or as a table with the verdict; a refused or failed evaluation exits 1 with its reason on stderr.

The JSON assertions read the keys today's results have (`sources`, `example_ids`) or, when present, the
contract's (`conditions`, `repeats`, `comparisons`): the evaluation service is being rewritten to the contract."""
import io
import json
import math

import pytest
from django.core.management import CommandError, call_command

from studio.management.commands.evaluate import Command
from studio.models import Evaluation, Example
from tests.review import factories

pytestmark = pytest.mark.django_db

FAST = ["--max-test", "2", "--max-demos", "2", "--seed", "1", "--repeats", "2"]


@pytest.fixture
def tiny():
    ds = factories.sst2_review_dataset(train=4, test=2, name="sst2-evaluate")
    run = factories.completed_run(ds, "train", accuracy=1.0, seed=2)
    train_ids = list(Example.objects.filter(dataset=ds, split="train").values_list("pk", flat=True))
    factories.annotate(ds, factories.annotators(2, prefix="cli"), train_ids, accuracy=1.0, seed=3)
    return ds, run


@pytest.fixture
def as_from_a_shell(monkeypatch):
    """Run the command as manage.py does (its exit status, stderr) inside the test's transaction: the
    connection it closes when done stays open for the test."""
    from django.db import connections

    monkeypatch.setattr(connections, "close_all", lambda: None)

    def run(*args):
        with pytest.raises(SystemExit) as exited:
            Command().run_from_argv(["manage.py", "evaluate", *args])
        return exited.value.code

    return run


def _evaluate(*args) -> str:
    out = io.StringIO()
    call_command("evaluate", *args, stdout=out)
    return out.getvalue()


@pytest.mark.slow
def test_json_holds_every_condition_scored_on_the_same_test_items(tiny):
    ds, run = tiny
    result = json.loads(_evaluate(ds.slug, *FAST, "--json"))
    ev = Evaluation.objects.get()
    assert result["evaluation_id"] == ev.pk and result["state"] == "completed" and result["dataset"] == ds.slug
    assert result["config"]["max_demos"] == 2 and result["config"]["seed"] == 1
    test_ids = result.get("test_ids", result.get("example_ids"))
    test_split = set(Example.objects.filter(dataset=ds, split="test").values_list("pk", flat=True))
    assert len(test_ids) == 2 and set(test_ids) == test_split
    conditions = result.get("conditions", result.get("sources"))
    keys = [c["key"] for c in conditions]
    assert {"zero-shot", "random", "gold", "people", f"run:{run.pk}"} <= set(keys)
    train = set(Example.objects.filter(dataset=ds, split="train").values_list("pk", flat=True))
    if "repeats" in result:  # the contract: per repeat, one set of demonstrations shared by every condition
        assert len(result["repeats"]) == 2
        for r in result["repeats"]:
            assert 0 < len(r["demo_ids"]) <= 2 and set(r["demo_ids"]) <= train
        for c in conditions:
            assert len(c["per_repeat"]) == 2 and all(0 <= p["accuracy"] <= 1 and p["n"] == 2 for p in c["per_repeat"])
            assert math.isclose(c["mean"], sum(p["accuracy"] for p in c["per_repeat"]) / 2)
        assert isinstance(result["comparisons"], list) and result["verdict"]
    else:  # today's results: one draw, each source's predictions on the test items
        for c in conditions:
            assert len(c["predictions"]) == 2 and all(math.isfinite(x) for x in c["scores"])
            assert set(c["demo_ids"]) <= train and len(c["demo_ids"]) == (0 if c["key"] == "zero-shot" else 2)


@pytest.mark.slow
def test_the_table_gives_each_conditions_mean_interval_and_n_and_the_verdict(tiny):
    ds, run = tiny
    text = _evaluate(ds.slug, *FAST)
    lines = text.splitlines()
    ev = Evaluation.objects.get()
    assert lines[0].startswith(f"Evaluation {ev.pk} of {ds.slug}: 2 test items (test)")
    header = next(line for line in lines if line.startswith("condition"))
    assert "mean ± sd" in header and "95% CI" in header and header.rstrip().endswith("n")
    rows = lines[lines.index(header) + 1:]
    gold = next(line for line in rows if line.startswith("Gold"))
    assert "%" in gold and "[" in gold and gold.split()[-1] == "2", gold
    assert any(line.startswith(f"ICM run {run.pk}") or f"run {run.pk}" in line for line in rows), rows
    assert lines[-1].startswith("Verdict: ")


def test_a_refused_evaluation_exits_1_with_the_reason_on_stderr(tiny, as_from_a_shell, capsys):
    ds, _ = tiny
    assert as_from_a_shell(ds.slug, "--max-test", "0") == 1
    captured = capsys.readouterr()
    assert "evaluation refused: max_test must be between 1 and" in captured.err and captured.out == ""
    assert not Evaluation.objects.exists()


def test_an_unknown_dataset_is_named(tiny):
    with pytest.raises(CommandError, match="no dataset with slug, preset or id 'nope' \\(datasets: sst2-evaluate\\)"):
        _evaluate("nope")


def test_a_failed_evaluation_exits_1_with_its_error(tiny, settings, as_from_a_shell, capsys):
    """The model cannot be loaded (no such model here): the evaluation fails in this process, with the reason."""
    ds, _ = tiny
    settings.STUDIO_MODEL = "no-such-model"  # a plain name passes the path check; loading it fails offline
    code = as_from_a_shell(ds.slug, *FAST, "--json")
    ev = Evaluation.objects.get()
    captured = capsys.readouterr()
    assert code == 1 and ev.state == "failed" and ev.error
    assert f"evaluation {ev.pk} failed: {ev.error}" in captured.err and captured.out == ""
