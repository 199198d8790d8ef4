"""The outside probe's study findings (issue 25): someone left out of a study cannot label its items with a hold
taken before labeling opened; /api/studies/ refuses a misspelt option by name; one bound for repeats (a study
cannot ask for more than its evaluation runs); list responses leave out the item id lists."""
import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from studio.models import AnnotationClaim, Example, HumanLabel, Study
from studio.services import annotation
from studio.services.annotation.queue import claim_for
from studio.services.studies import StudyRefused, create_study, open_labeling
from tests.studies.factories import pairs_dataset, people

pytestmark = pytest.mark.django_db
BODY = {"template": "blog-gender", "name": "api study", "icm_pool_size": 8, "people_train_size": 4, "test_size": 4,
        "annotators_per_item": 1}


@pytest.fixture
def study(admin_user):
    ds = pairs_dataset(train_pairs=8, test_pairs=4)
    people(ds, 3)  # person0, person1 in the study; person2 annotates the dataset but is not in it
    return create_study(ds, "blog-gender", {"name": "tiny", "icm_pool_size": 8, "people_train_size": 4,
                                            "test_size": 4, "annotators_per_item": 2,
                                            "annotators": ["person0", "person1"]}, user=admin_user)


def _api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_hold_taken_before_labeling_opened_does_not_let_an_outsider_label_the_study(study, admin_user):
    outsider = study.annotators.model.objects.get(username="person2")
    insider = study.annotators.get(username="person0")
    item, other_item = (Example.objects.select_related("dataset").get(pk=pk) for pk in study.people_item_ids[:2])
    now = timezone.now()
    claim_for(outsider, item, now)  # handed out while the queue still served the whole dataset
    claim_for(insider, other_item, now)
    open_labeling(study, user=admin_user)
    assert not AnnotationClaim.objects.filter(annotator=outsider).exists()  # their hold on a study item ended
    assert AnnotationClaim.objects.filter(annotator=insider).exists()
    claim_for(outsider, item, now)  # even with a hold (written around the queue), the label is refused
    with pytest.raises(annotation.AnnotationError):
        annotation.submit_label(outsider, item, True)
    assert not HumanLabel.objects.filter(annotator=outsider).exists()


def test_a_misspelt_option_is_refused_by_name(admin_user):
    ds = pairs_dataset(train_pairs=8, test_pairs=4)
    people(ds, 1)
    response = _api(admin_user).post("/api/studies/", {**BODY, "dataset": ds.pk, "anotators": ["person0"]},
                                     format="json")
    assert response.status_code == 400
    assert "anotators" in response.json()
    assert not Study.objects.exists()  # not a study open to everyone instead


def test_a_study_asks_for_no_more_repeats_than_its_evaluation_runs(admin_user):
    ds = pairs_dataset(train_pairs=8, test_pairs=4)
    with pytest.raises(StudyRefused) as refused:
        create_study(ds, "blog-gender", {"name": "many repeats", "icm_pool_size": 8, "people_train_size": 4,
                                         "test_size": 4, "annotators_per_item": 1, "repeats": 11}, user=admin_user)
    assert refused.value.field == "repeats" and "from 1 to 10" in str(refused.value)


def test_list_responses_leave_out_the_item_id_lists(study, admin_user):
    listed = _api(admin_user).get("/api/studies/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert rows and not {"icm_pool_ids", "people_train_ids", "test_ids"} & set(rows[0])
    one = _api(admin_user).get(f"/api/studies/{study.pk}/").json()
    assert one["test_ids"] == study.test_ids and one["people_train_ids"] == study.people_train_ids


def test_an_open_study_sends_no_id_lists_with_the_labeling_pages_queries(study, admin_user, client):
    """Every annotation request asks the queue; it read the study's items as a list of ids sent with each query
    (up to 200,000: annotation pages several times slower while labeling was open). Now the database reads them
    from the study's row."""
    import re

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    open_labeling(study, user=admin_user)
    client.force_login(study.annotators.get(username="person0"))
    base = f"/annotate/{study.dataset.slug}"
    with CaptureQueriesContext(connection) as queries:
        shown = client.post(f"{base}/next/").json()["example"]
        saved = client.post(f"{base}/label/", {"example": shown["id"], "label": True, "seconds": 1},
                            content_type="application/json")
        page = client.get(f"{base}/")
    assert saved.status_code == 201 and page.status_code == 200
    assert shown["id"] in study.people_item_ids
    id_list = re.compile(r"IN \((?:\s*\d+\s*,){10,}")
    assert not [q["sql"][:200] for q in queries.captured_queries if id_list.search(q["sql"])]
    client.force_login(admin_user)  # the study page's poll counts the same items
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/studies/{study.pk}/state.json").status_code == 200
    assert not [q["sql"][:200] for q in queries.captured_queries if id_list.search(q["sql"])]


def test_the_labeling_page_of_a_text_dataset_opens_while_its_study_labels(admin_user, client):
    """Found by benchmarks/study_scale.py: with a study's labeling open on a dataset that is not pairs, every
    labeling page and every label answered 500 (the header's count of complete items read a list only the pairs'
    branch built)."""
    from tests.review.factories import sst2_review_dataset

    ds = sst2_review_dataset(train=8, test=4)
    p0, p1 = people(ds, 2)
    study = create_study(ds, "custom", {"name": "text study", "icm_pool_size": 4, "people_train_size": 2,
                                        "test_size": 2, "annotators_per_item": 2}, user=admin_user)
    open_labeling(study, user=admin_user)
    first = annotation.next_example(p1, ds)
    annotation.submit_label(p1, first, True)
    client.force_login(p0)
    shown = client.post(f"/annotate/{ds.slug}/next/").json()["example"]
    assert shown["id"] == first.pk  # the queue finishes started items first
    saved = client.post(f"/annotate/{ds.slug}/label/", {"example": first.pk, "label": False, "seconds": 1},
                        content_type="application/json")
    page = client.get(f"/annotate/{ds.slug}/")
    assert first.pk in study.people_item_ids and saved.status_code == 201 and page.status_code == 200
    header = saved.json()["progress"]  # the study's 4 items, 2 people each; the first has both labels now
    assert (header["examples"], header["labels"], header["needed"], header["complete_examples"]) == (4, 2, 8, 1)
    assert b'id="ann-labels">2<' in page.content
