"""Smaller findings of the outside probe (issue 25): an evaluation's measured results are not editable in the
Django admin; annotators are not told how many ICM runs a dataset has."""
import pytest

from studio.models import ElicitationRun, Evaluation

from ..annotation.factories import make_annotator, make_dataset

pytestmark = pytest.mark.django_db


def test_an_evaluations_results_are_read_only_in_the_admin(admin_client):
    ds = make_dataset("Evaluated", n=4)
    evaluation = Evaluation.objects.create(dataset=ds, state=Evaluation.State.COMPLETED,
                                           results={"sources": [], "test_split": "train"})
    page = admin_client.get(f"/admin/studio/evaluation/{evaluation.pk}/change/")
    assert page.status_code == 200
    assert 'name="results"' not in page.content.decode()  # shown, not a form field
    edited = admin_client.post(f"/admin/studio/evaluation/{evaluation.pk}/change/",
                               {"dataset": ds.pk, "state": "completed", "results": '{"sources": ["forged"]}'})
    assert edited.status_code == 403
    evaluation.refresh_from_db()
    assert evaluation.results == {"sources": [], "test_split": "train"}
    assert admin_client.get("/admin/studio/evaluation/add/").status_code == 403


def test_annotators_do_not_see_run_counts_on_the_home_page(client, admin_client):
    ds = make_dataset("Counted runs", n=4)
    for k in range(3):
        ElicitationRun.objects.create(dataset=ds, state=ElicitationRun.State.COMPLETED, fingerprint=f"home-{k}")
    client.force_login(make_annotator("home-annotator", ds))
    annotator_page = client.get("/").content.decode()
    assert "Counted runs" in annotator_page and "3/3" not in annotator_page
    assert "3/3" in admin_client.get("/").content.decode()
