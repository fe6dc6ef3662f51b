"""Offline sync, the PowerSync backend (backend_django/sync, docs/sync.md): service, keys, token limits.
From the environment: the service's URL, the audience, the signing keys (inline or in a file)."""

from .environment import VAR_DIR, env

# The PowerSync service clients connect to (returned by sync/token/), and the
# JWT audience it checks (its client_auth.audience must list the same value).
POWERSYNC_URL = env("POWERSYNC_URL", default="http://localhost:8080")
SYNC_JWT_AUDIENCE = env("SYNC_JWT_AUDIENCE", default=POWERSYNC_URL)
# Private keys that sign sync tokens: PEM blocks, a JWK or a JWK Set, inline
# and/or in a file. Which of them is published and which signs is set with
# `manage.py sync_keys` (docs/operations.md). Without any, a development key is
# generated in var/ while SYNC_JWT_DEV_KEY is on (production turns it off).
SYNC_JWT_PRIVATE_KEYS = env("SYNC_JWT_PRIVATE_KEYS", default="")
SYNC_JWT_PRIVATE_KEYS_FILE = env("SYNC_JWT_PRIVATE_KEYS_FILE", default="")
SYNC_JWT_DEV_KEY = True
SYNC_JWT_DEV_KEY_FILE = VAR_DIR / "sync-jwt-dev-key.pem"
# Lifetime of a sync token (seconds, 60 to 3600), how long the JWKS may be
# cached, and how long a newly published key waits before it may sign.
SYNC_TOKEN_LIFETIME = 300
SYNC_JWKS_MAX_AGE = 300
SYNC_KEY_PUBLISH_WAIT = 900
# Most operations in one POST sync/upload/ (the connector asks for batches of 100).
SYNC_UPLOAD_MAX_OPS = 1000
