"""Django itself: debug, the site, the database, apps, middleware, static files, templates, logs.
From the environment: DJANGO_DEBUG, FRONTEND_URL, SITE_*, DATABASE_URL, STATIC_ROOT, LOG_LEVEL."""

from typing import Any
from urllib.parse import urlsplit

from .environment import VAR_DIR, env

DEBUG = env.bool("DJANGO_DEBUG", default=False)
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en-us"
USE_I18N = True
USE_TZ = True
SITE_ID = 1
ROOT_URLCONF = "backend_django.config.urls"
WSGI_APPLICATION = "backend_django.config.wsgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Where links in emails (password reset, email confirmation) send people.
FRONTEND_URL = env("FRONTEND_URL", default="http://localhost:5173")
# The Site that emails and the admin name (written on every `migrate`).
SITE_DOMAIN = env("SITE_DOMAIN", default=urlsplit(FRONTEND_URL).netloc or "localhost")
SITE_NAME = env("SITE_NAME", default="Solar Sim")

# --- Databases -------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Persistent connections (seconds); `?conn_max_age=` in DATABASE_URL overrides.
    DATABASES["default"].setdefault("CONN_MAX_AGE", 60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web process and the worker write at once (make dev): a writer takes
    # the lock when its transaction begins and others queue for it (up to 20 s)
    # instead of failing with "database is locked" halfway through.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
    DATABASES["default"]["OPTIONS"].setdefault("timeout", 20)

# --- Apps ------------------------------------------------------------------
DJANGO_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.sites",
    "django.contrib.staticfiles",
]
THIRD_PARTY_APPS = [
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",  # imported by dj-rest-auth's registration views
    "dj_rest_auth",
    "dj_rest_auth.registration",
    "django_celery_beat",
    "axes",
]
LOCAL_APPS = [
    "backend_django.core",
    "backend_django.users",
    "backend_django.plans",
    "backend_django.plants",
    "backend_django.upstream",
    "backend_django.sync",
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

# --- Middleware ------------------------------------------------------------
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Turns an admin login refused by django-axes into its 429 page.
    "axes.middleware.AxesMiddleware",
]

# --- Static files and templates --------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = env("STATIC_ROOT", default=str(VAR_DIR / "staticfiles"))
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Logging ---------------------------------------------------------------
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # django-axes logs every login at INFO; its lockouts are WARNINGs.
    "loggers": {"django_redis": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
