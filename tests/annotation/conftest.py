import pytest


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Many logins here; the production hasher's deliberate slowness only costs test time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
