"""Starting and cancelling runs over the API (the runs service decides; the API reports its answer).
The queued task is not run here: tests/runs covers the worker."""
from studio.models import ElicitationRun


def test_start_duplicate_cancel(world):
    client = world.client("admin")
    started = client.post("/api/runs/", {"dataset": world.a.pk, "split": "train", "sample_seed": 3,
                                         "config": {"seed": 3}}, format="json")
    assert started.status_code == 201, started.content
    run = started.json()
    assert run["state"] == "pending" and run["created_by"] == "boss" and run["split"] == "train"
    assert run["example_count"] == 4  # dataset A's train split
    assert client.get(f"/api/runs/{run['id']}/").json()["state"] == "pending"

    before = ElicitationRun.objects.count()
    again = client.post("/api/runs/", {"dataset": world.a.pk, "split": "train", "sample_seed": 3,
                                       "config": {"seed": 3}}, format="json")
    assert again.status_code == 400 and "already pending" in again.json()["detail"]
    assert ElicitationRun.objects.count() == before

    canceled = client.post(f"/api/runs/{run['id']}/cancel/")
    assert canceled.status_code == 200 and canceled.json()["state"] == "canceled"
    assert canceled.json()["cancel_requested"] is True
    twice = client.post(f"/api/runs/{run['id']}/cancel/")
    assert twice.status_code == 409 and "nothing to cancel" in twice.json()["detail"]


def test_reviewer_can_watch_but_not_start_or_cancel(world):
    client = world.client("reviewer")
    assert client.get(f"/api/runs/{world.active_run_a.pk}/").json()["state"] == "running"
    assert client.post("/api/runs/", {"dataset": world.a.pk}, format="json").status_code == 403
    assert client.post(f"/api/runs/{world.active_run_a.pk}/cancel/").status_code == 403
    world.active_run_a.refresh_from_db()
    assert world.active_run_a.state == "running" and not world.active_run_a.cancel_requested


def test_unknown_config_key_is_named(world):
    response = world.client("admin").post("/api/runs/", {"dataset": world.a.pk, "config": {"temprature": 2}},
                                          format="json")
    assert response.status_code == 400 and "temprature" in response.json()["detail"]
