"""The run pages and the admin: who may see and do what, the start form, the live page's JSON, cancel."""
import pytest

from studio.models import ElicitationRun, Membership, RunEvent
from studio.services import runs

from tests.support.datasets import make_sst2_dataset
from tests.support.workers import FAST_CONFIG

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(django_user_model, sst2_dataset):
    annotator = django_user_model.objects.create_user("ann", password="ann-pass-123")
    reviewer = django_user_model.objects.create_user("rev", password="rev-pass-123")
    Membership.objects.create(user=annotator, dataset=sst2_dataset, role="annotator")
    Membership.objects.create(user=reviewer, dataset=sst2_dataset, role="reviewer")
    return annotator, reviewer


def _form_data(dataset, **overrides):
    data = {"dataset": dataset.pk, "split": "", "subset": "all", "sample_seed": 0, "model": "smollm2",
            "backend": "hf", "device": "auto", "base_url": ""}
    from elicitation import ICMConfig

    for name, value in ICMConfig().to_dict().items():
        if name in ("label_words",):
            continue
        data[f"cfg_{name}"] = "" if name in ("calibrate", "scoring") else value
    data.update({f"cfg_{k}": v for k, v in FAST_CONFIG.items()})
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not False and v is not None}


def test_only_admins_reach_the_start_page(client, admin_user, people, sst2_dataset):
    assert client.get("/runs/start/").status_code == 302  # to the login page
    annotator, reviewer = people
    for person in (annotator, reviewer):
        client.force_login(person)
        assert client.get("/runs/start/").status_code == 403
    client.force_login(admin_user)
    page = client.get(f"/runs/start/?dataset={sst2_dataset.pk}")
    assert page.status_code == 200
    html = page.content.decode()
    # Hyperparameters default to the engine's.
    assert 'name="cfg_iterations"' in html and 'value="3000"' in html and 'name="cfg_alpha"' in html
    assert f'<option value="{sst2_dataset.pk}" selected>' in html


def test_the_start_page_starts_a_run_and_refuses_a_duplicate(client, admin_user, sst2_dataset):
    client.force_login(admin_user)
    response = client.post("/runs/start/", _form_data(sst2_dataset))
    run = ElicitationRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/runs/{run.pk}/"
    assert run.config["iterations"] == FAST_CONFIG["iterations"] and run.config["calibrate"] == "center" and run.created_by == admin_user
    again = client.post("/runs/start/", _form_data(sst2_dataset))
    assert again.status_code == 200
    assert f"Run #{run.pk} with this configuration is already pending" in again.content.decode()
    assert ElicitationRun.objects.count() == 1


def test_a_bad_value_is_shown_on_the_form_and_nothing_starts(client, admin_user, sst2_dataset):
    client.force_login(admin_user)
    response = client.post("/runs/start/", _form_data(sst2_dataset, subset="sample", sample_size=50))
    assert response.status_code == 200
    assert "sample_size: 50 is more than the 8 examples" in response.content.decode()
    assert not ElicitationRun.objects.exists()


def test_the_run_page_is_for_admins_and_the_datasets_reviewers(client, admin_user, people, sst2_dataset,
                                                                django_user_model):
    run = runs.start_run(sst2_dataset, user=admin_user, config=FAST_CONFIG)
    annotator, reviewer = people
    outsider = django_user_model.objects.create_user("out", password="out-pass-123", )
    other = make_sst2_dataset(name="Other")
    Membership.objects.create(user=outsider, dataset=other, role="reviewer")
    for person in (annotator, outsider):
        client.force_login(person)
        assert client.get(f"/runs/{run.pk}/").status_code == 404
        assert client.get(f"/runs/{run.pk}/progress.json").status_code == 404
    client.force_login(reviewer)
    page = client.get(f"/runs/{run.pk}/").content.decode()
    assert f"Run #{run.pk} on SST-2 dev sample" in page
    assert "Studio default: calibrate=center" in page
    assert "Cancel run" not in page  # reviewers watch; admins cancel
    assert f"/runs/{run.pk}/" in client.get(f"/runs/?dataset={sst2_dataset.pk}").content.decode()
    client.force_login(admin_user)
    assert "Cancel run" in client.get(f"/runs/{run.pk}/").content.decode()


def test_a_run_on_gold_derived_keys_says_so(client, admin_user):
    ds = make_sst2_dataset(name="Leaky", gold_derived_metadata=True)
    run = runs.start_run(ds, user=admin_user, config=FAST_CONFIG)
    client.force_login(admin_user)
    assert "consistency keys built from gold labels" in client.get(f"/runs/{run.pk}/").content.decode()


def test_the_progress_json_returns_the_run_and_the_events_after_an_iteration(client, admin_user, sst2_dataset):
    run = runs.start_run(sst2_dataset, user=admin_user, config=FAST_CONFIG)
    for i in range(1, 5):
        RunEvent.objects.create(run=run, iteration=i, energy=-i, labeled_count=4, true_count=2, false_count=2,
                                accuracy=0.5 + i / 10)
    ElicitationRun.objects.filter(pk=run.pk).update(state="running", iteration=4, labeled_count=4)
    client.force_login(admin_user)
    data = client.get(f"/runs/{run.pk}/progress.json?after=2").json()
    assert data["state"] == "running" and data["active"] and data["iteration"] == 4 and data["iterations"] == FAST_CONFIG["iterations"]
    assert [e["iteration"] for e in data["events"]] == [3, 4]
    assert data["accuracy"] == pytest.approx(0.9) and data["true_count"] == 2
    assert client.get(f"/runs/{run.pk}/progress.json?after=x").status_code == 400


def test_cancel_from_the_run_page_is_for_admins(client, admin_user, people, sst2_dataset):
    run = runs.start_run(sst2_dataset, user=admin_user, config=FAST_CONFIG)
    _, reviewer = people
    client.force_login(reviewer)
    assert client.post(f"/runs/{run.pk}/cancel/").status_code == 403
    run.refresh_from_db()
    assert run.state == "pending"
    client.force_login(admin_user)
    response = client.post(f"/runs/{run.pk}/cancel/", follow=True)
    run.refresh_from_db()
    assert run.state == "canceled"
    assert "cancel requested" in response.content.decode()
    again = client.post(f"/runs/{run.pk}/cancel/", follow=True)
    assert f"Run #{run.pk} has already canceled" in again.content.decode()


def test_the_admin_starts_a_run_from_the_dataset_action_and_cancels_it(client, admin_user, sst2_dataset):
    client.force_login(admin_user)
    response = client.post("/admin/studio/dataset/", {"action": "start_icm_run", "_selected_action": [sst2_dataset.pk]})
    assert response.status_code == 302
    form_url = response["Location"]
    assert form_url == f"/admin/studio/elicitationrun/start/?dataset={sst2_dataset.pk}"
    assert 'name="cfg_iterations"' in client.get(form_url).content.decode()
    response = client.post(form_url, _form_data(sst2_dataset))
    run = ElicitationRun.objects.get()
    assert response["Location"] == f"/runs/{run.pk}/"
    client.post("/admin/studio/elicitationrun/", {"action": "cancel_runs", "_selected_action": [run.pk]})
    run.refresh_from_db()
    assert run.state == "canceled" and run.cancel_requested


def test_the_home_page_links_to_runs(client, admin_user, people, sst2_dataset):
    _, reviewer = people
    client.force_login(reviewer)
    html = client.get("/").content.decode()
    assert f"/runs/?dataset={sst2_dataset.pk}" in html and "/runs/start/" not in html
    client.force_login(admin_user)
    assert f"/runs/start/?dataset={sst2_dataset.pk}" in client.get("/").content.decode()


def test_the_admin_shows_a_run_without_dumping_its_checkpoint(client, admin_user, sst2_dataset):
    run = runs.start_run(sst2_dataset, user=admin_user, config=FAST_CONFIG)
    ElicitationRun.objects.filter(pk=run.pk).update(checkpoint={"iteration": 7, "labels": {"1": True, "2": None},
                                                                "score_cache": {"x" * 20: 1.0}})
    client.force_login(admin_user)
    html = client.get(f"/admin/studio/elicitationrun/{run.pk}/change/").content.decode()
    assert "iteration 7, 2 examples" in html and "x" * 20 not in html
    assert f"/runs/{run.pk}/" in html
    assert client.get("/admin/studio/elicitationrun/add/").status_code == 403  # runs start through the form
