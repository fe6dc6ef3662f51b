"""The data proxy's machinery: retries, breakers, waits, jobs, heartbeats, local copies, fair shares, warming.
From the environment: a client's share of the budgets, its daily climate and place misses, tracked copies."""

from .environment import env

# Retries of 429 / 5xx / timeouts (upstream/jobs/retry.py): exponential
# back-off with jitter, capped; a Retry-After longer than the cap takes the
# upstream down at once (upstream/guards/breaker.py).
UPSTREAM_RETRY_BASE_DELAY = 1.0
UPSTREAM_RETRY_MAX_DELAY = 30.0
# The longest a worker sleeps in place in one run (back-off, a budget window,
# a busy slot, another worker's fetch of the same unit); a longer wait puts
# the job back in the queue with a countdown, freeing the worker.
UPSTREAM_MAX_INLINE_WAIT = 5.0
# Each upstream's circuit breaker (upstream/guards/breaker.py): this many transient
# failures in a row (any workers) take it down for a cool-off that starts at
# UPSTREAM_BREAKER_COOL_OFF seconds and doubles with each failed probe up to
# UPSTREAM_BREAKER_MAX_COOL_OFF (never shorter than its Retry-After); one
# probe at a time then, its turn lasting at most UPSTREAM_BREAKER_PROBE_SECONDS.
UPSTREAM_BREAKER_FAILURES = 3
UPSTREAM_BREAKER_COOL_OFF = 30.0
UPSTREAM_BREAKER_MAX_COOL_OFF = 300.0
UPSTREAM_BREAKER_PROBE_SECONDS = 90.0
# How long a person's fetch job keeps trying through failures, a down upstream
# or a spent budget before it fails with a clear error; warm jobs (prefetch,
# refresh) wait quietly for up to UPSTREAM_WARM_MAX_WAIT.
UPSTREAM_PERSON_MAX_WAIT = 120.0
UPSTREAM_WARM_MAX_WAIT = 6 * 3600.0
# A definite upstream 4xx is remembered this long (5xx and timeouts never are).
UPSTREAM_NEGATIVE_TTL = 600
# Job records are kept this long; a fetch lock expires after this many seconds
# if its worker died.
UPSTREAM_JOB_TTL = 2 * 86400
UPSTREAM_LOCK_TTL = 300
# Each worker process refreshes the heartbeat of the jobs it runs this often;
# a running job whose heartbeat is older than the stale time is queued again
# (its worker died: upstream/jobs/liveness.py, docs/upstream-proxy.md "Dead workers").
UPSTREAM_HEARTBEAT_SECONDS = 3.0
UPSTREAM_HEARTBEAT_STALE_SECONDS = 15.0
# One client (a signed-in person by their id, anyone else by address) may
# spend at most this share of each upstream's hourly and daily budget, with
# its misses and its plans' prefetches together (upstream/guards/shares.py); 1 turns
# the shares off. Raise it for a deployment of few people.
UPSTREAM_CLIENT_BUDGET_SHARE = env.float("UPSTREAM_CLIENT_BUDGET_SHARE", default=0.2)
# Each web process keeps up to this many bytes of recently served entries.
# With UPSTREAM_TRACKED_COPIES, Valkey announces every change to an entry
# (CLIENT TRACKING) and a hit on a copy needs no round trip; without it (or
# against a server or proxy that refuses CLIENT TRACKING) a hit asks Valkey
# whether its copy is current, one round trip that moves the body only when
# it changed (docs/decisions/0010-tracked-local-copies.md).
UPSTREAM_LOCAL_BODY_CACHE_BYTES = 64 * 1024 * 1024
UPSTREAM_TRACKED_COPIES = env.bool("UPSTREAM_TRACKED_COPIES", default=True)

# --- Per-client limits on the public data endpoints ----------------------------
# Every request, and the requests that start a fetch job (misses).
PROXY_READ_RATE = "1200/min"
PROXY_FETCH_RATE = "60/min"
# Climate misses per client per day (a full fetch costs ~240 weighted calls of
# the ~9,000 a day: raise it with OPEN_METEO_CALLS_PER_DAY).
PROXY_CLIMATE_FETCHES_PER_DAY = env("PROXY_CLIMATE_FETCHES_PER_DAY", default="15/day")
# Place searches (and reverse lookups) not cached yet, per client per day.
PROXY_PLACE_SEARCHES_PER_DAY = env("PROXY_PLACE_SEARCHES_PER_DAY", default="200/day")
# Map tiles not cached yet, per client per day (a map view asks for a few
# dozen; this stops anyone scraping a tile server through us).
PROXY_TILE_MISSES_PER_DAY = "3000/day"

# --- Warming --------------------------------------------------------------------
# Warming (prefetch and scheduled refresh) may use at most this share of each
# upstream budget; people's own requests can use all of it.
WARM_BUDGET_SHARE = 0.5
# Warm jobs hold at most this many units each; entries that stop being fresh
# within this many days are refreshed ahead by the hourly schedule.
WARM_JOB_UNITS = 20
WARM_REFRESH_AHEAD_DAYS = 3
