"""The custom study's optional step "adjudicate the disagreements": it waits for the ICM run and the people's
labels, then opens a blind adjudication of the run against the people's majority on the train split with a
budget (refused by name when the budget is bad), links it from the study page and shows its estimate as the
expert answers. Other templates have no such step. No model runs: the ICM run is written directly."""
import pytest
from django.test import Client

from studio.models import Adjudication, GoldLabel
from studio.services import adjudication, annotation
from studio.services.studies import (StudyRefused, close_labeling, create_study, open_labeling,
                                     open_study_adjudication, study_steps)
from tests.review.factories import completed_run
from tests.studies.factories import gold, pairs_dataset, people

pytestmark = pytest.mark.django_db

SIZES = {"icm_pool_size": 8, "people_train_size": 4, "test_size": 4, "annotators_per_item": 2,
         "annotators": ["person0", "person1"]}


@pytest.fixture
def custom(admin_user):
    ds = pairs_dataset(train_pairs=8, test_pairs=4, preset="", name="Custom pairs")
    people(ds, 2)
    return create_study(ds, "custom", {"name": "custom one", **SIZES}, user=admin_user)


def _step(study):
    return next(s for s in study_steps(study) if s.key == "adjudication")


def _labeled_and_run(study, admin_user, django_user_model):
    """The people label every item right; the ICM run (written directly) is right 60% of the time, so the two
    disagree wherever the run is wrong."""
    open_labeling(study, user=admin_user)
    for i in range(2):
        user = django_user_model.objects.get(username=f"person{i}")
        while (ex := annotation.next_example(user, study.dataset)) is not None:
            annotation.submit_label(user, ex, gold(ex.pk))  # one order of a pair each, the other implied
    if study.labeling_open:
        close_labeling(study, user=admin_user)
    study.run = completed_run(study.dataset, "train", accuracy=0.6, seed=4)
    study.save()


def test_the_step_waits_then_opens_an_adjudication_of_icm_against_the_people(custom, admin_user, django_user_model):
    step = _step(custom)
    assert step.state == "waiting" and "the people's labels" in step.blocked and "the ICM run" in step.blocked
    assert [s.key for s in study_steps(custom)][-2:] == ["adjudication", "results"]
    with pytest.raises(StudyRefused) as err:
        open_study_adjudication(custom, user=admin_user, budget=6)
    assert err.value.kind == "conflict" and "Waits for" in err.value.message

    _labeled_and_run(custom, admin_user, django_user_model)
    step = _step(custom)
    assert step.state == "ready" and step.actions == ["open_adjudication"]
    for bad in (0, "many"):
        with pytest.raises(adjudication.AdjudicationError) as err:
            open_study_adjudication(custom, user=admin_user, budget=bad)
        assert err.value.field == "budget"
    assert not Adjudication.objects.exists()

    adj = open_study_adjudication(custom, user=admin_user, budget=6)
    custom.refresh_from_db()
    assert custom.adjudication == adj
    assert (adj.split, adj.source_a, adj.source_b) == ("train", f"run:{custom.run_id}", "people")
    assert 0 < adj.budget <= 6 and adj.n_disagree > 0
    step = _step(custom)
    assert step.state == "running" and step.actions == []
    assert "From 0 expert adjudications, no gold" in step.summary and step.detail["adjudication_id"] == adj.pk
    with pytest.raises(StudyRefused):
        open_study_adjudication(custom, user=admin_user, budget=6)

    answers = dict(GoldLabel.objects.values_list("example_id", "label"))
    while (item := adjudication.next_item(adj, admin_user)["item"]) is not None:
        adjudication.record(adj, admin_user, item, answers[adj.items.get(pk=item).example_id])
    step = _step(custom)
    assert step.state == "done" and step.detail["adjudicated"] == adj.budget
    diff = step.detail["difference"]
    assert diff["ci_low"] <= diff["estimate"] <= diff["ci_high"]
    assert step.detail["gold"] is not None  # this dataset has gold: shown beside the estimate
    assert f"From {adj.budget} expert adjudications, no gold" in step.summary


def test_the_page_and_the_api_open_it_and_show_its_estimate(custom, admin_user, django_user_model):
    _labeled_and_run(custom, admin_user, django_user_model)
    c = Client()
    c.force_login(admin_user)
    page = c.get(f"/studies/{custom.pk}/").content.decode()
    assert 'data-action="open_adjudication"' in page and 'name="budget"' in page
    r = c.post(f"/api/studies/{custom.pk}/open-adjudication/", {"budget": 0}, content_type="application/json")
    assert r.status_code == 400 and "budget" in r.content.decode()
    r = c.post(f"/studies/{custom.pk}/open_adjudication/", {"budget": "5"}, follow=True)
    assert "The adjudication is open" in r.content.decode(), [str(m) for m in r.context["messages"]]
    custom.refresh_from_db()
    adj = custom.adjudication
    assert adj is not None and adj.budget == min(5, adj.n_items)  # no more than the items both label
    page = c.get(f"/studies/{custom.pk}/").content.decode()
    assert f"#adjudication-{adj.pk}" in page and f"/adjudicate/{adj.pk}/" in page
    assert 'data-field="adjudication-estimate"' in page and f"from 0 of {adj.budget} adjudications" in page
    assert c.get(f"/api/studies/{custom.pk}/").json()["adjudication"] == adj.pk
    steps = c.get(f"/api/studies/{custom.pk}/steps/").json()["steps"]
    assert next(s for s in steps if s["key"] == "adjudication")["detail"]["adjudication_id"] == adj.pk


def test_other_templates_have_no_adjudication_step(admin_user):
    ds = pairs_dataset(train_pairs=8, test_pairs=4)
    people(ds, 2)
    study = create_study(ds, "blog-gender", {"name": "preset one", **SIZES}, user=admin_user)
    assert "adjudication" not in [s.key for s in study_steps(study)]
    with pytest.raises(StudyRefused) as err:
        open_study_adjudication(study, user=admin_user, budget=6)
    assert "custom studies" in err.value.message
