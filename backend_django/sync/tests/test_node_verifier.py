"""An independent verifier, fed only by sync/jwks/ over HTTP, accepts our tokens and refuses bad ones.

tools/powersync-check/verify-tokens.mjs verifies the way the PowerSync service
does: jose (the library the service uses) with createRemoteJWKSet + jwtVerify,
the audience, a maximum age, the service's algorithms, required claims and
clock tolerance. Needs Node.js 20+ and the tool's node_modules (scripts/bootstrap).
"""

import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from joserfc import jwt

from backend_django.sync.keys import key_generate
from backend_django.sync.tokens import sync_token_issue

from .conftest import AUDIENCE

TOOL = Path(settings.BASE_DIR) / "tools" / "powersync-check"

pytestmark = pytest.mark.django_db(transaction=True)


def verify(live_server, tokens, *, audience=AUDIENCE, at=None, max_age=3600) -> list[dict]:
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js 20+ is required for this test; install it and run scripts/bootstrap")
    if not (TOOL / "node_modules" / "jose").is_dir():
        pytest.fail(f"{TOOL}/node_modules is missing: run scripts/bootstrap")
    request = {
        "jwks": f"{live_server.url}/api/v1/sync/jwks/",
        "audience": audience,
        "tokens": tokens,
        "maxAge": max_age,
        "at": at,
    }
    result = subprocess.run(
        [node, str(TOOL / "verify-tokens.mjs")],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("algorithm", ["ES256", "RS256", "EdDSA"])
def test_the_verifier_accepts_our_tokens(live_server, settings, user, algorithm):
    key = key_generate(algorithm=algorithm)
    settings.SYNC_JWT_PRIVATE_KEYS = key.private_pem()
    issued = sync_token_issue(user=user)
    (result,) = verify(live_server, [issued.token])
    assert result["ok"], result
    assert result["header"] == {"typ": "JWT", "alg": algorithm, "kid": key.kid}
    assert result["payload"]["sub"] == str(user.pk)
    assert result["payload"]["aud"] == AUDIENCE
    assert result["payload"]["exp"] - result["payload"]["iat"] == settings.SYNC_TOKEN_LIFETIME


def test_the_verifier_refuses_a_wrong_audience(live_server, signing_keys, user):
    token = sync_token_issue(user=user).token
    (result,) = verify(live_server, [token], audience="https://someone-else.example")
    assert not result["ok"]
    assert result["code"] == "ERR_JWT_CLAIM_VALIDATION_FAILED" and "aud" in result["message"]


def test_the_verifier_refuses_an_expired_token(live_server, signing_keys, user):
    issued = sync_token_issue(user=user)
    exp = int(issued.expires_at.timestamp())
    # Past exp plus the service's 60 s clock tolerance.
    (result,) = verify(live_server, [issued.token], at=exp + 61)
    assert not result["ok"]
    assert result["code"] == "ERR_JWT_EXPIRED"
    (still,) = verify(live_server, [issued.token], at=exp + 59)
    assert still["ok"], still


def test_the_verifier_refuses_a_token_older_than_its_max_age(live_server, signing_keys, user):
    issued = sync_token_issue(user=user)
    iat = int(issued.issued_at.timestamp())
    (result,) = verify(live_server, [issued.token], at=iat + 200, max_age=60)
    assert not result["ok"] and "iat" in result["message"]


def test_the_verifier_refuses_an_unknown_kid(live_server, signing_keys, user):
    stranger = key_generate()
    claims = {"sub": str(user.pk), "aud": AUDIENCE, "iat": int(time.time()), "exp": int(time.time()) + 300}
    unknown = jwt.encode({"alg": "ES256", "kid": stranger.kid}, claims, stranger.key, algorithms=["ES256"])
    # A known kid on a token signed by another key fails too.
    forged = jwt.encode(
        {"alg": "ES256", "kid": signing_keys[0].kid}, claims, stranger.key, algorithms=["ES256"]
    )
    first, second = verify(live_server, [unknown, forged])
    assert not first["ok"] and first["code"] == "ERR_JWKS_NO_MATCHING_KEY"
    assert not second["ok"] and second["code"] == "ERR_JWS_SIGNATURE_VERIFICATION_FAILED"


def test_a_rotation_in_progress(live_server, signing_keys, user):
    old, new = signing_keys
    old_token = sync_token_issue(user=user).token
    call_command("sync_keys", "publish", new.kid, stderr=open("/dev/null", "w"))  # noqa: SIM115
    call_command("sync_keys", "switch", new.kid, "--force", stderr=open("/dev/null", "w"))  # noqa: SIM115
    new_token = sync_token_issue(user=user).token
    old_result, new_result = verify(live_server, [old_token, new_token])
    assert old_result["ok"], old_result
    assert new_result["ok"], new_result
    assert old_result["header"]["kid"] == old.kid
    assert new_result["header"]["kid"] == new.kid
    # Retired: old tokens stop verifying, new ones still do.
    call_command("sync_keys", "retire", old.kid, "--force", stderr=open("/dev/null", "w"))  # noqa: SIM115
    old_result, new_result = verify(live_server, [old_token, new_token])
    assert not old_result["ok"] and old_result["code"] == "ERR_JWKS_NO_MATCHING_KEY"
    assert new_result["ok"]
