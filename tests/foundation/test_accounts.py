"""Issue 16 #11: no anonymous password-reset flow without mail; wrong passwords are throttled (django-axes);
a password change — by the person, by a reset link, by an admin — revokes the user's API tokens."""
import importlib

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import clear_url_caches
from rest_framework.test import APIClient

from studio.services import api_tokens

pytestmark = pytest.mark.django_db
PASSWORD = "pw-accounts-12345"


@pytest.fixture
def person():
    return get_user_model().objects.create_user("person", password=PASSWORD)


def _reload_urls():
    import studio.urls
    import studio.views.auth_urls

    importlib.reload(studio.views.auth_urls)
    importlib.reload(studio.urls)
    clear_url_caches()


@pytest.fixture
def mail_configured(settings):
    settings.EMAIL_HOST = "smtp.example.org"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    _reload_urls()
    yield
    settings.EMAIL_HOST = ""
    _reload_urls()


def test_no_password_reset_without_mail(client):
    for path in ("/accounts/password_reset/", "/accounts/password_reset/done/", "/accounts/reset/done/"):
        assert client.get(path).status_code == 404, path
    assert client.get("/accounts/login/").status_code == 200


def test_password_reset_is_routed_when_mail_is_configured(client, mail_configured):
    assert client.get("/accounts/password_reset/").status_code == 200


def _login(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_many_wrong_passwords_then_the_right_one_is_refused(person, django_user_model):
    client = Client()
    for _ in range(30):
        _login(client, "person", "wrong-password")
    response = _login(client, "person", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # Another person at the same address is not locked out by it.
    django_user_model.objects.create_user("other", password=PASSWORD)
    assert _login(Client(), "other", PASSWORD).status_code == 302


def test_a_few_wrong_passwords_do_not_lock_out(person):
    client = Client()
    for _ in range(3):
        assert _login(client, "person", "wrong-password").status_code == 200
    assert _login(client, "person", PASSWORD).status_code == 302


def _token_works(key) -> bool:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api.get("/api/datasets/").status_code == 200


def test_changing_ones_password_revokes_ones_tokens(person):
    _, key = api_tokens.create_token(person, "script")
    assert _token_works(key)
    client = Client()
    client.force_login(person)
    response = client.post("/accounts/password_change/", {"old_password": PASSWORD, "new_password1": "n3w-Pass-98765",
                                                          "new_password2": "n3w-Pass-98765"})
    assert response.status_code == 302
    assert not _token_works(key) and not person.api_tokens.exists()


def test_an_admin_changing_a_password_revokes_that_users_tokens(person, admin_user):
    _, key = api_tokens.create_token(person, "script")
    _, admin_key = api_tokens.create_token(admin_user, "admin script")
    client = Client()
    client.force_login(admin_user)
    response = client.post(f"/admin/auth/user/{person.pk}/password/",
                           {"password1": "n3w-Pass-98765", "password2": "n3w-Pass-98765", "usable_password": "true"})
    assert response.status_code == 302, response.content[:500]
    assert not _token_works(key)
    assert _token_works(admin_key)  # only that user's tokens


def test_a_reset_link_revokes_the_tokens(person, mail_configured):
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    _, key = api_tokens.create_token(person, "script")
    client = Client()
    uid = urlsafe_base64_encode(force_bytes(person.pk))
    response = client.get(f"/accounts/reset/{uid}/{default_token_generator.make_token(person)}/")
    assert response.status_code == 302  # to the same URL with the token swapped for a session marker
    response = client.post(response["Location"], {"new_password1": "n3w-Pass-98765", "new_password2": "n3w-Pass-98765"})
    assert response.status_code == 302
    assert not _token_works(key)
