"""`Authorization: Token <key>` with the studio's named tokens (studio.models.ApiToken)."""
from rest_framework import authentication, exceptions

from studio.services.api_tokens import user_for_key


class ApiTokenAuthentication(authentication.TokenAuthentication):
    """Subclasses DRF's TokenAuthentication for its header parsing (and so drf-spectacular documents the
    `Token` scheme); the lookup is against hashed ApiToken rows instead of DRF's authtoken table."""

    keyword = "Token"

    def authenticate_credentials(self, key):
        user = user_for_key(key)
        if user is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        return (user, None)
