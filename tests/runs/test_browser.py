"""In Debian's Chromium: an admin starts a run from the Django admin and watches its page update, without a
reload, until the run completes on a real worker with the bundled model."""
import re

import pytest

from studio.models import ElicitationRun

from tests.support.datasets import make_sst2_dataset
from tests.support.workers import FAST_CONFIG

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_an_admin_starts_a_run_from_the_admin_and_watches_it_complete(browser, live_server, start_worker,
                                                                      admin_user, artifacts_dir):
    start_worker("browser")
    ds = make_sst2_dataset()
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.set_default_timeout(30_000)
    page.goto(f"{live_server.url}/admin/login/?next=/admin/studio/dataset/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "boss-pass-123")
    page.click("input[type=submit]")

    # The dataset list's action opens the start form.
    page.check(f'input[name="_selected_action"][value="{ds.pk}"]')
    page.select_option('select[name="action"]', "start_icm_run")
    page.click('button[name="index"]')
    page.wait_for_url(re.compile(r"/admin/studio/elicitationrun/start/"))
    assert page.input_value("#id_cfg_iterations") == "3000"  # the engine's default
    for name, value in FAST_CONFIG.items():
        page.fill(f"#id_cfg_{name}", str(value))
    page.click('input[type=submit][value="Start the run"]')
    page.wait_for_url(re.compile(r"/runs/\d+/$"))
    run = ElicitationRun.objects.get()
    assert page.url.endswith(f"/runs/{run.pk}/")

    # The page updates itself: a marker set now survives only if it never reloads.
    page.evaluate("window.__noReload = true")
    page.wait_for_function(
        "() => Number(document.querySelector('[data-field=iteration]').textContent) >= 1", timeout=480_000)
    assert page.text_content("[data-field=state_label]") == "Running"
    page.screenshot(path=str(artifacts_dir / "run-live-running.png"), full_page=True)

    # Functions, not expression strings: Playwright evals an expression in the page, which the CSP forbids.
    page.wait_for_function("() => document.querySelector('#run-live').dataset.done === '1'", timeout=600_000)
    assert page.evaluate("window.__noReload") is True
    assert page.text_content("[data-field=state_label]") == "Completed"
    assert page.text_content("[data-field=iteration]") == str(FAST_CONFIG["iterations"])
    assert page.locator("#labels-table tbody tr").count() == 8
    points = page.evaluate("Chart.getChart('chart-energy').data.datasets[0].data.length")
    accuracy_points = page.evaluate("Chart.getChart('chart-accuracy').data.datasets[0].data.length")
    assert points >= 2 and accuracy_points >= 2
    assert re.fullmatch(r"\d+(\.\d)?%", page.text_content("[data-field=accuracy]"))
    page.screenshot(path=str(artifacts_dir / "run-live-completed.png"), full_page=True)
    page.close()
