"""Production settings: behind Caddy (TLS), PostgreSQL and Valkey from env.

`python manage.py check --deploy` with these settings reports nothing; a test
keeps it that way.
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import LOGGING, env

DEBUG = False

# Sessions, password-reset links and CSRF tokens are only as safe as this key:
# production refuses to start with a short, repetitive or published one.
SECRET_KEY = env("DJANGO_SECRET_KEY")
KNOWN_WEAK_SECRET_KEYS = {
    "change-me",
    "changeme",
    "secret",
    "dev-only-insecure-key-change-me-in-production-0123456789",
    "test-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
}
if (
    SECRET_KEY.strip().lower() in KNOWN_WEAK_SECRET_KEYS
    or len(SECRET_KEY) < 50
    or len(set(SECRET_KEY)) < 5
    or SECRET_KEY.startswith("django-insecure-")
):
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is too weak for production: use 50 or more random characters, e.g. "
        "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`."
    )
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
VALKEY_URL = env("VALKEY_URL")
# Nobody can use (or squat) an address they cannot read mail at.
ACCOUNT_EMAIL_VERIFICATION = env("ACCOUNT_EMAIL_VERIFICATION", default="mandatory")

# Sync tokens are signed only with configured keys, never a generated one.
SYNC_JWT_DEV_KEY = False

# --- Security: TLS ends at the proxy, which sets X-Forwarded-Proto ----------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# The PowerSync container fetches the JWKS from django:8000 inside the stack.
SECURE_REDIRECT_EXEMPT = [r"^api/v1/health/?$", r"^api/v1/sync/jwks/?$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# HSTS: browsers use only https for this host (and its subdomains) for a year.
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True

# --- Email -----------------------------------------------------------------
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")

# --- Logs: one JSON object per line on stdout ------------------------------
# python-json-logger adds any `extra=` fields and formats exceptions; "time"
# is ISO 8601 in UTC.
LOGGING["formatters"]["json"] = {
    "()": "pythonjsonlogger.json.JsonFormatter",
    "format": "%(levelname)s %(name)s %(message)s",
    "rename_fields": {"levelname": "level", "name": "logger"},
    "timestamp": "time",
}
LOGGING["handlers"]["console"]["formatter"] = "json"
LOGGING["handlers"]["console"]["stream"] = "ext://sys.stdout"
# Celery workers and beat log through the same JSON handler instead of
# replacing the root logger's handlers with their own text format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Error reporting (optional) --------------------------------------------
SENTRY_DSN = env("SENTRY_DSN", default="")
if SENTRY_DSN:
    import sentry_sdk

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=env("SENTRY_ENVIRONMENT", default="production"),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
        send_default_pii=False,
    )
