"""GET sync/token/ and GET sync/jwks/: who may ask, what the token and the key set hold."""

import base64
import json
import time

import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

from backend_django.sync.tokens import SyncTokenInvalid, sync_token_issue, sync_token_verify

from .conftest import AUDIENCE

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/sync/token/"
JWKS_URL = "/api/v1/sync/jwks/"


def _part(token: str, index: int) -> dict:
    segment = token.split(".")[index]
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def test_a_token_needs_a_signed_in_person(api_client, signing_keys):
    response = api_client.get(TOKEN_URL)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_token_for_an_api_token_user(signing_keys, user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=user)[1]}")
    before = int(time.time())
    response = client.get(TOKEN_URL)
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    header, claims = _part(body["token"], 0), _part(body["token"], 1)
    assert header == {"typ": "JWT", "alg": "ES256", "kid": signing_keys[0].kid}
    assert set(claims) == {"sub", "aud", "iat", "exp"}
    assert claims["sub"] == str(user.pk) == body["user_id"]
    assert claims["aud"] == AUDIENCE
    assert before <= claims["iat"] <= int(time.time())
    assert claims["exp"] - claims["iat"] == 300
    assert body["endpoint"] == AUDIENCE
    assert body["expires_at"].startswith(time.strftime("%Y-%m-%dT", time.gmtime(claims["exp"])))


def test_token_for_a_session_user(signing_keys, user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.get(TOKEN_URL)
    assert response.status_code == 200
    assert _part(response.json()["token"], 1)["sub"] == str(user.pk)


def test_a_sync_token_cannot_get_another_one(sync_client):
    # Otherwise a sync token could be renewed forever without signing in.
    assert sync_client.get(TOKEN_URL).status_code == 401


def test_token_lifetime_follows_the_setting(settings, signing_keys, user_client):
    settings.SYNC_TOKEN_LIFETIME = 120
    claims = _part(user_client.get(TOKEN_URL).json()["token"], 1)
    assert claims["exp"] - claims["iat"] == 120


def test_no_key_means_sync_is_unavailable_not_a_crash(user_client, api_client):
    response = user_client.get(TOKEN_URL)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "sync_unavailable"
    assert api_client.get(JWKS_URL).json() == {"keys": []}


def test_jwks_is_public_cacheable_and_holds_only_public_parts(api_client, signing_keys, settings):
    settings.SYNC_JWKS_MAX_AGE = 123
    response = api_client.get(JWKS_URL)
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=123"
    # With no rotation state only the signing key is published.
    (jwk,) = response.json()["keys"]
    assert jwk == signing_keys[0].public_jwk()
    assert jwk["use"] == "sig" and jwk["alg"] == "ES256" and jwk["kid"] == signing_keys[0].kid
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(jwk)
    again = api_client.get(JWKS_URL, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    assert again["Cache-Control"] == "public, max-age=123"


def test_jwks_ignores_session_and_token_credentials(signing_keys, user_client):
    assert user_client.get(JWKS_URL).status_code == 200


def test_verify_accepts_our_token_and_refuses_tampering(signing_keys, user):
    issued = sync_token_issue(user=user)
    assert sync_token_verify(token=issued.token)["sub"] == str(user.pk)
    header, _payload, signature = issued.token.split(".")
    other = base64.urlsafe_b64encode(json.dumps({**_part(issued.token, 1), "sub": "999"}).encode())
    with pytest.raises(SyncTokenInvalid, match="signature"):
        sync_token_verify(token=f"{header}.{other.decode().rstrip('=')}.{signature}")
    with pytest.raises(SyncTokenInvalid, match="malformed"):
        sync_token_verify(token="not-a-jwt")


def test_verify_refuses_expired_and_wrong_audience(settings, signing_keys, user):
    old = sync_token_issue(user=user, now=time.time() - 300 - 61)
    with pytest.raises(SyncTokenInvalid) as expired:
        sync_token_verify(token=old.token)
    assert expired.value.code == "token_expired"
    # Within the 60 s clock tolerance it still counts.
    recent = sync_token_issue(user=user, now=time.time() - 300 - 30)
    assert sync_token_verify(token=recent.token)
    settings.SYNC_JWT_AUDIENCE = "https://another.example"
    with pytest.raises(SyncTokenInvalid, match="claims"):
        sync_token_verify(token=recent.token)
