"""The sync tokens: short-lived JWTs that the PowerSync service and sync/upload/ accept.

Claims are what the PowerSync service requires: ``sub`` (the user id, as a
string), ``aud`` (SYNC_JWT_AUDIENCE), ``iat`` and ``exp``; the header names
the key (``kid``) and its algorithm. Verification here mirrors the service's:
the key is picked by ``kid`` among the published keys, the algorithm must be
that key's, 60 seconds of clock skew are tolerated, and a token may not live
longer than a day.
"""

import time
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.utils import timezone
from joserfc import jws, jwt
from joserfc.errors import ExpiredTokenError, JoseError, SecurityWarning
from joserfc.jwt import JWTClaimsRegistry

from backend_django.core.exceptions import ApplicationError
from backend_django.users.models import User

from .models import SigningKey, SigningKeyState
from .selectors import key_ring_get

# RFC 9864 deprecates "EdDSA" in favour of "Ed25519", but PowerSync accepts
# only "EdDSA" for Ed25519 keys, so the tokens keep it.
warnings.filterwarnings("ignore", message="EdDSA is deprecated", category=SecurityWarning)

CLOCK_SKEW_SECONDS = 60
MAX_LIFETIME_SECONDS = 24 * 3600  # the PowerSync service's default maximum


class SyncUnavailable(ApplicationError):
    status_code = 503
    code = "sync_unavailable"

    def __init__(self) -> None:
        super().__init__("Offline sync is not set up on this server (no signing key is configured).")


class SyncTokenInvalid(Exception):
    """A sync token that must be refused; ``code`` says why (token_expired, token_invalid)."""

    def __init__(self, message: str, *, code: str = "token_invalid") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class IssuedToken:
    token: str
    kid: str
    issued_at: datetime
    expires_at: datetime


def sync_token_issue(*, user: User, now: float | None = None) -> IssuedToken:
    """Sign a sync token for ``user`` with the key ring's signing key."""
    ring = key_ring_get()
    signing = ring.signing
    if signing is None:
        raise SyncUnavailable()
    if signing.kid not in ring.rows:
        # The first configured key signs while nothing is recorded; record it,
        # so that a key added later (wherever in the list) does not take over.
        now_at = timezone.now()
        SigningKey.objects.get_or_create(
            kid=signing.kid,
            defaults={
                "algorithm": signing.algorithm,
                "state": SigningKeyState.ACTIVE,
                "published_at": now_at,
                "activated_at": now_at,
            },
        )
    issued_at = int(time.time() if now is None else now)
    expires_at = issued_at + settings.SYNC_TOKEN_LIFETIME
    claims = {"sub": str(user.pk), "aud": settings.SYNC_JWT_AUDIENCE, "iat": issued_at, "exp": expires_at}
    header = {"typ": "JWT", "alg": signing.algorithm, "kid": signing.kid}
    token = jwt.encode(header, claims, signing.key, algorithms=[signing.algorithm])
    return IssuedToken(
        token=token,
        kid=signing.kid,
        issued_at=datetime.fromtimestamp(issued_at, UTC),
        expires_at=datetime.fromtimestamp(expires_at, UTC),
    )


def sync_token_verify(*, token: str, now: float | None = None) -> dict[str, Any]:
    """The claims of a valid sync token; raises ``SyncTokenInvalid`` otherwise."""
    try:
        header = jws.extract_compact(token.encode()).headers()
    except (JoseError, ValueError, UnicodeError) as exc:
        raise SyncTokenInvalid("The sync token is malformed.") from exc
    kid = header.get("kid")
    key = key_ring_get().published_key(kid) if isinstance(kid, str) else None
    if key is None:
        raise SyncTokenInvalid("The sync token was not signed by a current key.")
    if header.get("alg") != key.algorithm:
        raise SyncTokenInvalid("The sync token's algorithm does not match its key.")
    try:
        decoded = jwt.decode(token, key.key, algorithms=[key.algorithm])
    except JoseError as exc:
        raise SyncTokenInvalid("The sync token's signature is not valid.") from exc
    claims = decoded.claims
    registry = JWTClaimsRegistry(
        now=int(time.time() if now is None else now),
        leeway=CLOCK_SKEW_SECONDS,
        sub={"essential": True},
        iat={"essential": True},
        exp={"essential": True},
        aud={"essential": True, "value": settings.SYNC_JWT_AUDIENCE},
    )
    try:
        registry.validate(claims)
    except ExpiredTokenError as exc:
        raise SyncTokenInvalid("The sync token has expired.", code="token_expired") from exc
    except JoseError as exc:
        raise SyncTokenInvalid(f"The sync token's claims are not valid: {exc.description}") from exc
    if claims["exp"] - claims["iat"] > MAX_LIFETIME_SECONDS:
        raise SyncTokenInvalid("The sync token lives longer than allowed.")
    return claims
