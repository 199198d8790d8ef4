"""Creating, revoking and checking named API tokens. Keys are shown once; only their SHA-256 is stored."""
import hashlib
import secrets
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from studio.models import ApiToken
from studio.services.refusals import Refusal

KEY_PREFIX = "icm_"
MAX_TOKENS_PER_USER = 50
# last_used_at is written at most this often per token, so reads do not turn into a write per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenError(Refusal, ValueError):
    """A token request that cannot be honoured; the message says why."""


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_token(user, name: str) -> tuple[ApiToken, str]:
    """A new token for `user`; returns it with its key (the only time the key is available)."""
    name = (name or "").strip()
    if not name:
        raise TokenError("Give the token a name, e.g. 'training pipeline'.", "name")
    if len(name) > 100:
        raise TokenError(f"The token name is {len(name)} characters long; at most 100 are allowed.", "name")
    if ApiToken.objects.filter(user=user).count() >= MAX_TOKENS_PER_USER:
        raise TokenError(f"You already have {MAX_TOKENS_PER_USER} tokens; revoke one first.", kind="conflict")
    key = KEY_PREFIX + secrets.token_urlsafe(30)
    try:
        with transaction.atomic():
            token = ApiToken.objects.create(user=user, name=name, prefix=key[:10], key_hash=hash_key(key))
    except IntegrityError:
        raise TokenError(f"You already have a token named '{name}'.", "name", kind="conflict") from None
    return token, key


def revoke_token(user, token_id) -> ApiToken:
    """Delete one of `user`'s own tokens; another user's token id reads as unknown."""
    token = ApiToken.objects.filter(user=user, pk=token_id).first()
    if token is None:
        raise TokenError("There is no such token among yours.", kind="not_found")
    token.delete()
    return token


def revoke_all_tokens(user) -> int:
    """Delete every token of `user` (their password changed: scripts must be given new keys); how many."""
    deleted, _ = ApiToken.objects.filter(user=user).delete()
    return deleted


def user_for_key(key: str):
    """The active user a key belongs to, or None. Records when the token was last used."""
    if not key or not key.startswith(KEY_PREFIX):
        return None
    token = ApiToken.objects.select_related("user").filter(key_hash=hash_key(key)).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
