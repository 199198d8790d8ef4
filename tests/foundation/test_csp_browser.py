"""Issue 16 #10: every page is served with a Content-Security-Policy and still works under it, in Debian's
Chromium: no CSP violation reported on the login, home, runs, run, review, API docs (Swagger UI) and admin
pages, and the parts that need scripts (charts, Swagger UI) render."""
import pytest
from django.contrib.auth import get_user_model

from studio.models import ElicitationRun, ElicitedLabel, RunEvent
from studio.services import tallies

from tests.support.datasets import make_sst2_dataset

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "pw-csp-12345"

WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  e => window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline')));
"""


def test_pages_work_under_the_content_security_policy(browser, live_server, artifacts_dir):
    get_user_model().objects.create_user("cspadmin", password=PASSWORD, is_staff=True, is_superuser=True)
    ds = make_sst2_dataset()
    examples = list(ds.examples.order_by("position"))
    run = ElicitationRun.objects.create(dataset=ds, state="completed", fingerprint="csp", example_count=len(examples),
                                        labeled_count=len(examples), iteration=2, example_ids=[e.pk for e in examples])
    ElicitedLabel.objects.bulk_create([ElicitedLabel(run=run, example=e, label=i % 2 == 0, score=0.5 + i,
                                                     kind=ElicitedLabel.Kind.FILLED if i == 1 else ElicitedLabel.Kind.ELICITED)
                                       for i, e in enumerate(examples)])
    tallies.rebuild(ds)  # the labels above went past the services, as a finishing run's would not
    for i in (1, 2):
        RunEvent.objects.create(run=run, iteration=i, energy=-3.0 * i, labeled_count=len(examples), accuracy=0.5)

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(WATCH)
    page = context.new_page()
    page.set_default_timeout(15000)
    console = []
    page.on("console", lambda m: "Content Security Policy" in m.text and console.append(m.text))

    response = page.goto(f"{live_server.url}/accounts/login/")
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.fill("#id_username", "cspadmin")
    page.fill("#id_password", PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_url(f"{live_server.url}/")

    pages = [
        ("/", None),
        ("/runs/", None),
        (f"/runs/{run.pk}/", "canvas"),
        (f"/review/{ds.slug}/", "canvas"),
        (f"/review/{ds.slug}/runs/{run.pk}/", "canvas"),
        ("/api/docs/", ".swagger-ui .info .title"),
        ("/admin/", "#content"),
        ("/admin/studio/dataset/", "#result_list"),
        (f"/admin/studio/dataset/{ds.pk}/change/", "#dataset_form"),
        ("/admin/studio/dataset/import/", "form"),
        (f"/admin/studio/elicitationrun/start/?dataset={ds.pk}", "form"),
        (f"/runs/start/?dataset={ds.pk}", "form"),
        (f"/review/{ds.slug}/disagreements/", None),
        ("/account/", None),
    ]
    violations = {}
    for path, selector in pages:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        assert response.headers.get("content-security-policy"), path
        if selector:
            page.wait_for_selector(selector)
        page.wait_for_load_state("networkidle")
        found = page.evaluate("window.__csp")
        if found:
            violations[path] = found
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "ICM Studio API" in page.inner_text(".swagger-ui .info .title")
    page.screenshot(path=str(artifacts_dir / "csp-api-docs.png"), full_page=True)
    assert violations == {} and console == [], (violations, console)
