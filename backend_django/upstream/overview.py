"""The cache at a glance, one row per kind of data (kinds/), for the admin page."""

from typing import NotRequired, TypedDict, cast

from django.conf import settings

from backend_django.core.valkey import get_valkey

from . import guards, kinds
from .cache import store
from .guards import breaker
from .jobs import records

MAX_KEYS_SCANNED = 50_000


class KindRow(TypedDict):
    name: str
    entries: int
    bytes: int
    requests: int
    misses: int
    stale: int
    hits: NotRequired[int]
    megabytes: NotRequired[float]


def cache_overview() -> dict:
    client = get_valkey()
    registered = kinds.registered()
    rows: dict[str, KindRow] = {
        kind.name: {"name": kind.label, "entries": 0, "bytes": 0, "requests": 0, "misses": 0, "stale": 0}
        for kind in registered
    }
    truncated = False
    batch: list[bytes] = []

    def flush() -> None:
        pipe = client.pipeline(transaction=False)
        for key in batch:
            pipe.memory_usage(key)
        for key, size in zip(batch, pipe.execute(), strict=True):
            unit = key.decode()[len(store.ENTRY_PREFIX) :]
            for kind in registered:
                if unit.startswith(kind.prefixes):
                    rows[kind.name]["entries"] += 1
                    rows[kind.name]["bytes"] += size or 0
        batch.clear()

    for scanned, key in enumerate(client.scan_iter(match=f"{store.ENTRY_PREFIX}*", count=1000), start=1):
        batch.append(key)
        if len(batch) >= 500:
            flush()
        if scanned >= MAX_KEYS_SCANNED:
            truncated = True
            break
    if batch:
        flush()

    for kind in registered:
        for endpoint in kind.endpoints:
            # cast: this client never decodes answers (redis-py types them bytes | str).
            stats = cast(dict[bytes, bytes], client.hgetall(f"{store.STATS_PREFIX}{endpoint}"))
            counters = {k.decode(): int(v) for k, v in stats.items()}
            rows[kind.name]["requests"] += counters.get("requests", 0)
            rows[kind.name]["misses"] += counters.get("misses", 0)
            rows[kind.name]["stale"] += counters.get("stale", 0)
    for row in rows.values():
        row["hits"] = max(0, row["requests"] - row["misses"] - row["stale"])
        row["megabytes"] = round(row["bytes"] / 1e6, 2)

    memory = client.info("memory")
    return {
        "upstreams": list(rows.values()),
        "truncated": truncated,
        "jobs_in_flight": records.jobs_in_flight(),
        "open_meteo_used": {
            "minute": guards.weighted_calls("open_meteo").used(60),
            "hour": guards.weighted_calls("open_meteo").used(3600),
            "day": guards.weighted_calls("open_meteo").used(86400),
        },
        "open_meteo_limits": {
            "minute": settings.OPEN_METEO_CALLS_PER_MINUTE,
            "hour": settings.OPEN_METEO_CALLS_PER_HOUR,
            "day": settings.OPEN_METEO_CALLS_PER_DAY,
        },
        "overpass_slots_in_use": guards.lease_slots("overpass").in_use(),
        "overpass_max_concurrent": settings.OVERPASS_MAX_CONCURRENT,
        "used_memory": memory.get("used_memory_human"),
        "maxmemory": memory.get("maxmemory_human"),
        "maxmemory_policy": memory.get("maxmemory_policy"),
        "flower_url": settings.FLOWER_URL,
        "health": breaker.states(),
    }
