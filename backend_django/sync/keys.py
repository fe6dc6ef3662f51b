"""Key material of the sync tokens: parsing, generating, and the development key.

Private keys come from the settings only (``SYNC_JWT_PRIVATE_KEYS`` inline or
``SYNC_JWT_PRIVATE_KEYS_FILE``): PEM blocks (PKCS#8, or the traditional
"EC/RSA PRIVATE KEY" forms), or private JWKs: one, several one after another
(one line in a .env file), or a JWK Set.
Without any, a development key is generated once under ``var/`` unless
``SYNC_JWT_DEV_KEY`` is off (it always is in production).

Which of the configured keys is published or signs is the key ring's business
(``selectors.key_ring_get``); this module only knows the material.
"""

import base64
import json
import logging
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from joserfc.jwk import ECKey, OKPKey, RSAKey

logger = logging.getLogger(__name__)

PrivateKey = ECKey | RSAKey | OKPKey

# The algorithms PowerSync accepts for asymmetric keys, one per key type we support.
ALGORITHMS = ("ES256", "RS256", "EdDSA")
DEFAULT_ALGORITHM = "ES256"
RSA_MIN_BITS = 2048
_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----.+?-----END \1-----", re.DOTALL)


class KeyConfigError(ImproperlyConfigured):
    """The configured sync signing keys cannot be used."""


@dataclass(frozen=True)
class SyncKey:
    """One private signing key with its key id and JWS algorithm."""

    kid: str
    algorithm: str
    key: PrivateKey

    def public_jwk(self) -> dict[str, Any]:
        """The public half as a JWK, as the JWKS endpoint publishes it."""
        return {**self.key.as_dict(private=False), "kid": self.kid, "alg": self.algorithm, "use": "sig"}

    def private_pem(self) -> str:
        return self.key.as_pem(private=True).decode()

    def private_jwk(self) -> dict[str, Any]:
        return {**self.key.as_dict(private=True), "kid": self.kid, "alg": self.algorithm, "use": "sig"}


def _algorithm_of(key: PrivateKey) -> str:
    if isinstance(key, ECKey):
        if key.curve_name != "P-256":
            raise KeyConfigError(f"EC signing keys must use the P-256 curve (ES256), not {key.curve_name}.")
        return "ES256"
    if isinstance(key, RSAKey):
        bits = key.raw_value.key_size
        if bits < RSA_MIN_BITS:
            raise KeyConfigError(f"RSA signing keys need at least {RSA_MIN_BITS} bits, this one has {bits}.")
        return "RS256"
    if isinstance(key, OKPKey):
        if key.curve_name != "Ed25519":
            raise KeyConfigError(f"OKP signing keys must use Ed25519 (EdDSA), not {key.curve_name}.")
        return "EdDSA"
    raise KeyConfigError(f"Unsupported signing key type {type(key).__name__}.")


def derived_kid(key: PrivateKey) -> str:
    """The kid of a key that brings none: its RFC 7638 thumbprint (SHA-256), in hex.

    Hex rather than the usual base64url, so that a kid never starts with "-"
    (which a command line would take for an option).
    """
    thumbprint = key.thumbprint()
    return base64.urlsafe_b64decode(thumbprint + "=" * (-len(thumbprint) % 4)).hex()


def _sync_key(key: PrivateKey, *, kid: str | None = None, algorithm: str | None = None) -> SyncKey:
    if not key.is_private:
        raise KeyConfigError("A sync signing key must be a private key (the JWKS publishes its public half).")
    expected = _algorithm_of(key)
    kid = kid or derived_kid(key)
    if algorithm is not None and algorithm != expected:
        raise KeyConfigError(f"Key {kid} says alg {algorithm}; it is a {expected} key.")
    return SyncKey(kid=kid, algorithm=expected, key=key)


def _from_pem(block: str) -> SyncKey:
    try:
        loaded = serialization.load_pem_private_key(block.encode(), password=None)
    except (ValueError, TypeError) as exc:
        raise KeyConfigError(f"Could not read a PEM private key (unencrypted PKCS#8 wanted): {exc}") from exc
    if isinstance(loaded, ec.EllipticCurvePrivateKey):
        return _sync_key(ECKey.import_key(block))
    if isinstance(loaded, rsa.RSAPrivateKey):
        return _sync_key(RSAKey.import_key(block))
    if isinstance(loaded, ed25519.Ed25519PrivateKey):
        return _sync_key(OKPKey.import_key(block))
    raise KeyConfigError(f"Unsupported PEM private key type {type(loaded).__name__}.")


def _from_jwk(data: Any) -> SyncKey:
    if not isinstance(data, dict):
        raise KeyConfigError("A JWK must be a JSON object.")
    key_types: dict[str, type[PrivateKey]] = {"EC": ECKey, "RSA": RSAKey, "OKP": OKPKey}
    kty = data.get("kty")
    key_class = key_types.get(kty) if isinstance(kty, str) else None
    if key_class is None:
        raise KeyConfigError(f"Unsupported JWK kty {data.get('kty')!r}: use EC (P-256), RSA, OKP (Ed25519).")
    if data.get("use", "sig") != "sig":
        raise KeyConfigError(f"JWK {data.get('kid')!r} has use {data['use']!r}; signing keys need use 'sig'.")
    try:
        key = key_class.import_key(data)
    except Exception as exc:  # joserfc raises assorted errors for malformed members
        raise KeyConfigError(f"Could not read JWK {data.get('kid')!r}: {exc}") from exc
    return _sync_key(key, kid=data.get("kid"), algorithm=data.get("alg"))


def _json_values(text: str) -> list[Any]:
    """The JWKs in ``text``: JSON values one after another, each a JWK, a JWK Set or a list of JWKs."""
    decoder = json.JSONDecoder()
    items: list[Any] = []
    at = 0
    while at < len(text):
        try:
            value, at = decoder.raw_decode(text, at)
        except ValueError as exc:
            raise KeyConfigError(f"Sync signing keys look like JSON but do not parse: {exc}") from exc
        if isinstance(value, dict) and "keys" in value:
            value = value["keys"]
        items.extend(value if isinstance(value, list) else [value])
        while at < len(text) and text[at] in " \t\r\n,":
            at += 1
    return items


def keys_parse(text: str) -> list[SyncKey]:
    """The private keys in ``text``: PEM blocks, or JWKs (one or more, JWK Sets, lists of JWKs)."""
    text = text.strip()
    if not text:
        return []
    if text[0] in "{[":
        return [_from_jwk(item) for item in _json_values(text)]
    blocks = [match.group(0) for match in _PEM_BLOCK.finditer(text)]
    if not blocks:
        raise KeyConfigError("Sync signing keys must be PEM blocks or JSON (a JWK or a JWK Set).")
    return [_from_pem(block) for block in blocks]


def key_generate(*, algorithm: str = DEFAULT_ALGORITHM) -> SyncKey:
    """A new private key for ``algorithm`` (ES256, RS256 or EdDSA)."""
    if algorithm == "ES256":
        key: PrivateKey = ECKey.generate_key("P-256")
    elif algorithm == "RS256":
        key = RSAKey.generate_key(3072)
    elif algorithm == "EdDSA":
        key = OKPKey.generate_key("Ed25519")
    else:
        raise ValueError(f"unsupported algorithm {algorithm!r}; choose one of {', '.join(ALGORITHMS)}")
    return _sync_key(key)


def _dev_key_text(path: Path) -> str:
    """The development key at ``path``, generated (mode 0600) on first use."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = key_generate().private_pem()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process generated it first: use theirs
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(pem)
            logger.warning("generated a development sync signing key in %s", path)
    return path.read_text()


@lru_cache(maxsize=8)
def _parsed(inline: str, file_path: str, file_mtime_ns: int, dev_path: str) -> tuple[SyncKey, ...]:
    text = inline
    if file_path:
        text = f"{text}\n{Path(file_path).read_text()}" if text.strip() else Path(file_path).read_text()
    if not text.strip() and dev_path:
        text = _dev_key_text(Path(dev_path))
    keys = keys_parse(text)
    kids = [key.kid for key in keys]
    duplicates = sorted({kid for kid in kids if kids.count(kid) > 1})
    if duplicates:
        raise KeyConfigError(f"The same sync signing key is configured twice: {', '.join(duplicates)}.")
    return tuple(keys)


def configured_keys() -> tuple[SyncKey, ...]:
    """The private keys the settings configure (or the development key), in order."""
    file_path = settings.SYNC_JWT_PRIVATE_KEYS_FILE
    try:
        mtime = os.stat(file_path).st_mtime_ns if file_path else 0
    except OSError as exc:
        raise KeyConfigError(f"SYNC_JWT_PRIVATE_KEYS_FILE {file_path!r} cannot be read: {exc}") from exc
    dev_path = str(settings.SYNC_JWT_DEV_KEY_FILE) if settings.SYNC_JWT_DEV_KEY else ""
    return _parsed(settings.SYNC_JWT_PRIVATE_KEYS, file_path, mtime, dev_path)
