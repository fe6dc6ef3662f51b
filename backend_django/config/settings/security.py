"""Who may do what: secret key, hosts, origins, trusted proxies, logins (allauth, axes, knox), cookies, CSP.
From the environment: key, hosts, origins, proxy count, admin path, email verification, first superuser."""

from datetime import timedelta

from django.utils.csp import CSP

from .environment import env

SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Proxies in front of Django that append to X-Forwarded-For (Caddy and the
# shared cache in the compose stack: 2; a CDN in front of them: 3). The client
# address is the n-th entry from the right; 0 ignores the header (Django
# reached directly). Login limits, throttles, the data limits and the access
# log all use it (backend_django/core/client_ip.py).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

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
    "login_failed_client_account": "5/15m/key",
    # Failed logins per account from everywhere, then per client IP alone (high
    # enough for a shared NAT). A successful login does not count.
    "login_failed": "30/1h/key,300/1h/ip",
    # Password-reset emails per address, then per client IP.
    "reset_password": "3/1h/key,20/1h/ip",
    # Verification (and "already registered") emails per address, then per IP.
    "confirm_email": "3/1h/key,20/1h/ip",
    # Registrations per client IP.
    "signup": "20/1h/ip",
}

# django-axes: failed admin logins per (client IP, account); past the limit
# that pair is refused (429) for the cool-off time, before the password is
# checked. Failed admin logins are listed in the admin (Axes → Access attempts).
AXES_HANDLER = "backend_django.users.axes.AdminLoginAxesHandler"
AXES_ONLY_ADMIN_SITE = True
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
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
API_TOKEN_IDLE_DAYS = 30
API_TOKEN_MAX_DAYS = 365
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

# Superuser created on first run (optional; `manage.py ensure_superuser`).
DJANGO_SUPERUSER_EMAIL = env("DJANGO_SUPERUSER_EMAIL", default="")
DJANGO_SUPERUSER_PASSWORD = env("DJANGO_SUPERUSER_PASSWORD", default="")

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
