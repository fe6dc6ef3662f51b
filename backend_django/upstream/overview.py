"""The cache at a glance, per upstream, for the admin page."""

from django.conf import settings

from backend_django.core.valkey import get_valkey

from . import jobs, limits, store

# Upstream → the unit prefixes its data is stored under.
UPSTREAM_UNITS = {
    "Open-Meteo (climate)": ("climate:", "climate_summary:"),
    "Overpass (buildings)": ("bcell:",),
    "S3 canopy tiles": ("canopy:", "canopymeta:", "canopyblk:"),
}
# Endpoint kind → upstream, for the request counters.
KIND_UPSTREAM = {
    "climate": "Open-Meteo (climate)",
    "climate_summary": "Open-Meteo (climate)",
    "buildings": "Overpass (buildings)",
    "canopy": "S3 canopy tiles",
}
MAX_KEYS_SCANNED = 50_000


def cache_overview() -> dict:
    client = get_valkey()
    rows = {name: {"name": name, "entries": 0, "bytes": 0, "requests": 0, "misses": 0, "stale": 0}
            for name in UPSTREAM_UNITS}  # fmt: skip
    truncated = False
    batch: list[bytes] = []

    def flush() -> None:
        pipe = client.pipeline(transaction=False)
        for key in batch:
            pipe.memory_usage(key)
        for key, size in zip(batch, pipe.execute(), strict=True):
            unit = key.decode()[len(store.ENTRY_PREFIX) :]
            for name, prefixes in UPSTREAM_UNITS.items():
                if unit.startswith(prefixes):
                    rows[name]["entries"] += 1
                    rows[name]["bytes"] += size or 0
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

    for kind, name in KIND_UPSTREAM.items():
        counters = {k.decode(): int(v) for k, v in client.hgetall(f"{store.STATS_PREFIX}{kind}").items()}
        rows[name]["requests"] += counters.get("requests", 0)
        rows[name]["misses"] += counters.get("misses", 0)
        rows[name]["stale"] += counters.get("stale", 0)
    for row in rows.values():
        row["hits"] = max(0, row["requests"] - row["misses"] - row["stale"])
        row["megabytes"] = round(row["bytes"] / 1e6, 2)

    memory = client.info("memory")
    return {
        "upstreams": list(rows.values()),
        "truncated": truncated,
        "jobs_in_flight": jobs.jobs_in_flight(),
        "open_meteo_used": {
            "minute": limits.OpenMeteoBudget.used(60),
            "hour": limits.OpenMeteoBudget.used(3600),
            "day": limits.OpenMeteoBudget.used(86400),
        },
        "open_meteo_limits": {
            "minute": settings.OPEN_METEO_CALLS_PER_MINUTE,
            "hour": settings.OPEN_METEO_CALLS_PER_HOUR,
            "day": settings.OPEN_METEO_CALLS_PER_DAY,
        },
        "overpass_slots_in_use": limits.OverpassSlots.in_use(),
        "overpass_max_concurrent": settings.OVERPASS_MAX_CONCURRENT,
        "used_memory": memory.get("used_memory_human"),
        "maxmemory": memory.get("maxmemory_human"),
        "maxmemory_policy": memory.get("maxmemory_policy"),
        "flower_url": settings.FLOWER_URL,
    }
