"""Short locks in Valkey: one fetch of a unit (or of a tile's block) at a time.

A lock is a key holding the holder's random token, with an expiry, so that a
holder that died frees it by itself. Releasing deletes it only while it still
holds our token: a lock that expired and was taken by someone else stays
theirs.

    ss:lock:<unit>                  the worker fetching this unit now
    ss:lock:canopyblk:<qk>:<n>      the request fetching block n of tile qk
"""

import secrets

import redis
from django.conf import settings

from backend_django.core.lua import call_many, lua_script
from backend_django.core.valkey import get_valkey

LOCK_PREFIX = "ss:lock:"


def new_token() -> str:
    return secrets.token_hex(8)


def lock_key(name: str) -> str:
    return f"{LOCK_PREFIX}{name}"


def release_if_ours(keys: list[str], token: str, client: redis.Redis | None = None) -> int:
    """Delete those of ``keys`` that still hold ``token``; how many were deleted."""
    if not keys:
        return 0
    # Key by key (each may live on another slot of a cluster), in one pipeline.
    script = lua_script(__file__, "release_if_ours")
    return sum(
        int(found) for found in call_many(script, [([key], [token]) for key in keys], client or get_valkey())
    )


def unit_lock_acquire(unit: str, token: str) -> bool:
    """The lock on fetching ``unit``, for UPSTREAM_LOCK_TTL seconds at most."""
    return bool(get_valkey().set(lock_key(unit), token, nx=True, ex=settings.UPSTREAM_LOCK_TTL))


def unit_lock_release(unit: str, token: str) -> None:
    release_if_ours([lock_key(unit)], token)


def try_acquire_many(names: list[str], token: str, lease_ms: int) -> list[str]:
    """Take the locks of ``names`` that are free (one pipeline); the names taken."""
    pipe = get_valkey().pipeline(transaction=False)
    for name in names:
        pipe.set(lock_key(name), token, nx=True, px=lease_ms)
    return [name for name, taken in zip(names, pipe.execute(), strict=True) if taken]


def release_many(names: list[str], token: str) -> None:
    release_if_ours([lock_key(name) for name in names], token)
