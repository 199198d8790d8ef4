"""POST /api/runs/ with batch sizes, the estimate and coverage warning in its answer, and the confirmation a
long run needs (the queued tasks are not run here: tests/runs covers the worker)."""
from studio.models import ElicitationRun, RunBatch

FAST = {"iterations": 1, "initial_labels": 2, "seed": 7}  # too few to visit every example


def _start(world, **body):
    return world.client("admin").post("/api/runs/", {"dataset": world.a.pk, "split": "train", **body},
                                      format="json")


def test_a_started_run_shows_its_batches_estimate_and_coverage_warning(world):
    answer = _start(world, batch_size=2, config={**FAST, "initial_labels": 1})  # 2 would label each batch at once
    assert answer.status_code == 201, answer.content
    run = answer.json()
    assert run["batch_size"] == 2 and run["batch_count"] == 2  # dataset A's 4 train examples
    assert "model tokens at" in run["estimate"]["text"] and run["estimate"]["batches"] == 2
    assert run["estimate"]["throughput_source"].startswith("default, no earlier runs")
    assert "iterations are too few to visit every example" in run["coverage_warning"]
    listed = world.client("admin").get(f"/api/runs/?dataset={world.a.pk}").json()["results"]
    assert {r["id"]: r["batch_count"] for r in listed}[run["id"]] == 2


def test_a_run_above_the_limit_is_refused_until_confirmed(world, settings):
    settings.STUDIO_CONFIRM_RUN_SECONDS = 0  # every run asks
    before = ElicitationRun.objects.count(), RunBatch.objects.count()
    refused = _start(world, config=FAST)
    body = refused.json()
    assert refused.status_code == 409
    assert "This run would take" in body["detail"] and "STUDIO_CONFIRM_RUN_SECONDS" in body["detail"]
    assert "confirm" in body
    assert body["estimate"]["needs_confirmation"] is True and body["estimate"]["seconds"] > 0
    assert "iterations are too few" in body["coverage_warning"]
    assert (ElicitationRun.objects.count(), RunBatch.objects.count()) == before

    started = _start(world, config=FAST, confirm=True)
    assert started.status_code == 201 and started.json()["estimate"]["needs_confirmation"] is True


def test_a_bad_batch_size_is_refused_naming_it_and_nothing_is_created(world):
    before = ElicitationRun.objects.count(), RunBatch.objects.count()
    for value in (0, 100_001, -1):
        answer = _start(world, batch_size=value, config=FAST)
        assert answer.status_code == 400, answer.content
        assert "batch_size: a whole number of examples from 1 to 100000" in answer.json()["batch_size"]
    typed = _start(world, batch_size="ten", config=FAST)
    assert typed.status_code == 400 and "batch_size" in typed.json()
    assert (ElicitationRun.objects.count(), RunBatch.objects.count()) == before
