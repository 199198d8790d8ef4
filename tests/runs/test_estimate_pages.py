"""The start form (studio page and admin) with batch sizes, estimates, coverage warnings and the confirmation
a long run asks for (no worker here: the queued tasks are not run)."""
import pytest

from studio.models import ElicitationRun, RunBatch

from tests.runs.test_pages import _form_data
from tests.support.datasets import make_sst2_dataset

pytestmark = pytest.mark.django_db

START_URLS = ["/runs/start/", "/admin/studio/elicitationrun/start/"]


@pytest.mark.parametrize("url", START_URLS)
def test_a_run_above_the_limit_asks_for_confirmation_and_starts_once_confirmed(client, admin_user, settings, url):
    """Forty sentences, 100 iterations: minutes at the default throughput, above a one-minute limit; and too few
    iterations to draw every sentence once (about 171 would)."""
    settings.STUDIO_CONFIRM_RUN_SECONDS = 60
    dataset = make_sst2_dataset(name="Forty", n=40)
    client.force_login(admin_user)
    asked = client.post(url, _form_data(dataset, cfg_iterations=100))
    html = asked.content.decode()
    assert asked.status_code == 200
    assert "I understand this run will take about" in html and 'name="confirm"' in html
    assert "Estimated duration:</strong> about" in html and "default, no earlier runs of this model" in html
    assert "Coverage:</strong> 100 iterations are too few to visit every example" in html  # from the same plan
    assert not ElicitationRun.objects.exists() and not RunBatch.objects.exists()

    started = client.post(url, _form_data(dataset, cfg_iterations=100, confirm="on"))
    run = ElicitationRun.objects.get()
    assert started.status_code == 302 and started["Location"] == f"/runs/{run.pk}/"
    assert run.summary["estimate"]["needs_confirmation"] is True and run.config["iterations"] == 100


def test_a_run_under_the_limit_starts_at_once_and_says_its_estimate_and_coverage(client, admin_user, sst2_dataset):
    client.force_login(admin_user)
    page = client.post("/runs/start/", _form_data(sst2_dataset), follow=True)
    run = ElicitationRun.objects.get()
    html = page.content.decode()
    assert page.redirect_chain[-1][0] == f"/runs/{run.pk}/"
    assert f"Run #{run.pk} queued on {sst2_dataset.name}. Estimated: " in html and "model tokens at" in html
    assert "Coverage: 4 iterations are too few to visit every example" in html


def test_estimate_first_shows_the_plan_without_starting(client, admin_user, sst2_dataset):
    client.force_login(admin_user)
    page = client.post("/runs/start/", _form_data(sst2_dataset, preview="1", batch_size="4"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Estimated duration:" in html and "8 examples in 2 batches of up to 4" in html
    assert "I understand" not in html  # under the limit: nothing to confirm
    assert not ElicitationRun.objects.exists()


@pytest.mark.parametrize("url", START_URLS)
def test_the_form_takes_a_batch_size(client, admin_user, sst2_dataset, url):
    client.force_login(admin_user)
    assert 'name="batch_size"' in client.get(url).content.decode()
    client.post(url, _form_data(sst2_dataset, batch_size="4"))
    run = ElicitationRun.objects.get()
    assert run.batch_size == 4 and run.batches.count() == 2


@pytest.mark.parametrize("value", ["0", "ten", "100001", "-2", "2.5"])
def test_a_bad_batch_size_is_shown_on_its_field_and_nothing_starts(client, admin_user, sst2_dataset, value):
    client.force_login(admin_user)
    page = client.post("/runs/start/", _form_data(sst2_dataset, batch_size=value))
    html = page.content.decode()
    assert page.status_code == 200
    assert "batch_size: a whole number of examples from 1 to 100000" in html
    assert not ElicitationRun.objects.exists() and not RunBatch.objects.exists()
