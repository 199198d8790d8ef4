"""What a stored score means: the centered log-odds of True under the run's final labels, whatever the run's
calibrate setting (studio.services.runs.results). The write path on an engine result here; a real calibrate=none
run with the bundled model in tests/runs/test_worker.py."""
import math
import statistics
from types import SimpleNamespace

import pytest

from studio.models import ElicitationRun, ElicitedLabel, RunBatch
from studio.services import runs
from studio.services.runs import execution
from studio.services.runs.results import centered_scores, confidence_of

from tests.support.workers import FAST_CONFIG

pytestmark = pytest.mark.django_db

# Raw log-odds of a model that leans to True: four searched labels (mean 1.5), one filled, one unlabeled.
RAW = {"1": 3.0, "2": 2.0, "3": 1.0, "4": 0.0, "5": 1.0, "6": None}
LABELS = {"1": True, "2": True, "3": False, "4": False, "5": False, "6": None}
FILLED = {"5"}


def test_scores_are_centered_on_the_searched_labels_and_filled_ones_shift_with_them():
    scores, center = centered_scores(RAW, LABELS, FILLED)
    assert center == 1.5
    assert scores == {"1": 1.5, "2": 0.5, "3": -0.5, "4": -1.5, "5": -0.5, "6": None}
    assert statistics.fmean(scores[k] for k in "1234") == 0


def test_a_calibrated_engine_result_gives_the_same_scores_as_a_raw_one():
    """calibrate=center already subtracted a constant: centering again lands on the same scores."""
    shifted = {k: (None if v is None else v - 1.5) for k, v in RAW.items()}
    assert centered_scores(shifted, LABELS, FILLED)[0] == centered_scores(RAW, LABELS, FILLED)[0]


def test_without_searched_labels_there_is_no_center_and_no_score():
    assert centered_scores({"1": 2.0, "2": None}, {"1": None, "2": None}) == ({"1": None, "2": None}, None)
    assert centered_scores({"1": math.nan, "2": 1.0}, {"1": True, "2": True}) == ({"1": None, "2": 0.0}, 1.0)


def test_confidence_is_the_score_in_the_labels_direction():
    assert confidence_of(True, 0.7) == 0.7 and confidence_of(False, 0.7) == -0.7
    assert confidence_of(False, -2.0) == 2.0 and confidence_of(None, 1.0) is None and confidence_of(True, None) is None


@pytest.fixture
def none_run(sst2_dataset, admin_user):
    run = runs.start_run(sst2_dataset, user=admin_user, config={**FAST_CONFIG, "calibrate": "none"})
    assert run.config["calibrate"] == "none"
    return run


def _stored(run):
    return {str(pk): (label, score, kind) for pk, label, score, kind in
            ElicitedLabel.objects.filter(run=run).values_list("example_id", "label", "score", "kind")}


def test_the_worker_stores_centered_scores_for_a_calibrate_none_engine_result(none_run):
    """The write path, on an engine result as run_icm returns it for calibrate=none (scores == raw scores)."""
    ids = [str(pk) for pk in none_run.example_ids]
    raw = {ids[i]: v for i, v in enumerate([3.0, 2.0, 1.0, 0.0, 1.0])} | {i: None for i in ids[5:]}
    labels = {ids[i]: v for i, v in enumerate([True, True, False, False, False])} | {i: None for i in ids[5:]}
    result = SimpleNamespace(labels=labels, scores=dict(raw), raw_scores=dict(raw), filled={ids[4]}, stopped=False,
                             summary={"unlabeled": 4, "tokens": 10, "calibrate": "none", "calibration_offset": 0.0},
                             state=SimpleNamespace(to_dict=lambda: {"iteration": 4}))
    batch = none_run.batches.get()
    RunBatch.objects.filter(pk=batch.pk).update(state="running", worker="here:1")
    ElicitationRun.objects.filter(pk=none_run.pk).update(state="running")
    recorder = SimpleNamespace(latest=None, elapsed=lambda: 1.0)
    assert execution._finish(batch.pk, "here:1", result, recorder, {"reused": False, "load_seconds": 0.0}).state == "completed"

    stored = _stored(none_run)
    assert [stored[ids[i]][1] for i in range(5)] == [1.5, 0.5, -0.5, -1.5, -0.5]
    assert statistics.fmean(stored[ids[i]][1] for i in range(4)) == 0  # over the search's labels
    assert stored[ids[4]][2] == "filled" and all(stored[i][1] is None for i in ids[5:])
    batch.refresh_from_db()
    assert batch.summary["score_center"] == 1.5
