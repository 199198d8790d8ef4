"""Screenshots of the review dashboard and of a run's curves, drawn by Chart.js in Debian's Chromium."""
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, live_server, username, password):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url(f"{live_server.url}/**")


def test_dashboard_and_run_curves_screenshots(browser, live_server, reviewed, admin_user, artifacts_dir):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    _login(page, live_server, "boss", "boss-pass-123")
    page.goto(f"{live_server.url}/review/{reviewed.dataset.slug}/")
    page.wait_for_selector("body[data-charts-ready='1']")
    assert page.locator("#sources-table tbody tr").count() >= 5
    assert page.locator("#comparison-chart").bounding_box()["height"] > 100
    page.screenshot(path=str(artifacts_dir / "review-dashboard.png"), full_page=True)

    page.goto(f"{live_server.url}/review/{reviewed.dataset.slug}/runs/{reviewed.run.pk}/")
    page.wait_for_selector("body[data-charts-ready='1']")
    assert page.locator("#curve-accuracy").bounding_box()["height"] > 100
    page.screenshot(path=str(artifacts_dir / "review-run-curves.png"), full_page=True)

    # the disagreement table, then one of its examples
    page.goto(f"{live_server.url}/review/{reviewed.dataset.slug}/disagreements/?split=test&b=crowd")
    assert page.locator("#disagreements tbody tr[data-example]").count() == 50
    page.screenshot(path=str(artifacts_dir / "review-disagreements.png"), full_page=True)
    page.locator("#disagreements tbody tr[data-example] a").first.click()
    page.wait_for_selector("#human-labels")
    assert page.locator("#human-labels tbody tr").count() >= 4  # the crowd's votes at least
    page.screenshot(path=str(artifacts_dir / "review-example.png"), full_page=True)
    assert not errors, errors
    page.close()
