"""The trained measure through the whole path (issue 22): an admin starts an evaluation over the API with both
measures, a real Celery worker (Redis, PostgreSQL) runs it with the real bundled model on CPU, the features land
in the configured feature folder, and the results and the trained weights are read back over the API. Tiny:
8 train and 4 test sentences, one repeat, 2 demonstrations."""
import pytest
from rest_framework.test import APIClient

from studio.models import Evaluation
from tests.review import factories
from tests.waiting import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_worker_runs_both_measures_and_caches_the_features(start_worker, admin_user, tmp_path):
    ds = factories.sst2_review_dataset(train=8, test=4, name="sst2-trained-worker")
    run = factories.completed_run(ds, "train", accuracy=0.75, seed=2)
    features = tmp_path / "features"
    worker = start_worker("trained", STUDIO_FEATURES_DIR=str(features))
    api = APIClient()
    api.force_authenticate(admin_user)
    started = api.post("/api/evaluations/", {"dataset": ds.slug, "measures": ["in-context", "trained"],
                                             "trainer": "probe", "repeats": 1, "max_demos": 2, "seed": 1,
                                             "conditions": ["zero-shot", "icm", "gold"]}, format="json")
    assert started.status_code == 201, started.content
    ev_id = started.json()["id"]
    wait_for(lambda: Evaluation.objects.get(pk=ev_id).state in ("completed", "failed"), 600, "the evaluation")
    body = api.get(f"/api/evaluations/{ev_id}/").json()
    assert body["state"] == "completed", body["error"] + worker.log()[-3000:]
    res = body["results"]
    assert [(c["key"], c["measure"]) for c in res["conditions"]] == [
        ("zero-shot", "in-context"), (f"run:{run.pk}", "in-context"), ("gold", "in-context"),
        (f"trained:run:{run.pk}", "trained"), ("trained:gold", "trained")]
    assert all(c["n"] == 4 and c["ci_low"] is not None for c in res["conditions"])
    assert res["trained"]["train_ids"][0] and len(res["trained"]["train_ids"][0]) == 8
    assert res["trained"]["features"]["computed"] == 12 and len(list(features.rglob("*.npy"))) == 12
    assert res["verdict"].startswith("Trained measure (probe): ") and "trained_models" not in res
    weights = api.get(f"/api/evaluations/{ev_id}/trained-models/").json()
    probe = weights["conditions"]["trained:gold"]["repeats"][0]
    assert weights["model_fingerprint"] and probe["model_fingerprint"] == weights["model_fingerprint"]
    assert len(probe["coef"]) == len(probe["scaler_mean"]) > 100  # the model's hidden size
