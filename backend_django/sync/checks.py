"""System checks of the sync settings: bad keys or lifetimes show at start, not at the first token."""

from django.conf import settings
from django.core.checks import Error, register

from .keys import KeyConfigError, configured_keys

# PowerSync refuses tokens that live longer than a day, and its docs advise
# against tokens older than an hour; the SDK refreshes 30 s before expiry.
MIN_TOKEN_LIFETIME = 60
MAX_TOKEN_LIFETIME = 3600


@register()
def sync_settings_check(app_configs, **kwargs):
    errors = []
    lifetime = settings.SYNC_TOKEN_LIFETIME
    if not MIN_TOKEN_LIFETIME <= lifetime <= MAX_TOKEN_LIFETIME:
        errors.append(
            Error(
                f"SYNC_TOKEN_LIFETIME is {lifetime} s; it must be between {MIN_TOKEN_LIFETIME} and "
                f"{MAX_TOKEN_LIFETIME} seconds.",
                id="sync.E001",
            )
        )
    if not settings.SYNC_JWT_AUDIENCE:
        errors.append(Error("SYNC_JWT_AUDIENCE must not be empty (PowerSync checks aud).", id="sync.E002"))
    if settings.SYNC_JWT_PRIVATE_KEYS or settings.SYNC_JWT_PRIVATE_KEYS_FILE:
        try:
            configured_keys()
        except KeyConfigError as exc:
            errors.append(Error(f"The sync signing keys cannot be used: {exc}", id="sync.E003"))
    return errors
