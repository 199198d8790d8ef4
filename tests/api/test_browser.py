"""In Debian's Chromium: a person creates an API token on their profile page, a script uses it, the person
revokes it; and the API docs (Swagger UI) render from the studio's own static files, no CDN."""
import json
import urllib.error
import urllib.request
from urllib.parse import urlparse

import pytest
from django.contrib.auth import get_user_model

from studio.models import Dataset, Membership

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "pw-browser-12345"


def api_status(live_server, key: str, path: str = "/api/datasets/") -> tuple[int, object]:
    request = urllib.request.Request(f"{live_server.url}{path}", headers={"Authorization": f"Token {key}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, None


def test_create_use_and_revoke_a_token_then_browse_the_docs(browser, live_server, artifacts_dir):
    user = get_user_model().objects.create_user("tokenuser", password=PASSWORD)
    dataset = Dataset.objects.create(name="Browser claims", slug="browser-claims", prompt_template="C: {c}")
    Membership.objects.create(user=user, dataset=dataset, role="reviewer")

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    outside = []
    host = urlparse(live_server.url).netloc
    page.on("request", lambda r: urlparse(r.url).netloc not in (host, "") and outside.append(r.url))

    page.goto(f"{live_server.url}/accounts/login/?next=/account/")
    page.fill("#id_username", "tokenuser")
    page.fill("#id_password", PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_url("**/account/")
    page.fill("input[name=name]", "nightly export")
    page.click("text=Create token")
    key = page.inner_text("#new-token-key").strip()
    page.screenshot(path=str(artifacts_dir / "api-token-created.png"), full_page=True)
    assert "nightly export" in page.inner_text("#token-list")

    status, body = api_status(live_server, key)
    assert status == 200 and [d["name"] for d in body] == ["Browser claims"]

    page.reload()
    assert not page.is_visible("#new-token-key"), "the key is shown once"
    page.click("button[aria-label='Revoke nightly export']")
    page.wait_for_selector("text=revoked")
    assert api_status(live_server, key)[0] == 401

    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "ICM Studio API" in page.inner_text(".swagger-ui .info .title")
    page.wait_for_selector("text=/api/runs/{id}/export/")
    page.screenshot(path=str(artifacts_dir / "api-docs.png"))
    assert outside == [], f"pages loaded assets from elsewhere: {outside}"
    context.close()
