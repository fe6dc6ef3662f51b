"""`manage.py sync_keys`: add, publish, switch, retire, with their waits."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from backend_django.sync.keys import keys_parse
from backend_django.sync.models import SigningKey
from backend_django.sync.tokens import sync_token_issue

pytestmark = pytest.mark.django_db

JWKS_URL = "/api/v1/sync/jwks/"


def sync_keys(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("sync_keys", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def published_kids(client: APIClient) -> list[str]:
    return [key["kid"] for key in client.get(JWKS_URL).json()["keys"]]


def upload_status(token: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client.post("/api/v1/sync/upload/", {"batch": []}, format="json").status_code


def make_older(kid: str, field: str, seconds: float) -> None:
    row = SigningKey.objects.get(kid=kid)
    setattr(row, field, getattr(row, field) - timedelta(seconds=seconds))
    row.save()


@pytest.mark.parametrize(("algorithm", "output"), [("ES256", "pem"), ("RS256", "pem"), ("EdDSA", "jwk")])
def test_add_prints_a_new_private_key_to_configure(algorithm, output):
    out, err = sync_keys("add", "--algorithm", algorithm, "--format", output)
    (key,) = keys_parse(out)
    assert key.algorithm == algorithm
    assert key.kid in err and "SYNC_JWT_PRIVATE_KEYS" in err
    assert not SigningKey.objects.exists()  # nothing changes until it is configured and published


def test_a_full_rotation(settings, signing_keys, user, api_client):
    old, new = signing_keys
    out, _ = sync_keys("list")
    assert old.kid in out and new.kid in out and "active *" in out and "added" in out
    old_token = sync_token_issue(user=user)
    assert old_token.kid == old.kid
    assert published_kids(api_client) == [old.kid]

    # Publish: both keys in the JWKS, the old one still signs.
    sync_keys("publish", new.kid)
    assert published_kids(api_client) == [old.kid, new.kid]
    assert sync_token_issue(user=user).kid == old.kid

    # Switching before verifiers had time to fetch the new key is refused.
    with pytest.raises(CommandError, match="may not have fetched it yet"):
        sync_keys("switch", new.kid)
    make_older(new.kid, "published_at", settings.SYNC_KEY_PUBLISH_WAIT)
    sync_keys("switch", new.kid)

    # Rotation in progress: new tokens use the new kid, old tokens still verify.
    new_token = sync_token_issue(user=user)
    assert new_token.kid == new.kid
    assert published_kids(api_client) == [new.kid, old.kid]
    assert upload_status(old_token.token) == 200
    assert upload_status(new_token.token) == 200

    # Retiring the old key while its tokens may still be valid is refused.
    with pytest.raises(CommandError, match="valid for"):
        sync_keys("retire", old.kid)
    with pytest.raises(CommandError, match="switch to another key first"):
        sync_keys("retire", new.kid)
    make_older(old.kid, "deactivated_at", settings.SYNC_TOKEN_LIFETIME + 60)
    _, err = sync_keys("retire", old.kid)
    assert "retired" in err
    assert published_kids(api_client) == [new.kid]
    assert upload_status(old_token.token) == 401
    assert upload_status(new_token.token) == 200
    rows = {row.kid: row for row in SigningKey.objects.all()}
    assert rows[old.kid].state == "retired" and rows[new.kid].state == "active"
    assert rows[new.kid].activated_at <= timezone.now()


def test_force_skips_the_waits(signing_keys, api_client):
    old, new = signing_keys
    sync_keys("publish", new.kid)
    sync_keys("switch", new.kid, "--force")
    sync_keys("retire", old.kid, "--force")
    assert published_kids(api_client) == [new.kid]


def test_a_key_that_never_signed_can_be_retired_at_once(signing_keys, api_client):
    old, new = signing_keys
    sync_keys("publish", new.kid)
    sync_keys("retire", new.kid)
    assert published_kids(api_client) == [old.kid]


def test_steps_name_only_configured_keys(signing_keys):
    with pytest.raises(CommandError, match="No configured key has kid nope"):
        sync_keys("publish", "nope")
    with pytest.raises(CommandError, match="publish it first"):
        sync_keys("switch", signing_keys[1].kid)


def test_the_first_signing_key_stays_the_signer_when_a_key_is_added_before_it(settings, signing_keys, user):
    old, new = signing_keys
    settings.SYNC_JWT_PRIVATE_KEYS = old.private_pem()
    assert sync_token_issue(user=user).kid == old.kid
    # The new key is configured first in the list, but it was never published.
    settings.SYNC_JWT_PRIVATE_KEYS = new.private_pem() + old.private_pem()
    assert sync_token_issue(user=user).kid == old.kid
    out, _ = sync_keys("list")
    assert "added" in out


def test_a_host_without_the_new_key_keeps_signing_with_a_published_one(settings, signing_keys, user):
    old, new = signing_keys
    sync_keys("publish", new.kid)
    sync_keys("switch", new.kid, "--force")
    # This process has not been given the new key yet (its settings lag behind).
    settings.SYNC_JWT_PRIVATE_KEYS = old.private_pem()
    assert sync_token_issue(user=user).kid == old.kid
