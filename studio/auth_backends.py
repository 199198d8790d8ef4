"""Login throttling (django-axes) for logins over HTTP. Django's `authenticate()` without a request — the
test client's login(), a management command, a shell — is not a login attempt from anywhere: nothing to
throttle, so this backend steps aside instead of raising (axes' own backend refuses those calls)."""
from axes.backends import AxesStandaloneBackend


class LoginThrottle(AxesStandaloneBackend):
    def authenticate(self, request=None, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
