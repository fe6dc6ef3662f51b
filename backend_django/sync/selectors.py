"""Reads of the sync key ring: which configured key signs, which are published."""

import logging
from dataclasses import dataclass, field

from .keys import SyncKey, configured_keys
from .models import SigningKey, SigningKeyState

logger = logging.getLogger(__name__)

_PUBLISHED_STATES = (SigningKeyState.PUBLISHED, SigningKeyState.ACTIVE)


@dataclass(frozen=True)
class KeyRing:
    """The configured keys with their rotation state, as this process sees them."""

    keys: tuple[SyncKey, ...]
    # kid -> state; a configured key without a row has state "added" unless it is the implicit signer.
    states: dict[str, str] = field(default_factory=dict)
    rows: dict[str, SigningKey] = field(default_factory=dict)
    signing: SyncKey | None = None

    @property
    def published(self) -> list[SyncKey]:
        """The keys in the JWKS, signing key first."""
        rest = [
            key for key in self.keys if key is not self.signing and self.states[key.kid] in _PUBLISHED_STATES
        ]
        return ([self.signing] if self.signing else []) + rest

    def published_key(self, kid: str) -> SyncKey | None:
        return next((key for key in self.published if key.kid == kid), None)


def key_ring_get() -> KeyRing:
    """The key ring: configured keys (settings) joined with their state (database).

    The signing key is the configured key whose state is ``active``. When none
    is, the first configured key without any state signs, so a deployment with
    a single key needs no rotation command at all. When the active key is not
    configured in this process (a host that has not yet received a new key), the
    first published configured key signs, so every token still verifies.
    """
    keys = configured_keys()
    rows = {row.kid: row for row in SigningKey.objects.filter(kid__in=[key.kid for key in keys])}
    states = {key.kid: rows[key.kid].state if key.kid in rows else SigningKeyState.ADDED for key in keys}
    signing = next((key for key in keys if states[key.kid] == SigningKeyState.ACTIVE), None)
    if signing is None:
        signing = next((key for key in keys if key.kid not in rows), None)
        if signing is not None:
            states[signing.kid] = SigningKeyState.ACTIVE
        elif keys:
            signing = next((key for key in keys if states[key.kid] == SigningKeyState.PUBLISHED), None)
            if SigningKey.objects.filter(state=SigningKeyState.ACTIVE).exists():
                logger.error(
                    "the active sync signing key is not configured in this process; signing with %s",
                    signing.kid if signing else "nothing",
                )
    return KeyRing(keys=keys, states=states, rows=rows, signing=signing)


def jwks_get() -> dict:
    """The JSON Web Key Set of the published public keys."""
    return {"keys": [key.public_jwk() for key in key_ring_get().published]}
