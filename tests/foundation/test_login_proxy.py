"""Login throttling behind the documented proxy (TRUSTED_PROXY_COUNT=1: the proxy appends the address it saw to
X-Forwarded-For and connects from its own address). It keys on the real client, so one client's wrong passwords
do not lock a username for everyone; one client spraying guesses across usernames is locked out; failures while
locked out do not extend the lock; the password-change form's old password is throttled like a login."""
import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.test import Client

pytestmark = pytest.mark.django_db
PASSWORD = "pw-proxy-12345"
PROXY = "10.0.0.2"


@pytest.fixture(autouse=True)
def behind_one_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1


@pytest.fixture
def person():
    return get_user_model().objects.create_user("person", password=PASSWORD)


def _client(address: str, spoofed: str = "") -> Client:
    """A browser at `address`, reaching the studio through the proxy; `spoofed`: what it wrote into
    X-Forwarded-For itself (the proxy appends the real address after it)."""
    forwarded = f"{spoofed}, {address}" if spoofed else address
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)


def _login(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_ten_wrong_passwords_from_one_client_do_not_lock_the_username_for_another(person):
    guesser = _client("203.0.113.5")
    statuses = [_login(guesser, "person", "wrong-password").status_code for _ in range(10)]
    assert statuses == [200] * 9 + [429]  # the tenth locks that client out of that username
    assert _login(guesser, "person", PASSWORD).status_code == 429
    assert _login(_client("198.51.100.7"), "person", PASSWORD).status_code == 302  # the owner elsewhere is not
    # a client cannot escape by writing its own X-Forwarded-For: the proxy's entry is the one believed
    assert _login(_client("203.0.113.5", spoofed="192.0.2.99"), "person", PASSWORD).status_code == 429


def test_forty_guesses_across_usernames_from_one_client_are_throttled(person, settings):
    statuses = [_login(_client("203.0.113.9", spoofed=f"192.0.2.{k}"), f"user{k}", "guess").status_code
                for k in range(40)]
    assert statuses[:settings.LOGIN_ADDRESS_FAILURE_LIMIT] == [200] * settings.LOGIN_ADDRESS_FAILURE_LIMIT
    assert set(statuses[settings.LOGIN_ADDRESS_FAILURE_LIMIT:]) == {429}
    assert _login(_client("203.0.113.9"), "person", PASSWORD).status_code == 429  # even the right one, from there
    assert _login(_client("198.51.100.7"), "person", PASSWORD).status_code == 302


def test_failures_while_locked_out_do_not_extend_the_lock(person):
    guesser = _client("203.0.113.5")
    for _ in range(10):
        _login(guesser, "person", "wrong-password")
    locked_at = AccessAttempt.objects.get(username="person").attempt_time
    for _ in range(5):
        assert _login(guesser, "person", "wrong-password").status_code == 429
    attempt = AccessAttempt.objects.get(username="person")
    assert (attempt.attempt_time, attempt.failures_since_start) == (locked_at, 10)


def test_the_password_change_form_is_throttled(person):
    client = _client("203.0.113.5")
    client.force_login(person)
    new = "n3w-Pass-98765"

    def change(old):
        return client.post("/accounts/password_change/", {"old_password": old, "new_password1": new,
                                                          "new_password2": new})

    statuses = [change("wrong-password").status_code for _ in range(10)]
    assert statuses == [200] * 9 + [429]  # the form again with its error; the tenth guess locks, as a login's does
    refused = change(PASSWORD)  # the right one, after ten guesses
    assert refused.status_code == 200 and "too many login attempts" in refused.content.decode()
    person.refresh_from_db()
    assert person.check_password(PASSWORD)
