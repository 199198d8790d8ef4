"""Container health check for the web service: the login page answers 200, asked the way the proxy asks
(first allowed host, forwarded as HTTPS so SECURE_SSL_REDIRECT does not bounce it)."""
import os
import sys
import urllib.request

host = (os.environ.get("ALLOWED_HOSTS") or "localhost").split(",")[0].strip()
if host == "*":
    host = "localhost"
elif host.startswith("."):  # a domain wildcard such as .example.org
    host = "www" + host
request = urllib.request.Request(
    "http://127.0.0.1:8000/accounts/login/", headers={"Host": host, "X-Forwarded-Proto": "https"}
)
try:
    with urllib.request.urlopen(request, timeout=5) as response:
        sys.exit(0 if response.status == 200 else 1)
except Exception as exc:  # noqa: BLE001 - any failure is "unhealthy"
    print(exc, file=sys.stderr)
    sys.exit(1)
