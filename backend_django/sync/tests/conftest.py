"""Fixtures of the sync tests: their own keys and audience, never the developer's var/ key."""

import pytest
from rest_framework.test import APIClient

from backend_django.sync.keys import key_generate
from backend_django.sync.tokens import sync_token_issue

AUDIENCE = "https://powersync.example.test"


@pytest.fixture(autouse=True)
def _sync_settings(settings, tmp_path):
    settings.SYNC_JWT_PRIVATE_KEYS = ""
    settings.SYNC_JWT_PRIVATE_KEYS_FILE = ""
    settings.SYNC_JWT_DEV_KEY = False
    settings.SYNC_JWT_DEV_KEY_FILE = tmp_path / "var" / "sync-jwt-dev-key.pem"
    settings.SYNC_JWT_AUDIENCE = AUDIENCE
    settings.POWERSYNC_URL = AUDIENCE
    settings.SYNC_TOKEN_LIFETIME = 300


@pytest.fixture
def signing_keys(settings):
    """Two configured keys, ES256 then EdDSA; with no rotation state the first one signs."""
    keys = [key_generate(), key_generate(algorithm="EdDSA")]
    settings.SYNC_JWT_PRIVATE_KEYS = "".join(key.private_pem() for key in keys)
    return keys


@pytest.fixture
def sync_client(signing_keys, user) -> APIClient:
    """A client that authenticates with a sync token only (no session, no API token)."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {sync_token_issue(user=user).token}")
    return client
