"""Settings shared by every environment.

Everything that differs between machines comes from environment variables
(or a ``.env`` file at the repository root); ``.env.example`` lists them all.
"""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.utils.csp import CSP
from kombu import Exchange, Queue

BASE_DIR = Path(__file__).resolve().parents[3]
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
if env.bool("DJANGO_READ_DOT_ENV_FILE", default=True) and (BASE_DIR / ".env").is_file():
    env.read_env(str(BASE_DIR / ".env"))

# --- General ---------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
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
# Proxies in front of Django that append to X-Forwarded-For (Caddy in the
# compose stack: 1; a CDN in front of Caddy: 2). The client address is the
# n-th entry from the right; 0 ignores the header (Django reached directly).
# Login limits, throttles, the data limits and the access log all use it
# (backend_django/core/client_ip.py).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# --- Databases -------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

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

# --- Authentication --------------------------------------------------------
AUTH_USER_MODEL = "users.User"
AUTHENTICATION_BACKENDS = [
    # django-axes refuses a locked-out (client IP, account) pair before any
    # password is checked; it is enforced on the admin login (see below).
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"
# Path of the Django admin, without the leading slash (Caddy routes it: the
# compose file passes the same value to both).
ADMIN_URL = env("DJANGO_ADMIN_URL", default="admin/")

# django-allauth: the email address is the login, there is no username.
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
# none | optional | mandatory (production's default is mandatory).
ACCOUNT_EMAIL_VERIFICATION = env("ACCOUNT_EMAIL_VERIFICATION", default="optional")
ACCOUNT_ADAPTER = "backend_django.users.adapters.AccountAdapter"
# Nobody learns from an email whether an address has an account.
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
# Limits (allauth's rate syntax: amount/period/per, per = ip or key), checked
# in the order written; docs/operations.md, "Security".
ACCOUNT_RATE_LIMITS = {
    # Failed logins per (client IP, account): stops guessing at one account
    # from one place without locking its owner out anywhere else.
    "login_failed_client_account": env("LOGIN_FAILED_CLIENT_ACCOUNT_RATE_LIMIT", default="5/15m/key"),
    # Failed logins per account from everywhere, then per client IP alone (high
    # enough for a shared NAT). A successful login does not count.
    "login_failed": env("LOGIN_FAILED_RATE_LIMIT", default="30/1h/key,300/1h/ip"),
    # Password-reset emails per address, then per client IP.
    "reset_password": env("PASSWORD_RESET_RATE_LIMIT", default="3/1h/key,20/1h/ip"),
    # Verification (and "already registered") emails per address, then per IP.
    "confirm_email": env("EMAIL_VERIFICATION_RATE_LIMIT", default="3/1h/key,20/1h/ip"),
    # Registrations per client IP.
    "signup": env("SIGNUP_RATE_LIMIT", default="20/1h/ip"),
}

# django-axes: failed admin logins per (client IP, account); past the limit
# that pair is refused (429) for the cool-off time, before the password is
# checked. Failed admin logins are listed in the admin (Axes → Access attempts).
AXES_HANDLER = "backend_django.users.axes.AdminLoginAxesHandler"
AXES_ONLY_ADMIN_SITE = True
AXES_FAILURE_LIMIT = env.int("ADMIN_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("ADMIN_LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["ip_address", "username"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "backend_django.core.client_ip.request_client_ip"
AXES_USERNAME_CALLABLE = "backend_django.users.adapters.login_identifier"
# No row per successful login: only failures and lockouts are kept.
AXES_DISABLE_ACCESS_LOG = True

# API tokens (django-rest-knox, decision 0012): stored hashed, one per client
# login, ending after API_TOKEN_IDLE_DAYS without use and API_TOKEN_MAX_DAYS
# after login at the latest; all of a user's tokens end when the password
# changes.
API_TOKEN_IDLE_DAYS = env.int("API_TOKEN_IDLE_DAYS", default=30)
API_TOKEN_MAX_DAYS = env.int("API_TOKEN_MAX_DAYS", default=365)
REST_KNOX = {
    "TOKEN_TTL": timedelta(days=API_TOKEN_IDLE_DAYS),
    "AUTO_REFRESH": True,
    "AUTO_REFRESH_MAX_TTL": timedelta(days=API_TOKEN_MAX_DAYS),
    "MIN_REFRESH_INTERVAL": 3600,
    "AUTH_HEADER_PREFIX": "Token",
}

# dj-rest-auth: the account endpoints. Tokens are knox's (users/api/views.py
# issues them); a browser login makes a session instead.
REST_AUTH = {
    "SESSION_LOGIN": True,
    "TOKEN_MODEL": None,
    "LOGIN_SERIALIZER": "backend_django.users.api.serializers.LoginSerializer",
    "USER_DETAILS_SERIALIZER": "backend_django.users.api.serializers.UserSerializer",
    "REGISTER_SERIALIZER": "backend_django.users.api.serializers.RegisterSerializer",
    "PASSWORD_RESET_SERIALIZER": "backend_django.users.api.serializers.PasswordResetSerializer",
    "OLD_PASSWORD_FIELD_ENABLED": True,
}

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

# --- Sessions and cookies ----------------------------------------------------
# Sessions live in the database so that signing in keeps working while Valkey
# is down; only caches, jobs and the broker depend on it.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # the browser app reads it to send X-CSRFToken
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy of every Django response (API, admin, API docs);
# the browser app's own policy is set by Caddy and SvelteKit.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# --- Email -----------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Solar Sim <noreply@localhost>")

# --- Valkey: cache, Celery broker and results, job records -------------------
# The development script starts a private valkey-server on this port when
# VALKEY_URL is unset; the test suite starts its own and sets VALKEY_URL.
VALKEY_URL = env("VALKEY_URL", default="redis://127.0.0.1:6390/0")
# Every Valkey call (the shared client, the Django cache, task sends) waits at
# most this long for an answer; after a timeout, this process skips that Valkey
# for VALKEY_CIRCUIT_SECONDS (core/valkey.py, decisions/0018).
VALKEY_SOCKET_TIMEOUT = env.float("VALKEY_SOCKET_TIMEOUT", default=0.25)
VALKEY_CIRCUIT_SECONDS = env.float("VALKEY_CIRCUIT_SECONDS", default=5.0)
CACHES = {
    "default": {
        "BACKEND": "backend_django.core.cache.FailOpenRedisCache",
        "LOCATION": VALKEY_URL,
        "KEY_PREFIX": "dj",
        "TIMEOUT": 300,
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "REDIS_CLIENT_CLASS": "backend_django.core.valkey.CircuitRedis",
            "SOCKET_CONNECT_TIMEOUT": VALKEY_SOCKET_TIMEOUT,
            "SOCKET_TIMEOUT": VALKEY_SOCKET_TIMEOUT,
            # Throttles and login limits fail open while Valkey is down rather
            # than taking sign-in down with it (health/ reports the outage).
            "IGNORE_EXCEPTIONS": True,
        },
    }
}

# --- Celery ----------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=VALKEY_URL)
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=VALKEY_URL)
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
# A task is acknowledged after it ran, and requeued if its worker died, so a
# fetch is never lost; fetch tasks are written to be safe to run twice.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "interactive"
# User-triggered fetches go to "interactive"; prefetch and scheduled warming
# to "warm". Workers consume both (see scripts/dev and docker/).
# Each queue has its own exchange and routing key: without them Celery binds
# both to the default routing key and a task would land in both.
CELERY_TASK_QUEUES = (
    Queue("interactive", Exchange("interactive"), routing_key="interactive"),
    Queue("warm", Exchange("warm"), routing_key="warm"),
)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Longer than the task time limit, so a running task is not redelivered.
    "visibility_timeout": 3600,
    "socket_connect_timeout": VALKEY_SOCKET_TIMEOUT,
    "socket_timeout": VALKEY_SOCKET_TIMEOUT,
    # A worker listening to "interactive,warm" always takes the interactive
    # queue's tasks first: people's fetches go before warming.
    "queue_order_strategy": "priority",
}
CELERY_WORKER_SEND_TASK_EVENTS = True
CELERY_TASK_SEND_SENT_EVENT = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
FLOWER_URL = env("FLOWER_URL", default="http://localhost:5555")

# --- Django REST framework -------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first so that an unauthenticated request gets 401 (with
        # WWW-Authenticate: Token) rather than 403.
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "backend_django.core.exceptions.exception_handler",
    # Bodies are JSON (a cross-site HTML form cannot send it), read through one
    # guard (size and depth → 413 / 400). overpass/ also takes form posts.
    "DEFAULT_PARSER_CLASSES": ["backend_django.core.parsers.BoundedJSONParser"],
    # DRF's own throttles identify clients like the rest (core/client_ip.py).
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Solar Sim API",
    "DESCRIPTION": (
        "Garden plans, and climate, building and canopy data from slow public "
        "upstreams served through a Valkey cache filled by Celery workers."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "UpstreamStateEnum": "backend_django.core.api.serializers.UPSTREAM_STATES",
        "LightCategoryEnum": "backend_django.upstream.api.serializers.LIGHT_CATEGORIES",
    },
    # Swagger UI from this server's static files (drf-spectacular-sidecar).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No deep links: Swagger UI puts them as links inside each operation's
    # button (a control inside a control, too small to tap).
    "SWAGGER_UI_SETTINGS": {"deepLinking": False},
    # Every operation lists the error answers it can give (core/api/schema.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "backend_django.core.api.schema.add_error_responses",
    ],
}

# --- Plans -----------------------------------------------------------------
# Largest `data` of a plan, as compact UTF-8 JSON (bytes), and its deepest nesting.
PLAN_DATA_MAX_BYTES = env.int("PLAN_DATA_MAX_BYTES", default=256 * 1024)
PLAN_DATA_MAX_DEPTH = env.int("PLAN_DATA_MAX_DEPTH", default=32)
# Most operations in one POST plans/batch/ request.
PLANS_BATCH_MAX_OPS = env.int("PLANS_BATCH_MAX_OPS", default=100)
# A deleted plan can be restored (Undo) this many seconds; then it is purged
# (docs/plans.md, decisions/0014).
PLAN_RESTORE_SECONDS = env.int("PLAN_RESTORE_SECONDS", default=600)
# Largest JSON body the plans endpoints read (bytes); bigger → 413.
PLANS_REQUEST_MAX_BYTES = env.int("PLANS_REQUEST_MAX_BYTES", default=4 * 1024 * 1024)

# --- Request bodies ----------------------------------------------------------
# Every other JSON endpoint: largest body (bytes, bigger → 413) and deepest
# nesting of objects and arrays (deeper → 400). Plan bodies nest their `data`
# (PLAN_DATA_MAX_DEPTH) a few levels down, so this stays above it.
JSON_REQUEST_MAX_BYTES = env.int("JSON_REQUEST_MAX_BYTES", default=64 * 1024)
JSON_REQUEST_MAX_DEPTH = env.int("JSON_REQUEST_MAX_DEPTH", default=64)

# --- Logging ---------------------------------------------------------------
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOGGING = {
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

# --- Superuser created on first run (optional) ------------------------------
DJANGO_SUPERUSER_EMAIL = env("DJANGO_SUPERUSER_EMAIL", default="")
DJANGO_SUPERUSER_PASSWORD = env("DJANGO_SUPERUSER_PASSWORD", default="")

# --- Upstream data proxy (backend_django/upstream, docs/upstream-proxy.md) ---
# Where the public upstreams live; the simulator or a self-hosted instance can
# stand in for any of them.
OPEN_METEO_URL = env("OPEN_METEO_URL", default="https://archive-api.open-meteo.com/v1/archive")
OVERPASS_URL = env("OVERPASS_URL", default="https://overpass-api.de/api/interpreter")
CANOPY_URL = env(
    "CANOPY_URL",
    default="https://dataforgood-fb-data.s3.amazonaws.com/forests/v1/alsgedi_global_v6_float/chm",
)
# The geocoder behind place search (places/): the public Nominatim by default;
# a self-hosted Nominatim, or Photon with GEOCODER_API=photon, can stand in
# (the operator of the public one may ask a deployment to switch at any time).
GEOCODER_URL = env("GEOCODER_URL", default="https://nominatim.openstreetmap.org")
GEOCODER_API = env("GEOCODER_API", default="nominatim")
UPSTREAM_USER_AGENT = env(
    "UPSTREAM_USER_AGENT",
    default="SolarSim/1.0 (garden planning; +https://github.com/solar-sim/solar-sim)",
)
# Who the geocoder's operators can reach about this deployment's traffic (an
# email address or URL), sent in the User-Agent of every geocoder request as
# Nominatim's usage policy asks. `manage.py check --deploy` warns while empty.
GEOCODER_CONTACT = env("GEOCODER_CONTACT", default="")
UPSTREAM_CONNECT_TIMEOUT = env.float("UPSTREAM_CONNECT_TIMEOUT", default=5.0)
OPEN_METEO_READ_TIMEOUT = env.float("OPEN_METEO_READ_TIMEOUT", default=60.0)
OVERPASS_READ_TIMEOUT = env.float("OVERPASS_READ_TIMEOUT", default=40.0)
# Retries of 429 / 5xx / timeouts (upstream/retry_policy.py): exponential
# back-off with jitter, capped; a Retry-After longer than the cap takes the
# upstream down at once (upstream/health.py).
UPSTREAM_RETRY_BASE_DELAY = env.float("UPSTREAM_RETRY_BASE_DELAY", default=1.0)
UPSTREAM_RETRY_MAX_DELAY = env.float("UPSTREAM_RETRY_MAX_DELAY", default=30.0)
# The longest a worker sleeps in place in one run (back-off, a budget window,
# a busy slot, another worker's fetch of the same unit); a longer wait puts
# the job back in the queue with a countdown, freeing the worker.
UPSTREAM_MAX_INLINE_WAIT = env.float("UPSTREAM_MAX_INLINE_WAIT", default=5.0)
# Each upstream's circuit breaker (upstream/health.py): this many transient
# failures in a row (any workers) take it down for a cool-off that starts at
# UPSTREAM_BREAKER_COOL_OFF seconds and doubles with each failed probe up to
# UPSTREAM_BREAKER_MAX_COOL_OFF (never shorter than its Retry-After); one
# probe at a time then, its turn lasting at most UPSTREAM_BREAKER_PROBE_SECONDS.
UPSTREAM_BREAKER_FAILURES = env.int("UPSTREAM_BREAKER_FAILURES", default=3)
UPSTREAM_BREAKER_COOL_OFF = env.float("UPSTREAM_BREAKER_COOL_OFF", default=30.0)
UPSTREAM_BREAKER_MAX_COOL_OFF = env.float("UPSTREAM_BREAKER_MAX_COOL_OFF", default=300.0)
UPSTREAM_BREAKER_PROBE_SECONDS = env.float("UPSTREAM_BREAKER_PROBE_SECONDS", default=90.0)
# How long a person's fetch job keeps trying through failures, a down upstream
# or a spent budget before it fails with a clear error; warm jobs (prefetch,
# refresh) wait quietly for up to UPSTREAM_WARM_MAX_WAIT.
UPSTREAM_PERSON_MAX_WAIT = env.float("UPSTREAM_PERSON_MAX_WAIT", default=120.0)
UPSTREAM_WARM_MAX_WAIT = env.float("UPSTREAM_WARM_MAX_WAIT", default=6 * 3600.0)

# Open-Meteo weighted-call budget of this deployment (the free tier allows
# 600/minute, 5,000/hour, 10,000/day per IP; keep a margin).
OPEN_METEO_CALLS_PER_MINUTE = env.float("OPEN_METEO_CALLS_PER_MINUTE", default=500)
OPEN_METEO_CALLS_PER_HOUR = env.float("OPEN_METEO_CALLS_PER_HOUR", default=4500)
OPEN_METEO_CALLS_PER_DAY = env.float("OPEN_METEO_CALLS_PER_DAY", default=9000)
# What one failed Open-Meteo call (an error, a timeout, an unusable body) is
# charged, in weighted calls, instead of its full weight: we assume Open-Meteo
# counts a call that gave no data as at most one (decision 0016).
OPEN_METEO_FAILED_CALL_CHARGE = env.float("OPEN_METEO_FAILED_CALL_CHARGE", default=1.0)
# Overpass: concurrent requests of the whole deployment, and a daily cap.
OVERPASS_MAX_CONCURRENT = env.int("OVERPASS_MAX_CONCURRENT", default=2)
OVERPASS_REQUESTS_PER_DAY = env.int("OVERPASS_REQUESTS_PER_DAY", default=9000)
# A slot not released by then (its worker died) is free again; longer than
# any Overpass call (connect + read timeout).
OVERPASS_SLOT_LEASE_SECONDS = env.float("OVERPASS_SLOT_LEASE_SECONDS", default=60)

# Climate: years of daily data (full calendar years before the current one,
# plus the current year to date), freshness, and the tail a refresh fetches.
CLIMATE_YEARS = env.int("CLIMATE_YEARS", default=30)
CLIMATE_FRESH_SECONDS = env.int("CLIMATE_FRESH_SECONDS", default=30 * 86400)
CLIMATE_STALE_SECONDS = env.int("CLIMATE_STALE_SECONDS", default=30 * 86400)
CLIMATE_REFRESH_TAIL_DAYS = env.int("CLIMATE_REFRESH_TAIL_DAYS", default=90)
# Buildings: fixed grid cells (degrees) fetched and cached one by one, and the
# largest box (square degrees) one request may ask for.
BUILDINGS_CELL_DEGREES = env.float("BUILDINGS_CELL_DEGREES", default=0.01)
BUILDINGS_MAX_BBOX_AREA = env.float("BUILDINGS_MAX_BBOX_AREA", default=0.001)
# ...and the most grid cells it may touch (a long thin box has a small area).
BUILDINGS_MAX_CELLS = env.int("BUILDINGS_MAX_CELLS", default=16)
BUILDINGS_FRESH_SECONDS = env.int("BUILDINGS_FRESH_SECONDS", default=7 * 86400)
BUILDINGS_STALE_SECONDS = env.int("BUILDINGS_STALE_SECONDS", default=7 * 86400)
BUILDINGS_DEFAULT_HEIGHT_M = env.float("BUILDINGS_DEFAULT_HEIGHT_M", default=6.0)
BUILDINGS_METRES_PER_LEVEL = env.float("BUILDINGS_METRES_PER_LEVEL", default=3.0)
# Canopy windows (docs/upstream-proxy.md, "Canopy"): half-width of the window
# around a point (degrees), the snapping grid (blocks per side of a zoom-9
# tile; 1024 = 64 pixels of the real 65536-pixel tiles, about 76 m), freshness,
# the read timeout of one S3 request, and S3 requests at once (whole deployment).
CANOPY_WINDOW_DEGREES = env.float("CANOPY_WINDOW_DEGREES", default=0.003)
CANOPY_GRID_BLOCKS = env.int("CANOPY_GRID_BLOCKS", default=1024)
CANOPY_FRESH_SECONDS = env.int("CANOPY_FRESH_SECONDS", default=365 * 86400)
CANOPY_STALE_SECONDS = env.int("CANOPY_STALE_SECONDS", default=365 * 86400)
CANOPY_READ_TIMEOUT = env.float("CANOPY_READ_TIMEOUT", default=20.0)
CANOPY_MAX_CONCURRENT = env.int("CANOPY_MAX_CONCURRENT", default=4)
# The Range proxy (GET|HEAD /api/v1/canopy/<quadkey>/): aligned blocks of the
# tile cached in Valkey, and the longest single range it answers.
CANOPY_BLOCK_BYTES = env.int("CANOPY_BLOCK_BYTES", default=256 * 1024)
CANOPY_MAX_RANGE_BYTES = env.int("CANOPY_MAX_RANGE_BYTES", default=8 * 1024 * 1024)
CANOPY_BLOCK_SECONDS = env.int("CANOPY_BLOCK_SECONDS", default=365 * 86400)
# A definite upstream 4xx is remembered this long (5xx and timeouts never are).
UPSTREAM_NEGATIVE_TTL = env.int("UPSTREAM_NEGATIVE_TTL", default=600)
# Job records are kept this long; a fetch lock expires after this many seconds
# if its worker died.
UPSTREAM_JOB_TTL = env.int("UPSTREAM_JOB_TTL", default=2 * 86400)
UPSTREAM_LOCK_TTL = env.int("UPSTREAM_LOCK_TTL", default=300)
# Each worker process refreshes the heartbeat of the jobs it runs this often;
# a running job whose heartbeat is older than the stale time is queued again
# (its worker died: upstream/heartbeat.py, docs/upstream-proxy.md "Dead workers").
UPSTREAM_HEARTBEAT_SECONDS = env.float("UPSTREAM_HEARTBEAT_SECONDS", default=3.0)
UPSTREAM_HEARTBEAT_STALE_SECONDS = env.float("UPSTREAM_HEARTBEAT_STALE_SECONDS", default=15.0)
# One client (a signed-in person by their id, anyone else by address) may
# spend at most this share of each upstream's hourly and daily budget, with
# its misses and its plans' prefetches together (upstream/shares.py); 1 turns
# the shares off.
UPSTREAM_CLIENT_BUDGET_SHARE = env.float("UPSTREAM_CLIENT_BUDGET_SHARE", default=0.2)
# Each web process keeps up to this many bytes of recently served entries.
# With UPSTREAM_TRACKED_COPIES, Valkey announces every change to an entry
# (CLIENT TRACKING) and a hit on a copy needs no round trip; without it (or
# against a server or proxy that refuses CLIENT TRACKING) a hit asks Valkey
# whether its copy is current, one round trip that moves the body only when
# it changed (docs/decisions/0010-tracked-local-copies.md).
UPSTREAM_LOCAL_BODY_CACHE_BYTES = env.int("UPSTREAM_LOCAL_BODY_CACHE_BYTES", default=64 * 1024 * 1024)
UPSTREAM_TRACKED_COPIES = env.bool("UPSTREAM_TRACKED_COPIES", default=True)
# Per-client-IP limits on the public data endpoints: every request, and the
# requests that start a fetch job (misses).
PROXY_READ_RATE = env("PROXY_READ_RATE", default="1200/min")
PROXY_FETCH_RATE = env("PROXY_FETCH_RATE", default="60/min")
# Climate misses per client per day (a full fetch costs ~160 weighted calls).
PROXY_CLIMATE_FETCHES_PER_DAY = env("PROXY_CLIMATE_FETCHES_PER_DAY", default="15/day")
# Place search (upstream/places.py): the geocoder gets one request at a time
# and at least this many seconds after the previous answer, for the whole
# deployment (Nominatim's policy: at most 1 request per second, one thread).
GEOCODER_MIN_INTERVAL_SECONDS = env.float("GEOCODER_MIN_INTERVAL_SECONDS", default=1.0)
GEOCODER_READ_TIMEOUT = env.float("GEOCODER_READ_TIMEOUT", default=10.0)
# Places per search, the language of their names, and the attribution the
# answers (and the app under the search box) carry.
GEOCODER_RESULTS = env.int("GEOCODER_RESULTS", default=5)
GEOCODER_LANGUAGE = env("GEOCODER_LANGUAGE", default="en")
GEOCODER_ATTRIBUTION = env("GEOCODER_ATTRIBUTION", default="© OpenStreetMap contributors")
PLACES_FRESH_SECONDS = env.int("PLACES_FRESH_SECONDS", default=30 * 86400)
PLACES_STALE_SECONDS = env.int("PLACES_STALE_SECONDS", default=30 * 86400)
# Place searches (and reverse lookups) not cached yet, per client per day.
PROXY_PLACE_SEARCHES_PER_DAY = env("PROXY_PLACE_SEARCHES_PER_DAY", default="200/day")
# Warming (prefetch and scheduled refresh) may use at most this share of each
# upstream budget; people's own requests can use all of it.
WARM_BUDGET_SHARE = env.float("WARM_BUDGET_SHARE", default=0.5)
# Warm jobs hold at most this many units each; entries that stop being fresh
# within this many days are refreshed ahead by the hourly schedule.
WARM_JOB_UNITS = env.int("WARM_JOB_UNITS", default=20)
WARM_REFRESH_AHEAD_DAYS = env.float("WARM_REFRESH_AHEAD_DAYS", default=3)
# A plan page shows buildings this many degrees around the plan's point.
PLAN_BUILDINGS_RADIUS_DEGREES = env.float("PLAN_BUILDINGS_RADIUS_DEGREES", default=0.0015)

# Sun and shade (backend_django/upstream/sun, docs/sun.md): sites are points
# snapped to this grid (degrees); each gets a square of SUN_SIZE_M metres in
# cells of SUN_CELL_M metres, sampled every SUN_STEP_MINUTES on one day of each
# month (SUN_DAYS, MM-DD, January first), counting the sun above
# SUN_MIN_ALTITUDE_DEGREES; the surface model reaches at most SUN_MARGIN_MAX_M
# beyond the square (the longest shadow that counts).
SUN_SITE_GRID_DEGREES = env.float("SUN_SITE_GRID_DEGREES", default=0.0005)
SUN_SIZE_M = env.float("SUN_SIZE_M", default=100.0)
SUN_CELL_M = env.float("SUN_CELL_M", default=1.0)
SUN_STEP_MINUTES = env.int("SUN_STEP_MINUTES", default=15)
SUN_MIN_ALTITUDE_DEGREES = env.float("SUN_MIN_ALTITUDE_DEGREES", default=5.0)
SUN_MARGIN_MAX_M = env.float("SUN_MARGIN_MAX_M", default=200.0)
# Klein's (1977) average days: the day of each month whose extraterrestrial radiation is
# closest to the month's mean.
SUN_DAYS = env("SUN_DAYS", default="01-17,02-16,03-16,04-15,05-15,06-11,07-17,08-16,09-15,10-15,11-14,12-10")

# --- Offline sync: the PowerSync backend (backend_django/sync, docs/sync.md) ---
# The PowerSync service clients connect to (returned by sync/token/), and the
# JWT audience it checks (its client_auth.audience must list the same value).
POWERSYNC_URL = env("POWERSYNC_URL", default="http://localhost:8080")
SYNC_JWT_AUDIENCE = env("SYNC_JWT_AUDIENCE", default=POWERSYNC_URL)
# Private keys that sign sync tokens: PEM blocks, a JWK or a JWK Set, inline
# and/or in a file. Which of them is published and which signs is set with
# `manage.py sync_keys` (docs/operations.md). Without any, a development key is
# generated in var/ unless SYNC_JWT_DEV_KEY is off (production: always off).
SYNC_JWT_PRIVATE_KEYS = env("SYNC_JWT_PRIVATE_KEYS", default="")
SYNC_JWT_PRIVATE_KEYS_FILE = env("SYNC_JWT_PRIVATE_KEYS_FILE", default="")
SYNC_JWT_DEV_KEY = env.bool("SYNC_JWT_DEV_KEY", default=True)
SYNC_JWT_DEV_KEY_FILE = VAR_DIR / "sync-jwt-dev-key.pem"
# Lifetime of a sync token (seconds, 60 to 3600), how long the JWKS may be
# cached, and how long a newly published key waits before it may sign.
SYNC_TOKEN_LIFETIME = env.int("SYNC_TOKEN_LIFETIME", default=300)
SYNC_JWKS_MAX_AGE = env.int("SYNC_JWKS_MAX_AGE", default=300)
SYNC_KEY_PUBLISH_WAIT = env.int("SYNC_KEY_PUBLISH_WAIT", default=900)
# Most operations in one POST sync/upload/ (the connector asks for batches of 100).
SYNC_UPLOAD_MAX_OPS = env.int("SYNC_UPLOAD_MAX_OPS", default=1000)
