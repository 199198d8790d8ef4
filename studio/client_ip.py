"""The client's address, as login throttling sees it (AXES_CLIENT_IP_CALLABLE). Directly reachable: the peer
(REMOTE_ADDR). Behind TRUSTED_PROXY_COUNT proxies, each appending the address it received the request from to
X-Forwarded-For: the entry that many places from the right, the address the outermost trusted proxy saw.
Entries further left were written by the client and are never believed; a request carrying fewer entries than
there are proxies did not come through them, and counts as its peer."""
from __future__ import annotations

import ipaddress

from django.conf import settings


def client_ip(request) -> str:
    peer = request.META.get("REMOTE_ADDR", "")
    count = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0))
    if count <= 0:
        return peer
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    if len(hops) < count:
        return peer
    try:
        return str(ipaddress.ip_address(hops[-count]))
    except ValueError:  # not an address: no trusted proxy wrote that
        return peer
