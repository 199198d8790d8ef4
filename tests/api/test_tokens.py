"""Token and session authentication, and the profile page where people create and revoke their tokens."""
import re

from rest_framework.test import APIClient

from studio.models import ApiToken


def test_token_auth_and_revocation(world):
    client = world.client("reviewer")
    assert client.get("/api/datasets/").status_code == 200
    token = ApiToken.objects.get(user=world.users["reviewer"])
    assert token.last_used_at is not None
    assert token.key_hash != world.keys["reviewer"] and world.keys["reviewer"] not in token.key_hash
    token.delete()
    refused = client.get("/api/datasets/")
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]
    assert refused["WWW-Authenticate"] == "Token"


def test_bad_tokens_are_refused(world):
    for header in ("Token icm_not-a-real-key", "Token", "Token a b", "Bearer whatever"):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=header)
        assert client.get("/api/datasets/").status_code == 401, header


def test_inactive_users_token_is_refused(world):
    user = world.users["reviewer"]
    user.is_active = False
    user.save()
    assert world.client("reviewer").get("/api/datasets/").status_code == 401


def test_session_auth_for_the_browser_needs_csrf_on_writes(world):
    client = APIClient(enforce_csrf_checks=True)
    assert client.login(username="boss", password="pw-boss-12345")
    assert client.get("/api/datasets/").status_code == 200
    refused = client.post("/api/datasets/", {"name": "Via browser", "prompt_template": "T: {t}"}, format="json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]


def test_profile_page_creates_shows_once_and_revokes(world, client):
    client.login(username="ann", password="pw-ann-12345")
    page = client.get("/account/")
    assert page.status_code == 200 and b"API tokens" in page.content
    created = client.post("/account/tokens/", {"name": "my pipeline"}, follow=True)
    html = created.content.decode()
    key = re.search(r'<code id="new-token-key">([^<]+)</code>', html).group(1)
    assert "my pipeline" in html
    # The key works for the API, and is not shown again on the next visit.
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/human-labels/").status_code == 200
    assert key not in client.get("/account/").content.decode()
    token = ApiToken.objects.get(user=world.users["annotator"], name="my pipeline")
    revoked = client.post(f"/account/tokens/{token.pk}/revoke/", follow=True)
    assert b"revoked" in revoked.content
    assert api.get("/api/human-labels/").status_code == 401


def test_profile_refuses_bad_names_and_others_tokens(world, client):
    client.login(username="ann", password="pw-ann-12345")
    before = ApiToken.objects.count()
    page = client.post("/account/tokens/", {"name": "   "}, follow=True)
    assert b"Give the token a name" in page.content
    page = client.post("/account/tokens/", {"name": "tests"}, follow=True)  # the fixture's token is "tests"
    assert b"already have a token named" in page.content
    someone_elses = ApiToken.objects.get(user=world.users["admin"])
    page = client.post(f"/account/tokens/{someone_elses.pk}/revoke/", follow=True)
    assert b"no such token" in page.content
    assert ApiToken.objects.count() == before
    assert world.client("admin").get("/api/datasets/").status_code == 200


def test_profile_needs_login(client):
    response = client.get("/account/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_admin_creates_token_for_a_user(world, client):
    client.login(username="boss", password="pw-boss-12345")
    response = client.post("/admin/studio/apitoken/add/", {"user": world.users["reviewer"].pk, "name": "from admin"},
                           follow=True)
    assert response.status_code == 200
    key = re.search(r"(icm_[A-Za-z0-9_-]+)", response.content.decode()).group(1)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get(f"/api/datasets/{world.a.pk}/metrics/?split=train").status_code == 200
