"""No dead ends (issue 15): a refused or missing page is the studio's own page — its layout and navigation,
the reason the view gave when it gave one, and a way back home (and to the login page when logged out).
Tests run with DEBUG off, as production does, so these are the pages people get."""
import pytest
from django.conf import settings

from studio.models import Membership
from tests.support.datasets import make_sst2_dataset

pytestmark = pytest.mark.django_db


def _assert_studio_page(response, status: int) -> str:
    assert not settings.DEBUG
    assert response.status_code == status
    html = response.content.decode()
    assert 'class="topbar"' in html and "css/studio.css" in html, "the studio's layout"
    assert 'id="error-page"' in html and 'href="/" id="way-home"' in html, "a way back"
    return html


@pytest.fixture
def annotator(django_user_model):
    ds = make_sst2_dataset()
    user = django_user_model.objects.create_user("ann", password="ann-pass-123")
    Membership.objects.create(user=user, dataset=ds, role="annotator")
    return user


def test_an_unknown_address_gets_the_styled_404_with_a_way_back(client, annotator):
    client.force_login(annotator)
    html = _assert_studio_page(client.get("/no/such/page/"), 404)
    assert "Page not found" in html and "There is no page at <code>/no/such/page/</code>" in html
    assert 'id="error-message"' not in html, "the URL resolver gives no reason worth showing"
    assert ">Annotate</a>" in html and ">ann</a>" in html, "the navigation of a logged-in user"


def test_a_404_shows_the_reason_the_view_gave(client, annotator):
    client.force_login(annotator)
    html = _assert_studio_page(client.get("/review/sst-2-dev-sample/"), 404)  # an annotator, not a reviewer
    assert '<p class="error" id="error-message">No dataset you can review has that name.</p>' in html


def test_a_403_shows_the_refusal_and_who_is_signed_in(client, annotator):
    client.force_login(annotator)
    html = _assert_studio_page(client.get("/runs/start/"), 403)
    assert "You don't have access to this" in html
    assert '<p class="error" id="error-message">Only admins start and cancel runs.</p>' in html
    assert "Signed in as ann" in html and "ask a studio admin" in html


def test_a_logged_out_visitor_is_offered_the_login_page(client):
    html = _assert_studio_page(client.get("/nothing-here/"), 404)
    assert 'href="/accounts/login/?next=/nothing-here/"' in html


def test_the_path_is_escaped_on_the_404_page(client):
    html = _assert_studio_page(client.get("/x/<script>alert(1)</script>/"), 404)
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html


def test_the_api_still_answers_json(client, annotator):
    client.force_login(annotator)
    response = client.get("/api/no-such-resource/")
    assert response.status_code == 404 and response.json() == {"detail": "Not found."}


@pytest.mark.django_db(transaction=True)
def test_the_error_pages_in_a_browser(browser, live_server, artifacts_dir, django_user_model):
    """Chromium: an annotator opens /runs/ and a missing page, reads why, and goes back home by the link."""
    ds = make_sst2_dataset()
    user = django_user_model.objects.create_user("ann", password="ann-pass-123")
    Membership.objects.create(user=user, dataset=ds, role="annotator")
    page = browser.new_context(viewport={"width": 1100, "height": 700}).new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "ann")
    page.fill("#id_password", "ann-pass-123")
    page.press("#id_password", "Enter")
    page.wait_for_url(f"{live_server.url}/")

    response = page.goto(f"{live_server.url}/runs/")
    assert response.status == 403
    assert "You have no access to ICM runs" in page.inner_text("#error-message")
    assert page.is_visible(".topbar") and page.is_visible("#way-home")
    page.screenshot(path=str(artifacts_dir / "error-403-runs.png"), full_page=True)

    response = page.goto(f"{live_server.url}/runs/12345/")
    assert response.status == 404 and "No such run." in page.inner_text("#error-message")
    page.screenshot(path=str(artifacts_dir / "error-404-run.png"), full_page=True)
    page.click("#way-home")
    page.wait_for_url(f"{live_server.url}/")
    assert page.is_visible("text=" + ds.name)


def test_djangos_generic_not_found_sentence_is_not_shown(client, annotator):
    """get_object_or_404 says "No <Model> matches the given query.": a class name, not a reason for a person."""
    client.force_login(annotator)
    html = _assert_studio_page(client.get("/review/no-such-dataset/"), 404)
    assert "matches the given query" not in html and "There is no page at" in html
