"""The run pages and the admin: who may see and do what, the start form, the live page's JSON, cancel."""
import re

import pytest

from studio.models import ElicitationRun, ElicitedLabel, GoldLabel, Membership, RunBatch, RunEvent
from studio.services.metrics import wilson_interval
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


def test_the_progress_json_returns_the_run_and_the_events_after_an_event_id(client, admin_user, sst2_dataset):
    run = runs.start_run(sst2_dataset, user=admin_user, config=FAST_CONFIG)
    events = [RunEvent.objects.create(run=run, iteration=i, energy=-i, labeled_count=4, true_count=2, false_count=2,
                                      accuracy=0.5 + i / 10) for i in range(1, 5)]
    ElicitationRun.objects.filter(pk=run.pk).update(state="running", iteration=4, labeled_count=4)
    client.force_login(admin_user)
    data = client.get(f"/runs/{run.pk}/progress.json?after={events[1].id}").json()
    assert data["state"] == "running" and data["active"] and data["iteration"] == 4 and data["iterations"] == FAST_CONFIG["iterations"]
    assert [(e["id"], e["batch"], e["iteration"]) for e in data["events"]] == [(e.id, 0, e.iteration) for e in events[2:]]
    assert data["accuracy"] == pytest.approx(0.9) and data["true_count"] == 2
    assert [e["iteration"] for e in client.get(f"/runs/{run.pk}/progress.json").json()["events"]] == [1, 2, 3, 4]
    assert client.get(f"/runs/{run.pk}/progress.json?after={events[-1].id}").json()["events"] == []


@pytest.mark.parametrize("after", ["x", "-1", "2.5", "1e3", "٣", "9" * 19, "9" * 5000])
def test_a_bad_event_cursor_gets_a_400_naming_it(client, admin_user, sst2_dataset, after):
    run = runs.start_run(sst2_dataset, user=admin_user, config=FAST_CONFIG)
    client.force_login(admin_user)
    response = client.get(f"/runs/{run.pk}/progress.json", {"after": after})
    assert response.status_code == 400
    assert response.json()["error"].startswith("after: expected the id of the last event seen")


def _two_batches(run):
    """Batch 0 has searched 2 of its iterations in 6 s (3 s each) on worker w1; batch 1's worker loads the model."""
    first, second = run.batches.order_by("index")
    RunBatch.objects.filter(pk=first.pk).update(state="running", phase="searching", iteration=2, seconds_used=6.0,
                                                labeled_count=3, energy=-1.5, worker="w1", attempts=1)
    RunBatch.objects.filter(pk=second.pk).update(state="running", phase="loading", worker="w2", attempts=2)
    ElicitationRun.objects.filter(pk=run.pk).update(state="running", iteration=2, labeled_count=3)
    return first, second


def test_the_progress_json_has_a_row_and_a_time_left_per_batch(client, admin_user, sst2_dataset):
    # 2 initial labels: with 4, each batch of 4 would start fully labeled and no coverage warning could apply
    run = runs.start_run(sst2_dataset, user=admin_user, config={**FAST_CONFIG, "initial_labels": 2}, batch_size=4)
    assert run.batches.count() == 2
    _two_batches(run)
    RunEvent.objects.create(run=run, batch=0, iteration=1, energy=-2.0, labeled_count=2, true_count=1,
                            false_count=1, accuracy=0.5)
    RunEvent.objects.create(run=run, batch=0, iteration=2, energy=-1.5, labeled_count=3, true_count=2,
                            false_count=1, accuracy=2 / 3)
    client.force_login(admin_user)
    data = client.get(f"/runs/{run.pk}/progress.json").json()
    first, second = data["batches"]
    assert (first["index"], first["phase_label"], first["iteration"], first["iterations"]) == (0, "Searching", 2, 4)
    assert (first["labeled_count"], first["example_count"], first["energy"]) == (3, 4, -1.5)
    assert first["eta_seconds"] == pytest.approx(6.0)  # 2 iterations left at 3 s each
    assert (second["phase_label"], second["eta_seconds"], second["attempts"]) == ("Loading the model", None, 2)
    # Overall: 6 s left on batch 0 plus 4 iterations at the mean pace (3 s) on batch 1, over the 2 running now.
    assert data["eta_seconds"] == pytest.approx((6 + 12) / 2) and data["batches_running"] == 2
    assert (data["batch_count"], data["batches_done"], data["iterations"]) == (2, 0, 8)
    assert data["true_count"] == 2 and data["accuracy"] == pytest.approx(2 / 3)
    assert data["coverage_warning"] and "too few to visit every example" in data["coverage_warning"]
    # A canceled run has no time left to estimate.
    ElicitationRun.objects.filter(pk=run.pk).update(state="canceled")
    data = client.get(f"/runs/{run.pk}/progress.json").json()
    assert data["eta_seconds"] is None and all(b["eta_seconds"] is None for b in data["batches"])


def test_the_run_page_shows_the_coverage_warning_only_when_there_is_one(client, admin_user, sst2_dataset):
    client.force_login(admin_user)
    short = runs.start_run(sst2_dataset, user=admin_user, config=FAST_CONFIG)  # 4 iterations for 8 examples
    html = client.get(f"/runs/{short.pk}/").content.decode()
    banner = html[html.index('id="coverage-warning"'):]
    banner = banner[:banner.index("</p>")]
    assert "hidden" not in banner.split(">")[0]
    assert "4 iterations are too few to visit every example of the run&#x27;s batch" in banner
    # it finished with every example drawn: the warning did not come true and is no longer shown
    from studio.services.runs.settling import settle_run

    RunBatch.objects.filter(run=short).update(state="completed", phase="done", iteration=4, labeled_count=8,
                                              unlabeled_after_search=0, filled_count=0)
    assert settle_run(short.pk) == "completed"
    assert client.get(f"/runs/{short.pk}/progress.json").json()["coverage_warning"] is None
    html = client.get(f"/runs/{short.pk}/").content.decode()
    assert "hidden" in html[html.index('id="coverage-warning"'):].split(">")[0]
    enough = runs.start_run(sst2_dataset, user=admin_user, config={**FAST_CONFIG, "iterations": 200})
    html = client.get(f"/runs/{enough.pk}/").content.decode()
    banner = html[html.index('id="coverage-warning"'):]
    assert "hidden" in banner.split(">")[0] and "too few" not in banner[:banner.index("</p>")]


def test_a_finished_run_shows_accuracy_for_elicited_and_filled_labels_apart(client, admin_user, sst2_dataset):
    from studio.services.runs.settling import settle_run

    run = runs.start_run(sst2_dataset, user=admin_user, config=FAST_CONFIG)
    gold = dict(GoldLabel.objects.filter(example__dataset=sst2_dataset).values_list("example_id", "label"))
    ids = run.example_ids
    # 5 elicited (4 right, 1 wrong), 2 filled (1 right, 1 wrong), 1 never labeled.
    plan = [("elicited", True)] * 4 + [("elicited", False)] + [("filled", True), ("filled", False)]
    for pk, (kind, right) in zip(ids, plan):
        ElicitedLabel.objects.create(run=run, example_id=pk, kind=kind, label=gold[pk] if right else not gold[pk])
    ElicitedLabel.objects.create(run=run, example_id=ids[7], kind="unlabeled", label=None)
    RunBatch.objects.filter(run=run).update(state="completed", phase="done", iteration=4, labeled_count=7,
                                            unlabeled_after_search=3, filled_count=2)
    ElicitationRun.objects.filter(pk=run.pk).update(state="running")
    assert settle_run(run.pk) == "completed"
    client.force_login(admin_user)
    html = client.get(f"/runs/{run.pk}/").content.decode()
    table = html[html.index('id="accuracy-vs-gold"'):html.index("</table>", html.index('id="accuracy-vs-gold"'))]
    rows = {kind: re.sub(r"<[^>]+>", " ", part.split("</tr>")[0]).split()
            for kind, part in re.findall(r'data-kind="(\w+)">(.*?</tr>)', table, re.S)}
    lo, hi = wilson_interval(4, 5)
    assert " ".join(rows["elicited"]) == f"Elicited (by the search) 80.0% 4 / 5 {100 * lo:.1f}% – {100 * hi:.1f}%"
    lo, hi = wilson_interval(1, 2)
    assert " ".join(rows["filled"]) == f"Filled (predicted after the search) 50.0% 1 / 2 {100 * lo:.1f}% – {100 * hi:.1f}%"
    assert rows["all"][:5] == ["All", "labeled", "71.4%", "5", "/"]
    assert "5 elicited</span> · <span id=\"count-filled\">2 filled" in html
    # The live page's JSON carries the same numbers for a page that watched the run end.
    data = client.get(f"/runs/{run.pk}/progress.json").json()
    assert data["accuracy_vs_gold"]["filled"]["n"] == 2 and data["eta_seconds"] is None
    assert "too few" in data["coverage_warning"]  # 3 were left unlabeled by the search: it came true


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
    # Checkpoints live on the run's batches now.
    RunBatch.objects.filter(run=run).update(iteration=7, checkpoint={"iteration": 7, "labels": {"1": True, "2": None},
                                                                     "score_cache": {"x" * 20: 1.0}})
    client.force_login(admin_user)
    html = client.get(f"/admin/studio/elicitationrun/{run.pk}/change/").content.decode()
    assert "#0: pending, iteration 7, 0/8 labeled, checkpoint at 7" in html and "x" * 20 not in html
    assert f"/runs/{run.pk}/" in html
    assert client.get("/admin/studio/elicitationrun/add/").status_code == 403  # runs start through the form


def test_the_run_page_counts_the_labels_that_disagree_with_their_score_and_says_why(client, admin_user,
                                                                                      sst2_dataset):
    from studio.services.runs.settling import settle_run

    run = runs.start_run(sst2_dataset, user=admin_user, config={**FAST_CONFIG, "calibrate": "none"})
    ids = run.example_ids
    # (label, centered score): two disagree with their score (a False at +0.703, a True at -0.2)
    plan = [(True, 1.2), (False, 0.703), (True, -0.2), (False, -0.9), (True, 0.4), (False, -1.1), (True, 0.0)]
    for pk, (label, score) in zip(ids, plan):
        ElicitedLabel.objects.create(run=run, example_id=pk, kind="elicited", label=label, score=score)
    ElicitedLabel.objects.create(run=run, example_id=ids[7], kind="unlabeled", label=None, score=None)
    RunBatch.objects.filter(run=run).update(state="completed", phase="done", iteration=4, labeled_count=7,
                                            unlabeled_after_search=1, filled_count=0)
    ElicitationRun.objects.filter(pk=run.pk).update(state="running")
    assert settle_run(run.pk) == "completed"
    client.force_login(admin_user)
    html = client.get(f"/runs/{run.pk}/").content.decode()
    note = html[html.index('id="score-disagreement"'):]
    note = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", note[note.index(">") + 1:note.index("</p>")])).strip()
    assert note.startswith("2 of 7 labels disagree with the sign of their score.")
    assert "chooses labels jointly to maximize mutual predictability and consistency" in note
    assert "break a consistency pair" in note and "calibrate=none" in note
    # the table shows each label's confidence, negative on exactly the two that disagree
    table = html[html.index('id="labels-table"'):html.index("</table>", html.index('id="labels-table"'))]
    assert "<th class=\"num\" title=\"The score in the label's direction" in table
    assert table.count("data-disagrees") == 2 and ">-0.703<" in table and ">-0.200<" in table
    # the fragment the live page fetches when the run ends says the same
    fragment = client.get(f"/runs/{run.pk}/results/").content.decode()
    assert "2 of 7</strong> labels disagree" in fragment


def test_a_run_links_to_its_study_and_review_and_back(client, admin_user, sst2_dataset):
    from studio.models import Study

    run = runs.start_run(sst2_dataset, user=admin_user, config=FAST_CONFIG)
    study = Study.objects.create(name="Sentiment study", dataset=sst2_dataset, template="custom", icm_pool_size=8,
                                 test_size=2, run=run)
    client.force_login(admin_user)
    links = client.get(f"/runs/{run.pk}/").content.decode()
    links = links[links.index('id="run-links"'):]
    links = links[:links.index("</p>")]
    assert f'href="/studies/{study.pk}/" data-link="study">Sentiment study</a>' in links
    assert f'href="/review/{sst2_dataset.slug}/' in links
    curves = client.get(f"/review/{sst2_dataset.slug}/runs/{run.pk}/").content.decode()
    curves = curves[curves.index('id="run-links"'):]
    assert f'href="/runs/{run.pk}/" data-link="run"' in curves and f'href="/studies/{study.pk}/"' in curves
