"""Where an OpenAI-compatible backend may send requests (and its API key): only to hosts on an allow-list,
never with credentials in the URL, never following a redirect. Plain standard library, no Django."""
from __future__ import annotations

import urllib.request
from collections.abc import Collection
from urllib.parse import urlsplit

from ..errors import BackendError


def _entry(text: str) -> tuple[str, int | None]:
    """An allow-list entry "host", "host:port" or "[v6]:port" as (hostname, port or None)."""
    try:
        parts = urlsplit("//" + text.strip())
        return (parts.hostname or "").lower(), parts.port
    except ValueError:
        return "", None


def host_of(url: str) -> tuple[str, int | None]:
    """(hostname, port) of an http(s) URL; refuses any other scheme and credentials in it."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise BackendError("base_url is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BackendError("base_url must be an http(s) URL with a host, e.g. http://vllm.internal:8000/v1")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise BackendError("base_url must not carry credentials (user:password@); the worker sends "
                           "OPENAI_API_KEY as a header")
    return parts.hostname.lower(), port


def check_url(url: str, allowed_hosts: Collection[str]) -> None:
    """Refuse a URL whose host is not on the allow-list: entries are "host" (any port) or "host:port"."""
    host, port = host_of(url)
    for entry in allowed_hosts:
        if not entry.strip():
            continue
        allowed_host, allowed_port = _entry(entry)
        if allowed_host == host and (allowed_port is None or allowed_port == port):
            return
    if not any(e.strip() for e in allowed_hosts):
        raise BackendError("no OpenAI-compatible backend host is allowed (set STUDIO_BACKEND_HOSTS)")
    raise BackendError(f"base_url host {host!r} is not in STUDIO_BACKEND_HOSTS")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect would carry the Authorization header to wherever the server points: refuse it."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        raise BackendError(f"the backend answered HTTP {code} (a redirect); redirects are not followed")


OPENER = urllib.request.build_opener(_NoRedirects)
