"""Login throttling (django-axes) for logins over HTTP. Django's `authenticate()` without a request — the
test client's login(), a management command, a shell — is not a login attempt from anywhere: nothing to
throttle, so this backend steps aside instead of raising (axes' own backend refuses those calls).

Two limits (settings, AXES_* and LOGIN_*): LOGIN_FAILURE_LIMIT wrong passwords for one username from one
client address lock that pair; LOGIN_ADDRESS_FAILURE_LIMIT wrong passwords from one address across every
username (spraying) lock that address. Both last LOGIN_COOLOFF_MINUTES from the last failure before the lock;
failures while locked do not extend it. The address is the real client's behind TRUSTED_PROXY_COUNT proxies
(studio.client_ip)."""
from axes.backends import AxesStandaloneBackend
from axes.exceptions import AxesBackendPermissionDenied
from axes.helpers import get_client_ip_address, get_lockout_message
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.utils import timezone


def address_locked_out(request) -> bool:
    """Whether the request's client address has used up its failures across usernames (within the cool-off)."""
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    failures = (AccessAttempt.objects.filter(ip_address=get_client_ip_address(request), attempt_time__gte=since)
                .aggregate(n=Sum("failures_since_start"))["n"] or 0)
    return failures >= settings.LOGIN_ADDRESS_FAILURE_LIMIT


class LoginThrottle(AxesStandaloneBackend):
    def authenticate(self, request=None, username=None, password=None, **kwargs):
        if request is None:
            return None
        if address_locked_out(request):
            kwargs.get("response_context", {})["error"] = get_lockout_message()
            request.axes_locked_out = True  # the middleware answers 429; this failure is not recorded again
            raise AxesBackendPermissionDenied("too many failed logins from this address")
        return super().authenticate(request, username=username, password=password, **kwargs)
