"""Content-Security-Policy header (Django 5.2 has none built in). The policy is the setting
CONTENT_SECURITY_POLICY; empty sends none. Pages load scripts only from the studio itself: there are no
inline scripts (page data travels in json_script blocks, which are not run), Swagger UI's start script is
served as a file (SpectacularSwaggerSplitView). Styles allow 'unsafe-inline' for style attributes
(progress bars' widths, the kappa heat map) and Swagger UI's <style>; a style cannot run code."""
from django.conf import settings

DEFAULT_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", None)
        self.policy = DEFAULT_POLICY if policy is None else policy

    def __call__(self, request):
        response = self.get_response(request)
        if self.policy:
            response.setdefault("Content-Security-Policy", self.policy)
        return response
