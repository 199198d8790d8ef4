"""ICM Studio settings, read from the environment.

With nothing set the studio runs on embedded defaults: an SQLite file and a Celery broker that
needs no server (kombu's filesystem transport under var/). `DATABASE_URL` and `REDIS_URL` switch it
to PostgreSQL and Redis, the production shape.
"""
import os
import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from .env import env_bool, env_fraction, env_int, env_list

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("STUDIO_VAR_DIR", BASE_DIR / "var"))

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if "pytest_django" in sys.modules:
        # These settings imported by pytest-django, inside a pytest run: a fixed test key. The processes tests
        # start (workers, commands) are not pytest: tests/conftest.py hands them this key as SECRET_KEY.
        SECRET_KEY = "insecure-test-key-only-inside-pytest-0123456789abcdef-0123456789"
    elif DEBUG:
        SECRET_KEY = "insecure-development-key-only-for-debug-0123456789abcdef"
    elif (VAR_DIR / "secret_key").is_file() and (VAR_DIR / "secret_key").read_text().strip():
        # The key `make demo` generated for this checkout (random, never in the repository): management
        # commands run by hand in the demo's folder use the demo's key.
        SECRET_KEY = (VAR_DIR / "secret_key").read_text().strip()
    else:
        raise ImproperlyConfigured(
            f"SECRET_KEY must be set when DEBUG is off: set it, or run `make demo` once (it generates one into "
            f"{VAR_DIR / 'secret_key'}, which the studio then reads)."
        )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI / ReDoc assets served locally, not from a CDN
    "axes",  # login throttling (AXES_* below)
    "studio.apps.StudioConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "studio.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # answers a locked-out login with 429
]

# --- Logins: too many wrong passwords for one username from one address lock that pair out for a while,
# and too many from one address across usernames lock that address (studio.auth_backends) ---
AUTHENTICATION_BACKENDS = ["studio.auth_backends.LoginThrottle", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # no "AXES: BEGIN version ..." line at every process start (lock-outs are still logged)
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # failures while locked out do not extend the lock
# one client address across every username (spraying): studio.auth_backends.LoginThrottle
LOGIN_ADDRESS_FAILURE_LIMIT = env_int("LOGIN_ADDRESS_FAILURE_LIMIT", 30)
# The client's address: REMOTE_ADDR, or behind this many proxies that append to X-Forwarded-For, the address
# the outermost one saw (studio.client_ip). 0 unless every request comes through exactly that many proxies.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "studio.client_ip.client_ip"

# --- Mail: the password reset flow is routed only when EMAIL_HOST is set (studio/views/auth_urls.py) ---
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "webmaster@localhost")

ROOT_URLCONF = "studio.urls"
WSGI_APPLICATION = "studio.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "studio.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'studio.sqlite3'}",
        conn_max_age=env_int("DB_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Several processes (web + worker) and the web server's threads share the file: writers queue instead of
    # failing with "database is locked". WAL lets readers go on while one writes; every transaction takes the
    # write lock when it begins (BEGIN IMMEDIATE), so none fails trying to upgrade a read to a write; and a
    # writer waits up to SQLITE_BUSY_SECONDS for the lock.
    DATABASES["default"].setdefault("OPTIONS", {}).update({
        "timeout": env_int("SQLITE_BUSY_SECONDS", 60),
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    })

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = VAR_DIR / "media"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Security (production: DEBUG off). `manage.py check --deploy` passes with these. ---
SECURE_HSTS_SECONDS = 0 if DEBUG else env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
# Behind a TLS-terminating proxy in production set SECURE_SSL_REDIRECT=1 (check --deploy asks for it).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
# X-Forwarded-Proto is believed only when TRUST_X_FORWARDED_PROTO=1: set it only where a proxy that sets the
# header is the app's sole client (docker/compose.yml publishes gunicorn on 127.0.0.1 for that proxy).
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", SECURE_SSL_REDIRECT)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", SECURE_SSL_REDIRECT)
X_FRAME_OPTIONS = "DENY"
# Sent on every response by studio/csp.py (its DEFAULT_POLICY); CONTENT_SECURITY_POLICY="" sends none.
CONTENT_SECURITY_POLICY = os.environ.get("CONTENT_SECURITY_POLICY")  # unset: the default policy
SECURE_CONTENT_TYPE_NOSNIFF = True

# --- Celery ---
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    # With acks_late, Redis re-delivers a task whose worker vanished after this many seconds.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600)}
else:
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = None
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {"studio.tasks.elicitation.*": {"queue": "gpu"}, "studio.tasks.evaluation.*": {"queue": "gpu"}}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- The bundled model / engine ---
STUDIO_MODEL = os.environ.get("STUDIO_MODEL", "smollm2")
STUDIO_MODEL_DEVICE = os.environ.get("STUDIO_MODEL_DEVICE", "auto")
# Hosts ("host" or "host:port", comma-separated) an OpenAI-compatible backend may be on: the worker sends its
# OPENAI_API_KEY there. Empty: no such backend may be used.
STUDIO_BACKEND_HOSTS = env_list("STUDIO_BACKEND_HOSTS", [])
# A run's model given as a path must be inside this folder (names such as smollm2 need no path).
STUDIO_MODELS_DIR = Path(os.environ.get("STUDIO_MODELS_DIR", VAR_DIR / "models"))
# The trained measure's feature cache (issue 22): one vector per (model fingerprint, prompt), reused by every
# later evaluation of that model. Workers that share a cache share this folder.
STUDIO_FEATURES_DIR = Path(os.environ.get("STUDIO_FEATURES_DIR", VAR_DIR / "features"))
# Run estimates (studio/services/runs/estimates.py): the throughput assumed before any batch of a model has been
# measured on that kind of worker (model tokens per second; low, a CPU's), how many worker processes serve the gpu
# queue (batches run in parallel on them), and the estimated duration above which a person confirms a run.
# 200: the bundled SmolLM2-135M measured 105-112 tokens/s on one busy CPU core of the 2-core dev machine; the cost
# model overestimates tokens 1.3-3x (estimates.py), so the default is not far from what such a worker does.
STUDIO_DEFAULT_TOKENS_PER_SECOND = env_int("STUDIO_DEFAULT_TOKENS_PER_SECOND", 200)
STUDIO_RUN_WORKERS = env_int("STUDIO_RUN_WORKERS", 1)
STUDIO_CONFIRM_RUN_SECONDS = env_int("STUDIO_CONFIRM_RUN_SECONDS", 30 * 60)
# vLLM workers (engine_port/model_cache.py): the engine's context limit (unset: each run's longest prompt, rounded
# up) and the share of GPU memory the engine may take (weights + key/value cache).
STUDIO_VLLM_MAX_MODEL_LEN = env_int("STUDIO_VLLM_MAX_MODEL_LEN", 0) or None
STUDIO_VLLM_GPU_MEMORY_UTILIZATION = env_fraction("STUDIO_VLLM_GPU_MEMORY_UTILIZATION", 0.9)

# --- Input bounds (issue 16): imports, uploads, request bodies ---
IMPORT_MAX_FIELD_BYTES = int(os.environ.get("IMPORT_MAX_FIELD_BYTES", 1024 * 1024))  # one value of a row
IMPORT_MAX_ROW_BYTES = int(os.environ.get("IMPORT_MAX_ROW_BYTES", 8 * 1024 * 1024))  # one row / line of a file
IMPORT_MAX_VOTES_PER_ROW = int(os.environ.get("IMPORT_MAX_VOTES_PER_ROW", 1000))  # crowd votes (≤ 32,767)
ADMIN_IMPORT_MAX_BYTES = int(os.environ.get("ADMIN_IMPORT_MAX_BYTES", 64 * 1024 * 1024))  # the admin's upload form

# --- REST framework ---
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # The studio's named, hashed tokens (`Authorization: Token ...`), then the browser session.
        "studio.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # A service's Refusal (studio/services/refusals.py) answers its kind's status; see studio/api/errors.py.
    "EXCEPTION_HANDLER": "studio.api.errors.exception_handler",
    # JSON nested too deeply answers 400, not a RecursionError's 500 (studio/api/parsers.py).
    "DEFAULT_PARSER_CLASSES": ["studio.api.parsers.JSONParser", "rest_framework.parsers.FormParser",
                               "rest_framework.parsers.MultiPartParser"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ICM Studio API",
    "DESCRIPTION": "Datasets, human labels, ICM runs, elicited labels, review metrics and exports.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
