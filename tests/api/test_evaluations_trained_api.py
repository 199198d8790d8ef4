"""The trained measure over the API (issue 22): POST /api/evaluations/ takes measures and trainer (in the
OpenAPI schema), refuses a hostile value naming it, and what an evaluation trained is read at
/api/evaluations/{id}/trained-models/ (and downloaded from the dashboard) — not inside every read's results."""
import pytest

from studio.models import Evaluation

PROBE = {"kind": "logistic-probe", "feature_rule": "final-hidden-last-token/v1", "model_fingerprint": "abc123",
         "coef": [0.5, -0.25], "intercept": 0.1, "scaler_mean": [0.0, 1.0], "scaler_scale": [1.0, 2.0], "C": 0.1,
         "n_train": 4, "label_counts": {"true": 2, "false": 2}, "cv_accuracy": {"0.1": 0.75}, "cv": "stratified-kfold",
         "degenerate": False, "seed": 0}
RESULTS = {
    "test_ids": [1, 2], "n_test": 2, "measures": ["trained"],
    "conditions": [{"key": "trained:gold", "kind": "gold", "name": "Probe trained on gold labels", "mean": 1.0,
                    "ci_low": 1.0, "ci_high": 1.0, "n": 2, "measure": "trained", "trainer": "probe",
                    "per_repeat": [{"accuracy": 1.0, "correct": 2, "n": 2}], "n_train": [4]}],
    "trained": {"trainer": "probe", "train_ids": [[3, 4, 5, 6]], "pool": 4, "reward_model": False, "n_pairs": 0,
                "features": {"rule": "final-hidden-last-token/v1", "model_fingerprint": "abc123", "computed": 6,
                             "reused": 0}},
    "trained_models": {"trained:gold": [PROBE]},
    "verdict": "",
}


def _start(world, role="admin", **body):
    return world.client(role).post("/api/evaluations/", {"dataset": world.a.pk, **body}, format="json")


@pytest.mark.parametrize("body,message", [
    ({"measures": ["foo"]}, "measures: 'foo' not among in-context, trained"),
    ({"measures": ["trained"], "trainer": "x"}, "trainer must be one of probe, finetune; got 'x'"),
    ({"measures": ["trained"], "max_train": 1}, "max_train must be between 2 and 100000; got 1"),
    ({"max_train": 10}, "max_train applies to the trained measure"),
    ({"measures": ["trained"], "finetune_steps": 5}, "finetune_steps applies to the finetune trainer"),
    ({"measures": ["trained"], "trainer": "finetune", "finetune_steps": 0}, "finetune_steps must be between 1"),
])
def test_hostile_trained_options_are_refused_by_name(world, body, message):
    response = _start(world, **body)
    assert response.status_code == 400, response.content
    assert message in response.json()["detail"]
    assert not Evaluation.objects.exists()


def test_a_start_with_the_trained_measure_records_it(world):
    response = _start(world, measures=["in-context", "trained"], trainer="probe", max_train=8)
    assert response.status_code == 201, response.content
    config = response.json()["config"]
    assert config["measures"] == ["in-context", "trained"] and config["trainer"] == "probe"
    assert config["max_train"] == 8
    # existing callers: no measures given, the in-context measure alone
    Evaluation.objects.all().delete()
    assert _start(world).json()["config"]["measures"] == ["in-context"]


def test_the_trained_weights_are_read_apart_from_the_results(world):
    ev = Evaluation.objects.create(dataset=world.a, state="completed", config={"model": "smollm2"}, results=RESULTS)
    reviewer = world.client("reviewer")
    read = reviewer.get(f"/api/evaluations/{ev.pk}/").json()
    assert "trained_models" not in read["results"] and read["results"]["trained"]["trainer"] == "probe"
    body = reviewer.get(f"/api/evaluations/{ev.pk}/trained-models/").json()
    assert body["feature_rule"] == "final-hidden-last-token/v1" and body["model_fingerprint"] == "abc123"
    gold = body["conditions"]["trained:gold"]
    assert gold["name"] == "Probe trained on gold labels" and gold["accuracy"] == 1.0
    assert gold["repeats"] == [PROBE]
    one = reviewer.get(f"/api/evaluations/{ev.pk}/trained-models/?condition=trained:gold").json()
    assert list(one["conditions"]) == ["trained:gold"]
    missing = reviewer.get(f"/api/evaluations/{ev.pk}/trained-models/?condition=trained:people")
    assert missing.status_code == 404 and "no trained condition 'trained:people'" in missing.json()["detail"]
    assert world.client("outsider").get(f"/api/evaluations/{ev.pk}/trained-models/").status_code == 404
    plain = Evaluation.objects.create(dataset=world.b, state="completed", results={"conditions": []})
    nothing = world.client("admin").get(f"/api/evaluations/{plain.pk}/trained-models/")
    assert nothing.status_code == 404 and "trained nothing" in nothing.json()["detail"]

    # the dashboard's download: the same body, as an attachment
    from django.test import Client

    page = Client()
    page.force_login(world.users["reviewer"])
    download = page.get(f"/review/{world.a.slug}/evaluations/{ev.pk}/trained-models.json")
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
    assert download.json()["conditions"]["trained:gold"]["repeats"] == [PROBE]


def test_the_schema_lists_the_trained_options_and_the_weights_endpoint(world):
    schema = world.client("reviewer").get("/api/schema/?format=json").json()
    start = schema["components"]["schemas"]["EvaluationStart"]["properties"]
    assert {"measures", "trainer", "max_train", "finetune_steps"} <= set(start)
    assert "get" in schema["paths"]["/api/evaluations/{id}/trained-models/"]
