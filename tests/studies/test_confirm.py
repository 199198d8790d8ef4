"""Every start path of a study asks for confirmation above STUDIO_CONFIRM_RUN_SECONDS, as runs do: the study
page (a checkbox beside the button, the estimate in its words), the Django admin's actions (not started; the
message sends the admin to the study page) and the API (409 with the estimate until confirm=true; in
test_api_drive.py). Unconfirmed, nothing is started. The limit is set to 0 s here so any estimate is "long"."""
import pytest
from django.utils import timezone

from studio.models import ElicitationRun, Evaluation, Study
from studio.services import annotation
from studio.services.studies import create_study, open_labeling, start_icm
from tests.studies.factories import pairs_dataset, people

pytestmark = pytest.mark.django_db


@pytest.fixture
def study(admin_user, settings):
    settings.STUDIO_CONFIRM_RUN_SECONDS = 0
    ds = pairs_dataset(train_pairs=8, test_pairs=4)
    people(ds, 1)
    return create_study(ds, "blog-gender", {"name": "long", "design": "reduced", "annotators_per_item": 1},
                        user=admin_user)


def _ready_for_evaluation(study, admin_user, django_user_model):
    open_labeling(study, user=admin_user)
    person = django_user_model.objects.get(username="person0")
    while (ex := annotation.next_example(person, study.dataset)) is not None:
        annotation.submit_label(person, ex, True)
    run = start_icm(study, user=admin_user, confirmed=True)
    ElicitationRun.objects.filter(pk=run.pk).update(state=ElicitationRun.State.COMPLETED, finished_at=timezone.now())


def test_the_study_page_asks_before_a_long_icm_run_and_evaluation(client, admin_user, study, django_user_model):
    client.force_login(admin_user)
    page = client.get(f"/studies/{study.pk}/").content.decode()
    assert 'data-confirm="start_icm"' in page and "start it anyway" in page
    refused = client.post(f"/studies/{study.pk}/start_icm/", follow=True).content.decode()
    assert "confirm to start it" in refused and ElicitationRun.objects.count() == 0
    client.post(f"/studies/{study.pk}/start_icm/", {"confirm": "yes"})
    assert Study.objects.get(pk=study.pk).run is not None

    ElicitationRun.objects.update(state=ElicitationRun.State.COMPLETED, finished_at=timezone.now())
    open_labeling(study, user=admin_user)
    person = django_user_model.objects.get(username="person0")
    while (ex := annotation.next_example(person, study.dataset)) is not None:
        annotation.submit_label(person, ex, True)
    page = client.get(f"/studies/{study.pk}/").content.decode()
    assert 'data-confirm="start_evaluation"' in page
    refused = client.post(f"/studies/{study.pk}/start_evaluation/", follow=True).content.decode()
    assert "The study&#x27;s evaluation would take" in refused and Evaluation.objects.count() == 0
    client.post(f"/studies/{study.pk}/start_evaluation/", {"confirm": "yes"})
    assert Study.objects.get(pk=study.pk).evaluation is not None


def test_the_admin_actions_do_not_start_a_long_step_unconfirmed(client, admin_user, study, django_user_model):
    client.force_login(admin_user)
    response = client.post("/admin/studio/study/", {"action": "start_icm", "_selected_action": [study.pk]},
                           follow=True).content.decode()
    assert "not started" in response and "confirm to start it" in response and f"/studies/{study.pk}/" in response
    assert ElicitationRun.objects.count() == 0
    _ready_for_evaluation(study, admin_user, django_user_model)
    response = client.post("/admin/studio/study/", {"action": "start_evaluation", "_selected_action": [study.pk]},
                           follow=True).content.decode()
    assert "not started" in response and Evaluation.objects.count() == 0


def test_short_steps_start_without_asking(client, admin_user, study, settings):
    settings.STUDIO_CONFIRM_RUN_SECONDS = 10 ** 9
    client.force_login(admin_user)
    assert 'data-confirm="start_icm"' not in client.get(f"/studies/{study.pk}/").content.decode()
    client.post(f"/studies/{study.pk}/start_icm/")
    assert Study.objects.get(pk=study.pk).run is not None


def test_a_canceled_run_is_shown_as_canceled_and_re_runs_with_other_settings(client, admin_user, study):
    client.force_login(admin_user)
    first = start_icm(study, user=admin_user, confirmed=True)
    ElicitationRun.objects.filter(pk=first.pk).update(state=ElicitationRun.State.CANCELED, finished_at=timezone.now())
    page = client.get(f"/studies/{study.pk}/").content.decode()
    assert 'data-step="icm" data-state="canceled"' in page and 'data-rerun="icm"' in page
    assert "Re-run with these settings" in page
    bad = client.post(f"/studies/{study.pk}/start_icm/", {"settings": '{"iterations": "lots"}', "confirm": "yes"},
                      follow=True).content.decode()
    assert "settings:" in bad and ElicitationRun.objects.count() == 1
    client.post(f"/studies/{study.pk}/start_icm/", {"settings": '{"iterations": 2}', "confirm": "yes"})
    study.refresh_from_db()
    assert study.run_id != first.pk and study.run.config["iterations"] == 2
    assert study.settings["iterations"] == 2 and study.settings["max_demos"] == 4  # the design's others kept


def test_the_top_bar_links_studies_and_the_page_says_what_each_side_reads(client, admin_user, study):
    client.force_login(admin_user)
    page = client.get(f"/studies/{study.pk}/").content.decode()
    assert 'data-nav="studies"' in page
    assert "people see whole posts" in page and "Design: reduced design (for this deployment)" in page
    assert f'href="/review/{study.dataset.slug}/"' in page
