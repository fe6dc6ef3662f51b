"""The simulator's WSGI application: fake Open-Meteo archive, Overpass, S3 canopy bucket, geocoder,
basemap tile server and Terrarium elevation tiles.

Routes (relative to the server's base URL):

- ``GET /v1/archive``: Open-Meteo historical weather;
- ``GET|POST /api/interpreter``, ``GET /api/status``: Overpass;
- ``GET|HEAD /chm/{quadkey}.tif``: canopy tiles as S3 serves them;
- ``GET /nominatim/search``, ``GET /nominatim/reverse``: Nominatim;
  ``GET /photon/api``, ``GET /photon/reverse``: Photon (the same places);
- ``GET|HEAD /basemap/{z}/{x}/{y}.png``: raster map tiles, as a tile server serves them;
- ``GET|HEAD /terrarium/{z}/{x}/{y}.png``: Terrarium elevation tiles, as S3 serves them;
- ``GET /__sim__/stats``, ``POST /__sim__/reset``, ``POST /__sim__/config``: control.

No Django here: the module is importable and runnable on its own.
"""

from __future__ import annotations

import json
import re
import threading
import time
import zoneinfo
from collections import deque
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from email.utils import formatdate
from typing import Any, Literal
from urllib.parse import parse_qs

from . import basemap, data, gazetteer
from .tiles import PngCache, TileStore

UPSTREAMS = ("open_meteo", "overpass", "canopy", "geocoder", "basemap", "terrain")
# Modes every upstream has: "trickle" sends the normal answer a few bytes at a
# time (TRICKLE_BYTES every TRICKLE_INTERVAL seconds, each read well within a
# read timeout, the whole far beyond it); "garbage" sends the normal status and
# headers with a body of junk bytes of the same length.
BODY_MODES = {"trickle", "garbage"}
FAILURE_MODES = {
    "open_meteo": {"429", "500", "504", "400", "html", "hang", *BODY_MODES},
    "overpass": {"429", "500", "504", "400", "remark", "html", "hang", *BODY_MODES},
    "canopy": {"429", "500", "404", "hang", *BODY_MODES},
    "geocoder": {"429", "500", "503", "403", "400", "html", "hang", *BODY_MODES},
    "basemap": {"429", "500", "403", "html", "hang", *BODY_MODES},
    "terrain": {"429", "500", "403", "404", "hang", *BODY_MODES},
}
# Where each upstream is served, by the first segments of the path (a request
# under a root is that upstream's, even one it answers 404).
ROUTE_ROOTS = {
    "/v1/archive": "open_meteo",
    "/api": "overpass",
    "/chm": "canopy",
    "/nominatim": "geocoder",
    "/photon": "geocoder",
    "/basemap": "basemap",
    "/terrarium": "terrain",
}


def upstream_of(path: str) -> str | None:
    """The simulated upstream serving ``path`` (None: a path of none of them)."""
    for root, name in ROUTE_ROOTS.items():
        if path == root or path.startswith(root + "/"):
            return name
    return None


TRICKLE_BYTES = 16
TRICKLE_INTERVAL = 0.5
GEOCODER_PATHS = {
    "/nominatim/search": ("nominatim", "search"),
    "/nominatim/reverse": ("nominatim", "reverse"),
    "/photon/api": ("photon", "search"),
    "/photon/reverse": ("photon", "reverse"),
}
# Nominatim's policy: at most one request a second; closer ones are counted
# (stats "too_soon"), and refused with 429 when ``geocoder_min_interval`` is set.
GEOCODER_POLICY_INTERVAL = 1.0
# User-Agents of HTTP libraries, which the public Nominatim refuses (403).
STOCK_USER_AGENTS = (
    "python-requests",
    "python-urllib",
    "go-http-client",
    "curl/",
    "wget/",
    "java/",
    "okhttp",
)
NOMINATIM_BLOCKED_PAGE = (
    "<html><head><title>Access blocked</title></head><body><h1>Access blocked</h1>\n"
    "<p>You have been blocked because you have violated the usage policy of OSM's Nominatim "
    "geocoding service. Please be aware that OSM's resources are limited and shared between many "
    "users. The usage policy is there to ensure that the service remains usable for everybody.</p>\n"
    "</body></html>\n"
)
NOMINATIM_MAINTENANCE_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>Service Unavailable</title></head><body>\n"
    "<h1>Nominatim is down for maintenance</h1><p>Please try again later.</p></body></html>\n"
)
HANG_SECONDS = 60.0
LOG_LIMIT = 1000
ARCHIVE_FIRST_DAY = date(1940, 1, 1)
OVERPASS_MAX_AREA = 0.01  # deg²; bigger boxes "run out of memory" like a real instance would
TILE_LAST_MODIFIED = formatdate(1_700_000_000, usegmt=True)

OPEN_METEO_LIMIT_REASONS = {
    "minute": "Minutely API request limit exceeded. Please try again in one minute.",
    "hour": "Hourly API request limit exceeded. Please try again in the next hour.",
    "day": "Daily API request limit exceeded. Please try again tomorrow.",
}
_LIMIT_WINDOWS = {"minute": 60.0, "hour": 3600.0, "day": 86400.0}

OVERPASS_GENERATOR = "Overpass API 0.7.62.1 084b4234"
OVERPASS_COPYRIGHT = (
    "The data included in this document is from www.openstreetmap.org. The data is made available under ODbL."
)
_NUMBER = r"(-?\d+(?:\.\d+)?)"
OVERPASS_QUERY = re.compile(
    r"^\s*\[\s*out\s*:\s*json\s*\]\s*\[\s*timeout\s*:\s*(\d+)\s*\]\s*;\s*"
    r"\(\s*way\s*\[\s*\"building\"\s*\]\s*\(\s*"
    + r"\s*,\s*".join([_NUMBER] * 4)
    + r"\s*\)\s*;\s*\)\s*;\s*out\s+body\s*;\s*>\s*;\s*out\s+skel\s+qt\s*;\s*$"
)
TILE_PATH = re.compile(r"^/chm/([^/]+)\.tif$")
XYZ_PATH = re.compile(r"^/(basemap|terrarium)/(\d{1,2})/(\d{1,7})/(\d{1,7})\.png$")
BASEMAP_MAX_AGE = 7 * 86400
BASEMAP_CACHE_CONTROL = f"max-age={BASEMAP_MAX_AGE}, stale-while-revalidate=604800, stale-if-error=604800"
BASEMAP_TOO_MANY = (
    "<html><head><title>429 Too Many Requests</title></head><body><h1>Too Many Requests</h1>\n"
    "<p>You are requesting tiles too quickly. Please slow down.</p></body></html>\n"
)
BASEMAP_BLOCKED = (
    "<html><head><title>403 Forbidden</title></head><body><h1>Access blocked</h1>\n"
    "<p>This client has been blocked for not following the tile usage policy: send a User-Agent that "
    "identifies the application, and do not download tiles in bulk.</p></body></html>\n"
)
BASEMAP_ERROR = (
    "<html><head><title>500 Internal Server Error</title></head><body><h1>Internal Server Error</h1>\n"
    "<p>The tile could not be rendered.</p></body></html>\n"
)

CAPTIVE_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>Network Login Required</title></head>\n"
    "<body><h1>Welcome to GuestNet</h1>\n"
    "<p>Please accept the terms of use to access the Internet.</p>\n"
    '<form method="post" action="/login"><button>Accept and connect</button></form>\n'
    "</body></html>\n"
)


# What a reverse proxy in front of an API answers when the API behind it hangs.
GATEWAY_TIMEOUT_PAGE = (
    "<html>\r\n<head><title>504 Gateway Time-out</title></head>\r\n<body>\r\n"
    "<center><h1>504 Gateway Time-out</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


def _overpass_html(message: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN"\n'
        '    "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n'
        '<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">\n'
        "<head>\n"
        '  <meta http-equiv="content-type" content="text/html; charset=utf-8" lang="en"/>\n'
        "  <title>OSM3S Response</title>\n"
        "</head>\n<body>\n\n"
        f"<p>{OVERPASS_COPYRIGHT}</p>\n"
        f'<p><strong style="color:#FF0000">Error</strong>: {message} </p>\n\n'
        "</body>\n</html>\n"
    )


OVERPASS_RATE_LIMITED = (
    "runtime error: open64: 0 Success /osm3s_osm_base Dispatcher_Client::request_read_and_idx::rate_limited. "
    "Please check /api/status for the quota of your IP address."
)
OVERPASS_OUT_OF_MEMORY = (
    'runtime error: Query run out of memory in "query" at line 1 using about 2048 MB of RAM.'
)
OVERPASS_TIMEOUT = (
    "runtime error: open64: 0 Success /osm3s_osm_base Dispatcher_Client::request_read_and_idx::timeout. "
    "The server is probably too busy to handle your request."
)


def _s3_error(code: str, message: str, **extra: str) -> bytes:
    fields = "".join(f"<{key}>{value}</{key}>" for key, value in extra.items())
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message>{fields}"
        "<RequestId>4442587FB7D0A2F9</RequestId>"
        "<HostId>sim/ZZmoT3cO6p0Zx6pqk3pX6dK9mR3xLr2qE0bVq1fYkRr8=</HostId></Error>"
    ).encode()


class Response:
    def __init__(
        self,
        status: int,
        body: bytes | str = b"",
        content_type: str = "text/plain; charset=utf-8",
        headers: list[tuple[str, str]] | None = None,
        stream: Iterator[bytes] | None = None,
    ) -> None:
        self.status = status
        self.body = body.encode() if isinstance(body, str) else body
        self.headers = [("Content-Type", content_type), *(headers or [])]
        # A body sent as it is made (its Content-Length among ``headers``), instead of ``body``.
        self.stream = stream


def _json(status: int, payload: Any, content_type: str = "application/json; charset=utf-8") -> Response:
    return Response(status, json.dumps(payload, ensure_ascii=False), content_type)


_REASONS = {
    200: "OK",
    206: "Partial Content",
    304: "Not Modified",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    416: "Requested Range Not Satisfiable",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class _Failure:
    def __init__(self, mode: str, times: int | None, retry_after: float | None = None) -> None:
        self.mode = mode
        self.remaining = times
        self.retry_after = retry_after  # sent as Retry-After on a 429/503 of this failure


class SimulatorApp:
    """WSGI callable simulating the public upstreams, with counters, latency and failure injection."""

    def __init__(
        self,
        latency: float = 0.0,
        canopy_size: int = 4096,
        *,
        overpass_slots: int = 2,
        open_meteo_per_minute: float | None = None,
        open_meteo_per_hour: float | None = None,
        open_meteo_per_day: float | None = None,
        canopy_cache_tiles: int = 8,
        geocoder_min_interval: float | None = None,
    ) -> None:
        self._initial_latency = float(latency)
        self._initial_slots = int(overpass_slots)
        self._initial_limits = {
            "minute": open_meteo_per_minute,
            "hour": open_meteo_per_hour,
            "day": open_meteo_per_day,
        }
        self._initial_geocoder_interval = geocoder_min_interval
        self.canopy_size = int(canopy_size)
        self.tiles = TileStore(self.canopy_size, capacity=canopy_cache_tiles)
        self.png_tiles = {
            "basemap": PngCache(basemap.basemap_png),
            "terrain": PngCache(basemap.terrarium_png),
        }
        self._lock = threading.Lock()
        self._wake = threading.Event()
        # In-flight interpreter requests: real state, so reset() keeps it.
        self._overpass_running: dict[int, float] = {}  # ticket -> expected end (epoch seconds)
        self._attempting = 0
        self._sequence = 0
        self._local = threading.local()  # the failure taken by this request's thread
        self.reset()

    # --- control -------------------------------------------------------------

    def reset(self) -> None:
        """Clear counters and failures; latency, slots and limits back to the constructor's values."""
        with self._lock:
            self._wake.set()  # release any hanging request
            self._wake = threading.Event()
            self._latency = dict.fromkeys(UPSTREAMS, self._initial_latency)
            self._failures: dict[str, _Failure] = {}
            self.overpass_slots = self._initial_slots
            self.open_meteo_limits = dict(self._initial_limits)
            self.geocoder_min_interval = self._initial_geocoder_interval
            self._geocoder_last_arrival: float | None = None
            self._weighted_window: deque[tuple[float, float]] = deque()
            self._stats: dict[str, dict[str, Any]] = {
                "open_meteo": {"requests": 0, "weighted_calls": 0.0, "rate_limited": 0, "requests_log": []},
                "overpass": {
                    "requests": 0,  # /api/interpreter
                    "status_requests": 0,  # /api/status
                    "concurrent": len(self._overpass_running),
                    "max_concurrent": 0,
                    "max_attempted_concurrent": 0,
                    "rejected": 0,
                    "requests_log": [],
                },
                "canopy": {"requests": 0, "bytes_sent": 0, "bytes_by_tile": {}, "requests_log": []},
                "geocoder": {
                    "requests": 0,
                    "too_soon": 0,  # requests less than GEOCODER_POLICY_INTERVAL after the previous one
                    "min_gap": None,  # the shortest time between two requests' arrivals (seconds)
                    # refused for coming too soon (geocoder_min_interval) or with a stock User-Agent
                    "rejected": 0,
                    "requests_log": [],
                },
                "basemap": {
                    "requests": 0,
                    "bytes_sent": 0,
                    "not_modified": 0,
                    "in_flight": 0,
                    "max_in_flight": 0,
                    "requests_log": [],
                },
                "terrain": {"requests": 0, "bytes_sent": 0, "not_modified": 0, "requests_log": []},
            }

    def set_latency(self, seconds: float, upstream: str | None = None) -> None:
        """Delay every answer (of one upstream, or all) by ``seconds``."""
        targets = UPSTREAMS if upstream is None else (self._check_upstream(upstream),)
        with self._lock:
            for name in targets:
                self._latency[name] = float(seconds)

    def fail(
        self, upstream: str, mode: str, times: int | None = None, retry_after: float | None = None
    ) -> None:
        """Make the next ``times`` requests (all until reset when None) of ``upstream`` fail as
        ``mode``; ``retry_after``: the seconds a 429 or 503 of this failure asks to wait."""
        self._check_upstream(upstream)
        mode = str(mode)
        if mode not in FAILURE_MODES[upstream]:
            raise ValueError(f"failure mode {mode!r} is not simulated for {upstream}")
        with self._lock:
            if times is not None and int(times) <= 0:
                self._failures.pop(upstream, None)
            else:
                self._failures[upstream] = _Failure(
                    mode,
                    None if times is None else int(times),
                    None if retry_after is None else float(retry_after),
                )

    def stop(self) -> None:
        """Release hanging requests (used when the server stops)."""
        self._wake.set()

    def start(self) -> None:
        """Re-arm latency and hangs after a ``stop()`` (used when a server starts serving the app)."""
        with self._lock:
            if self._wake.is_set():
                self._wake = threading.Event()

    def stats(self) -> dict:
        with self._lock:
            snapshot = json.loads(json.dumps(self._stats))
        return snapshot

    def configure(self, config: dict) -> None:
        """Apply a ``POST /__sim__/config`` document."""
        if not isinstance(config, dict):
            raise ValueError("config must be a JSON object")
        if "latency_ms" in config:
            self.set_latency(float(config["latency_ms"]) / 1000, upstream=config.get("upstream"))
        fails = config.get("fail")
        if fails is not None:
            for item in fails if isinstance(fails, list) else [fails]:
                if not isinstance(item, dict) or "upstream" not in item or "mode" not in item:
                    raise ValueError("fail needs upstream and mode")
                self.fail(item["upstream"], item["mode"], item.get("times"), item.get("retry_after"))
        if "overpass_slots" in config:
            with self._lock:
                self.overpass_slots = int(config["overpass_slots"])
        if "geocoder_min_interval_ms" in config:
            value = config["geocoder_min_interval_ms"]
            with self._lock:
                self.geocoder_min_interval = None if value is None else float(value) / 1000
        if "open_meteo_limits" in config:
            limits = config["open_meteo_limits"]
            if not isinstance(limits, dict) or set(limits) - set(_LIMIT_WINDOWS):
                raise ValueError("open_meteo_limits takes minute, hour and day")
            with self._lock:
                for key, value in limits.items():
                    self.open_meteo_limits[key] = None if value is None else float(value)

    @staticmethod
    def _check_upstream(upstream: str) -> str:
        if upstream not in UPSTREAMS:
            raise ValueError(f"unknown upstream {upstream!r}; one of {', '.join(UPSTREAMS)}")
        return upstream

    def _take_failure(self, upstream: str) -> str | None:
        """This request's failure mode, or None; a body mode (trickle, garbage) answers
        normally here and is applied to the body in ``__call__``."""
        with self._lock:
            failure = self._failures.get(upstream)
            if failure is None:
                return None
            if failure.remaining is not None:
                failure.remaining -= 1
                if failure.remaining <= 0:
                    del self._failures[upstream]
        self._local.failure = failure
        return None if failure.mode in BODY_MODES else failure.mode

    def _trickle(self, body: bytes, wake: threading.Event):
        """``body`` a few bytes at a time (all at once after a reset)."""
        for start in range(0, len(body), TRICKLE_BYTES):
            if not wake.is_set():
                wake.wait(TRICKLE_INTERVAL)
            yield body[start : start + TRICKLE_BYTES]

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._wake.wait(seconds)

    def _hang(self) -> Response:
        self._wake.wait(HANG_SECONDS)
        return Response(504, "upstream simulator: hung request released\n")

    def _log(self, upstream: str, entry: dict) -> None:
        with self._lock:
            stats = self._stats[upstream]
            log = stats["requests_log"]
            log.append(entry)
            if len(log) > LOG_LIMIT:
                del log[0]

    # --- WSGI ----------------------------------------------------------------

    def __call__(self, environ: dict, start_response) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET").upper()
        path = environ.get("PATH_INFO", "") or "/"
        query = environ.get("QUERY_STRING", "")
        entry = {
            "method": method,
            "path": path,
            "query": query,
            "range": environ.get("HTTP_RANGE"),
            "status": None,
            "time": time.time(),
        }
        upstream: str | None = None
        self._local.failure = None
        try:
            if path.startswith("/__sim__/"):
                response = self._control(method, path, environ)
            elif path == "/v1/archive":
                upstream = "open_meteo"
                response = self._open_meteo(method, query, entry)
            elif path in ("/api/interpreter", "/api/status"):
                upstream = "overpass"
                response = self._overpass(method, path, query, environ, entry)
            elif path.startswith("/chm/"):
                upstream = "canopy"
                response = self._canopy(method, path, environ, entry)
            elif path in GEOCODER_PATHS:
                upstream = "geocoder"
                response = self._geocoder(method, path, query, environ, entry)
            elif path.startswith("/basemap/"):
                upstream = "basemap"
                response = self._basemap(method, path, environ, entry)
            elif path.startswith("/terrarium/"):
                upstream = "terrain"
                response = self._terrarium(method, path, environ, entry)
            else:
                # Under an upstream's root but not a path it answers: its 404, counted as its request.
                upstream = upstream_of(path)
                if upstream is not None:
                    with self._lock:
                        self._stats[upstream]["requests"] += 1
                response = Response(404, "upstream simulator: no such path\n")
        except Exception as exc:  # noqa: BLE001 - a simulator bug must still answer
            response = Response(500, f"upstream simulator error: {exc!r}\n")
        if upstream is not None:
            entry["status"] = response.status
            self._log(upstream, entry)
        headers = [*response.headers]
        failure: _Failure | None = self._local.failure
        if response.stream is not None and failure is not None and failure.mode in BODY_MODES:
            response.body, response.stream = b"".join(response.stream), None
        if failure is not None and failure.retry_after is not None and response.status in (429, 503):
            headers.append(("Retry-After", str(int(failure.retry_after))))
        if failure is not None and failure.mode == "garbage" and response.body:
            response.body = bytes((7 * i + 0xF0) % 256 for i in range(len(response.body)))
        if upstream in ("canopy", "terrain") and not any(name.lower() == "server" for name, _ in headers):
            headers.append(("Server", "AmazonS3"))
        if not any(name.lower() == "content-length" for name, _ in headers):
            headers.append(("Content-Length", str(len(response.body))))
        start_response(f"{response.status} {_REASONS.get(response.status, 'Unknown')}", headers)
        if method == "HEAD":
            return [b""]
        if failure is not None and failure.mode == "trickle":
            return self._trickle(response.body, self._wake)
        if response.stream is not None:
            return response.stream
        return [response.body]

    # --- control endpoints ---------------------------------------------------

    def _control(self, method: str, path: str, environ: dict) -> Response:
        if path == "/__sim__/stats" and method == "GET":
            return _json(200, self.stats(), "application/json")
        if path == "/__sim__/reset" and method == "POST":
            self.reset()
            return _json(200, {"ok": True}, "application/json")
        if path == "/__sim__/config" and method == "POST":
            try:
                config = json.loads(_read_body(environ) or b"{}")
                self.configure(config)
            except (ValueError, TypeError) as exc:
                return _json(400, {"ok": False, "error": str(exc)}, "application/json")
            return _json(200, {"ok": True}, "application/json")
        return _json(405 if path in _CONTROL_PATHS else 404, {"ok": False, "error": "no such control"})

    # --- Open-Meteo ----------------------------------------------------------

    def _open_meteo(self, method: str, query: str, entry: dict) -> Response:
        started = time.perf_counter()
        with self._lock:
            self._stats["open_meteo"]["requests"] += 1
            latency = self._latency["open_meteo"]
        self._sleep(latency)
        failure = self._take_failure("open_meteo")
        if failure == "hang":
            return self._hang()
        if failure == "429":
            return _json(429, {"error": True, "reason": OPEN_METEO_LIMIT_REASONS["minute"]})
        if failure == "500":
            return _json(500, {"error": True, "reason": "Internal server error. Please try again later."})
        if failure == "504":
            return Response(504, GATEWAY_TIMEOUT_PAGE, "text/html")
        if failure == "400":
            return _json(
                400,
                {
                    "error": True,
                    "reason": "Cannot initialize Float from invalid String value nan for key latitude",
                },
            )
        if failure == "html":
            return Response(200, CAPTIVE_PAGE, "text/html; charset=utf-8")
        if method != "GET":
            return _json(405, {"error": True, "reason": "Method not allowed"})
        params = parse_qs(query, keep_blank_values=True)
        try:
            request = _parse_open_meteo(params)
        except _ClientError as exc:
            return _json(400, {"error": True, "reason": str(exc)})
        weight = data.weighted_calls(len(request["daily"]), (request["end"] - request["start"]).days + 1)
        limited = self._charge_open_meteo(weight)
        if limited is not None:
            return _json(429, {"error": True, "reason": OPEN_METEO_LIMIT_REASONS[limited]})
        entry["weighted_calls"] = weight
        lat, lng = request["latitude"], request["longitude"]
        lat_c, lng_c = data.grid_cell(lat, lng)
        tz_name, offset, abbreviation = request["timezone"]
        if tz_name == "auto":
            tz_name, offset, abbreviation = data.timezone_for(lng_c)
        body: dict[str, Any] = {
            "latitude": lat_c,
            "longitude": lng_c,
            "elevation": data.cell_elevation(lat, lng),
            "generationtime_ms": 0.0,
            "utc_offset_seconds": offset,
            "timezone": tz_name,
            "timezone_abbreviation": abbreviation,
        }
        if request["daily"]:
            series = data.daily_series(lat, lng, request["start"], request["end"])
            body["daily_units"] = {
                "time": "iso8601",
                **{name: data.DAILY_UNITS[name] for name in request["daily"]},
            }
            body["daily"] = {"time": series["time"], **{name: series[name] for name in request["daily"]}}
        body["generationtime_ms"] = round((time.perf_counter() - started) * 1000, 3)
        return _json(200, body)

    def _charge_open_meteo(self, weight: float) -> str | None:
        """Count a request's weight; the exceeded window's name when over a configured limit."""
        now = time.monotonic()
        with self._lock:
            window = self._weighted_window
            while window and window[0][0] < now - _LIMIT_WINDOWS["day"]:
                window.popleft()
            for name in ("day", "hour", "minute"):
                limit = self.open_meteo_limits.get(name)
                if limit is None:
                    continue
                used = sum(w for t, w in window if t >= now - _LIMIT_WINDOWS[name])
                if used >= limit:
                    self._stats["open_meteo"]["rate_limited"] += 1
                    return name
            window.append((now, weight))
            self._stats["open_meteo"]["weighted_calls"] += weight
        return None

    # --- Overpass ------------------------------------------------------------

    def _overpass(self, method: str, path: str, query: str, environ: dict, entry: dict) -> Response:
        if path == "/api/status":
            with self._lock:
                self._stats["overpass"]["status_requests"] += 1
            return Response(200, self._overpass_status(environ))
        if method == "POST":
            form = parse_qs(_read_body(environ).decode("utf-8", "replace"), keep_blank_values=True)
            ql = form.get("data", [""])[0]
            entry["data"] = ql
        elif method == "GET":
            ql = parse_qs(query, keep_blank_values=True).get("data", [""])[0]
        else:
            return Response(
                405, _overpass_html("only GET and POST are supported"), "text/html; charset=utf-8"
            )
        with self._lock:
            self._stats["overpass"]["requests"] += 1
            latency = self._latency["overpass"]
        failure = self._take_failure("overpass")
        if failure is not None:
            self._sleep(latency)
            return self._overpass_failure(failure, ql)
        with self._lock:
            stats = self._stats["overpass"]
            self._attempting += 1
            stats["max_attempted_concurrent"] = max(stats["max_attempted_concurrent"], self._attempting)
            admitted = len(self._overpass_running) < self.overpass_slots
            if admitted:
                self._sequence += 1
                ticket = self._sequence
                self._overpass_running[ticket] = time.time() + latency
                stats["concurrent"] = len(self._overpass_running)
                stats["max_concurrent"] = max(stats["max_concurrent"], stats["concurrent"])
            else:
                stats["rejected"] += 1
        try:
            if not admitted:
                return Response(429, _overpass_html(OVERPASS_RATE_LIMITED), "text/html; charset=utf-8")
            self._sleep(latency)
            return self._overpass_answer(ql)
        finally:
            with self._lock:
                self._attempting -= 1
                if admitted:
                    self._overpass_running.pop(ticket, None)
                    self._stats["overpass"]["concurrent"] = len(self._overpass_running)

    def _overpass_answer(self, ql: str, remark: bool = False) -> Response:
        match = OVERPASS_QUERY.match(ql)
        if not match:
            return self._overpass_bad_query(ql)
        timeout = int(match.group(1))
        s, w, n, e = (float(match.group(k)) for k in range(2, 6))
        if not (-90 <= s <= 90 and -90 <= n <= 90 and -180 <= w <= 180 and -180 <= e <= 180):
            return Response(
                400,
                _overpass_html(
                    "line 1: static error: Latitudes must be between -90.0 and 90.0, "
                    "longitudes between -180.0 and 180.0."
                ),
                "text/html; charset=utf-8",
            )
        if s > n or w > e:
            elements: list[dict] = []  # an empty box: Overpass answers with no elements
        elif (n - s) * (e - w) > OVERPASS_MAX_AREA:
            body = self._overpass_envelope([], remark=OVERPASS_OUT_OF_MEMORY)
            return _json(200, body, "application/json")
        else:
            elements = data.buildings_in_bbox(s, w, n, e)
        if remark:
            ways = [el for el in elements if el["type"] == "way"]
            partial = ways[: len(ways) // 3]
            keep = {node for way in partial for node in way["nodes"]}
            nodes = [el for el in elements if el["type"] == "node" and el["id"] in keep]
            return _json(
                200,
                self._overpass_envelope(
                    partial + nodes,
                    remark=f'runtime error: Query timed out in "query" at line 1 after {timeout} seconds.',
                ),
                "application/json",
            )
        return _json(200, self._overpass_envelope(elements), "application/json")

    @staticmethod
    def _overpass_envelope(elements: list[dict], remark: str | None = None) -> dict:
        body: dict[str, Any] = {
            "version": 0.6,
            "generator": OVERPASS_GENERATOR,
            "osm3s": {
                "timestamp_osm_base": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "copyright": OVERPASS_COPYRIGHT,
            },
            "elements": elements,
        }
        if remark is not None:
            body["remark"] = remark
        return body

    @staticmethod
    def _overpass_bad_query(ql: str) -> Response:
        if not ql.strip():
            message = "line 1: parse error: Unexpected end of input."
        else:
            message = (
                "line 1: static error: this endpoint only answers "
                '[out:json][timeout:N];(way["building"](S,W,N,E););out body;&gt;;out skel qt;'
            )
        return Response(400, _overpass_html(message), "text/html; charset=utf-8")

    def _overpass_failure(self, mode: str, ql: str) -> Response:
        if mode == "hang":
            return self._hang()
        if mode == "429":
            return Response(429, _overpass_html(OVERPASS_RATE_LIMITED), "text/html; charset=utf-8")
        if mode == "504":
            return Response(504, _overpass_html(OVERPASS_TIMEOUT), "text/html; charset=utf-8")
        if mode == "500":
            return Response(
                500,
                '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n'
                "<title>500 Internal Server Error</title>\n</head><body>\n<h1>Internal Server Error</h1>\n"
                "<p>The server encountered an internal error or misconfiguration and was unable to complete "
                "your request.</p>\n</body></html>\n",
                "text/html; charset=iso-8859-1",
            )
        if mode == "400":
            return Response(
                400,
                _overpass_html("line 1: parse error: ';' expected - ')' found."),
                "text/html; charset=utf-8",
            )
        if mode == "html":
            return Response(200, CAPTIVE_PAGE, "text/html; charset=utf-8")
        # "remark": a 200 with a normal-looking body, partial elements and a runtime error remark.
        return self._overpass_answer(ql, remark=True)

    def _overpass_status(self, environ: dict) -> str:
        now = datetime.now(UTC).replace(microsecond=0)
        address = environ.get("REMOTE_ADDR", "127.0.0.1")
        try:
            a, b, c, d = (int(part) for part in address.split("."))
            connected = str((a << 24) | (b << 16) | (c << 8) | d)
        except ValueError:
            connected = address
        with self._lock:
            slots = self.overpass_slots
            ends = sorted(self._overpass_running.values())
        free = max(0, slots - len(ends))
        lines = [
            f"Connected as: {connected}",
            f"Current time: {now.strftime('%Y-%m-%dT%H:%M:%SZ')}",
            "Announced endpoint: none",
            f"Rate limit: {slots}",
        ]
        if free:
            lines.append(f"{free} slots available now.")
        for end in ends[: slots - free]:
            seconds = max(1, round(end - now.timestamp()))
            at = (now + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")
            lines.append(f"Slot available after: {at}, in {seconds} seconds.")
        lines.append("Currently running queries (pid, space limit, time limit, start time):")
        return "\n".join(lines) + "\n"

    # --- geocoder (Nominatim, Photon) -----------------------------------------

    def _geocoder(self, method: str, path: str, query: str, environ: dict, entry: dict) -> Response:
        flavour, action = GEOCODER_PATHS[path]
        user_agent = environ.get("HTTP_USER_AGENT", "")
        entry["user_agent"] = user_agent
        arrival = time.monotonic()
        with self._lock:
            stats = self._stats["geocoder"]
            stats["requests"] += 1
            latency = self._latency["geocoder"]
            previous, self._geocoder_last_arrival = self._geocoder_last_arrival, arrival
            gap = None if previous is None else arrival - previous
            if gap is not None:
                stats["min_gap"] = gap if stats["min_gap"] is None else min(stats["min_gap"], gap)
                if gap < GEOCODER_POLICY_INTERVAL:
                    stats["too_soon"] += 1
            too_soon = (
                gap is not None
                and self.geocoder_min_interval is not None
                and gap < self.geocoder_min_interval
            )
            blocked = not user_agent.strip() or user_agent.lower().startswith(STOCK_USER_AGENTS)
            if too_soon or blocked:
                stats["rejected"] += 1
        self._sleep(latency)
        if blocked:
            return Response(403, NOMINATIM_BLOCKED_PAGE, "text/html; charset=utf-8")
        if too_soon:
            return Response(429, "<html><body><h1>Too Many Requests</h1></body></html>\n", "text/html")
        failure = self._take_failure("geocoder")
        if failure == "hang":
            return self._hang()
        if failure == "429":
            return Response(429, "<html><body><h1>Too Many Requests</h1></body></html>\n", "text/html")
        if failure == "500":
            return Response(500, "<html><body><h1>Internal Server Error</h1></body></html>\n", "text/html")
        if failure == "503":
            return Response(503, NOMINATIM_MAINTENANCE_PAGE, "text/html; charset=utf-8")
        if failure == "403":
            return Response(403, NOMINATIM_BLOCKED_PAGE, "text/html; charset=utf-8")
        if failure == "400":
            return _json(400, {"error": {"code": 400, "message": "Nominatim API: Parameter 'q' invalid."}})
        if failure == "html":
            return Response(200, CAPTIVE_PAGE, "text/html; charset=utf-8")
        if method != "GET":
            return _json(405, {"error": {"code": 405, "message": "Method not allowed."}})
        params = parse_qs(query, keep_blank_values=True)
        try:
            if flavour == "nominatim":
                return self._nominatim(action, params)
            return self._photon(action, params)
        except _ClientError as exc:
            if flavour == "photon":
                return _json(400, {"message": str(exc)})
            return _json(400, {"error": {"code": 400, "message": f"Nominatim API: {exc}"}})

    @staticmethod
    def _limit(params: dict, default: int) -> int:
        raw = params.get("limit", [str(default)])[0]
        try:
            return max(1, min(40, int(raw)))
        except ValueError:
            raise _ClientError(f"Integer parameter 'limit' expected, got '{raw}'.") from None

    def _nominatim(self, action: str, params: dict) -> Response:
        output = params.get("format", ["xml"])[0]
        if output not in ("json", "jsonv2"):
            raise _ClientError(
                f"Parameter 'format' must be json or jsonv2 here (the simulator), got '{output}'."
            )
        if action == "search":
            text = params.get("q", [""])[0]
            if not text.strip():
                raise _ClientError("Parameter 'q' is required.")
            found = gazetteer.search(text, self._limit(params, 10))
            items = [gazetteer.nominatim_json(place, 100_000 + i) for i, place in enumerate(found)]
            if output == "json":
                for item in items:
                    item["class"] = item.pop("category")
            return _json(200, items)
        lat = _float_param(params, "lat")
        lon = _float_param(params, "lon")
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise _ClientError("Invalid coordinates.")
        place = gazetteer.reverse(lat, lon)
        if place is None:
            return _json(200, {"error": "Unable to geocode"})
        return _json(200, gazetteer.nominatim_json(place, 200_000))

    def _photon(self, action: str, params: dict) -> Response:
        if action == "search":
            text = params.get("q", [""])[0]
            if not text.strip():
                raise _ClientError("missing search term 'q': /?q=berlin")
            found = gazetteer.search(text, self._limit(params, 15))
        else:
            lat = _float_param(params, "lat")
            lon = _float_param(params, "lon")
            place = gazetteer.reverse(lat, lon)
            found = [] if place is None else [place]
        return _json(
            200, {"type": "FeatureCollection", "features": [gazetteer.photon_feature(p) for p in found]}
        )

    # --- canopy (S3) ---------------------------------------------------------

    def _canopy(self, method: str, path: str, environ: dict, entry: dict) -> Response:
        with self._lock:
            self._stats["canopy"]["requests"] += 1
            latency = self._latency["canopy"]
        self._sleep(latency)
        key = path.lstrip("/")
        xml = "application/xml"
        failure = self._take_failure("canopy")
        if failure == "hang":
            return self._hang()
        if failure == "429":
            return Response(503, _s3_error("SlowDown", "Please reduce your request rate."), xml)
        if failure == "500":
            return Response(
                500, _s3_error("InternalError", "We encountered an internal error. Please try again."), xml
            )
        if method not in ("GET", "HEAD"):
            return Response(
                405,
                _s3_error(
                    "MethodNotAllowed",
                    "The specified method is not allowed against this resource.",
                    Method=method,
                    ResourceType="OBJECT",
                ),
                xml,
            )
        match = TILE_PATH.match(path)
        quadkey = match.group(1) if match else ""
        if failure == "404" or not data.canopy_tile_exists(quadkey):
            return Response(404, _s3_error("NoSuchKey", "The specified key does not exist.", Key=key), xml)
        tile = self.tiles.get(quadkey)
        size = tile.size
        common = [
            ("Accept-Ranges", "bytes"),
            ("ETag", tile.etag),
            ("Last-Modified", TILE_LAST_MODIFIED),
            ("Server", "AmazonS3"),
        ]
        if_none_match = environ.get("HTTP_IF_NONE_MATCH")
        if if_none_match and tile.etag in [tag.strip() for tag in if_none_match.split(",")]:
            return Response(304, b"", "image/tiff", common)
        byte_range = _parse_range(environ.get("HTTP_RANGE"), size)
        if byte_range == "unsatisfiable":
            return Response(
                416,
                _s3_error(
                    "InvalidRange",
                    "The requested range is not satisfiable",
                    RangeRequested=environ.get("HTTP_RANGE", ""),
                    ActualObjectSize=str(size),
                ),
                xml,
                [("Content-Range", f"bytes */{size}"), ("Accept-Ranges", "bytes")],
            )
        first, last = (0, size - 1) if byte_range is None else byte_range
        status, headers = 200, common
        if byte_range is not None:
            status, headers = 206, [*common, ("Content-Range", f"bytes {first}-{last}/{size}")]
        length = [("Content-Length", str(last - first + 1))]
        if method == "HEAD":  # the size alone: no row is rendered
            response = Response(status, b"", "image/tiff", [*headers, *length])
        else:  # sent a band at a time, as the rows are rendered
            sent = last - first + 1
            response = Response(
                status, b"", "image/tiff", [*headers, *length], stream=tile.chunks(first, last)
            )
            with self._lock:
                stats = self._stats["canopy"]
                stats["bytes_sent"] += sent
                stats["bytes_by_tile"][quadkey] = stats["bytes_by_tile"].get(quadkey, 0) + sent
            entry["bytes"] = sent
        return response

    # --- XYZ tiles: basemap (a tile server) and Terrarium (S3) ------------------------

    def _xyz_tile(self, upstream: str, path: str) -> tuple[int, int, int] | None:
        match = XYZ_PATH.match(path)
        if not match:
            return None
        z, x, y = (int(match.group(k)) for k in (2, 3, 4))
        max_zoom = basemap.MAX_ZOOM if upstream == "basemap" else basemap.TERRARIUM_MAX_ZOOM
        return (z, x, y) if basemap.tile_valid(z, x, y, max_zoom) else None

    def _png_answer(
        self,
        upstream: str,
        method: str,
        tile: tuple[int, int, int],
        environ: dict,
        entry: dict,
        headers: list,
    ) -> Response:
        body, etag = self.png_tiles[upstream].get(*tile)
        headers = [("ETag", etag), *headers]
        if_none_match = environ.get("HTTP_IF_NONE_MATCH")
        if if_none_match and (
            if_none_match.strip() == "*" or etag in [t.strip() for t in if_none_match.split(",")]
        ):
            with self._lock:
                self._stats[upstream]["not_modified"] += 1
            return Response(304, b"", "image/png", headers)
        status = 200
        byte_range = _parse_range(environ.get("HTTP_RANGE"), len(body)) if upstream == "terrain" else None
        if byte_range == "unsatisfiable":
            return Response(
                416,
                _s3_error(
                    "InvalidRange",
                    "The requested range is not satisfiable",
                    RangeRequested=environ.get("HTTP_RANGE", ""),
                    ActualObjectSize=str(len(body)),
                ),
                "application/xml",
                [("Content-Range", f"bytes */{len(body)}"), ("Accept-Ranges", "bytes")],
            )
        if byte_range is not None:
            first, last = byte_range
            headers = [*headers, ("Content-Range", f"bytes {first}-{last}/{len(body)}")]
            body, status = body[first : last + 1], 206
        response = Response(status, body, "image/png", [*headers, ("Content-Length", str(len(body)))])
        if method == "HEAD":
            response.body = b""
        else:
            with self._lock:
                self._stats[upstream]["bytes_sent"] += len(body)
            entry["bytes"] = len(body)
        return response

    def _basemap(self, method: str, path: str, environ: dict, entry: dict) -> Response:
        """A tile server's answer; it notes who asked (User-Agent) and how many asked at once."""
        entry["user_agent"] = environ.get("HTTP_USER_AGENT", "")
        entry["if_none_match"] = environ.get("HTTP_IF_NONE_MATCH")
        with self._lock:
            stats = self._stats["basemap"]
            stats["requests"] += 1
            stats["in_flight"] += 1
            stats["max_in_flight"] = max(stats["max_in_flight"], stats["in_flight"])
            latency = self._latency["basemap"]
        try:
            return self._basemap_answer(method, path, environ, entry, latency)
        finally:
            with self._lock:
                self._stats["basemap"]["in_flight"] -= 1

    def _basemap_answer(self, method: str, path: str, environ: dict, entry: dict, latency: float) -> Response:
        self._sleep(latency)
        failure = self._take_failure("basemap")
        if failure == "hang":
            return self._hang()
        if failure == "429":
            return Response(429, BASEMAP_TOO_MANY, "text/html; charset=utf-8")
        if failure == "403":
            return Response(403, BASEMAP_BLOCKED, "text/html; charset=utf-8")
        if failure == "500":
            return Response(500, BASEMAP_ERROR, "text/html; charset=utf-8")
        if failure == "html":
            return Response(200, CAPTIVE_PAGE, "text/html; charset=utf-8")
        if method not in ("GET", "HEAD"):
            return Response(405, "Method not allowed\n", headers=[("Allow", "GET, HEAD")])
        tile = self._xyz_tile("basemap", path)
        if tile is None:
            return Response(404, "Tile not found: zoom 0-19, x and y 0 to 2^zoom - 1\n")
        expires = formatdate(time.time() + BASEMAP_MAX_AGE, usegmt=True)
        headers = [
            ("Cache-Control", BASEMAP_CACHE_CONTROL),
            ("Expires", expires),
            ("Access-Control-Allow-Origin", "*"),
        ]
        return self._png_answer("basemap", method, tile, environ, entry, headers)

    def _terrarium(self, method: str, path: str, environ: dict, entry: dict) -> Response:
        with self._lock:
            self._stats["terrain"]["requests"] += 1
            latency = self._latency["terrain"]
        self._sleep(latency)
        key = path.lstrip("/")
        xml = "application/xml"
        failure = self._take_failure("terrain")
        if failure == "hang":
            return self._hang()
        if failure == "429":
            return Response(503, _s3_error("SlowDown", "Please reduce your request rate."), xml)
        if failure == "500":
            return Response(
                500, _s3_error("InternalError", "We encountered an internal error. Please try again."), xml
            )
        if failure == "403":
            return Response(403, _s3_error("AccessDenied", "Access Denied"), xml)
        if method not in ("GET", "HEAD"):
            return Response(
                405,
                _s3_error(
                    "MethodNotAllowed",
                    "The specified method is not allowed against this resource.",
                    Method=method,
                    ResourceType="OBJECT",
                ),
                xml,
            )
        tile = self._xyz_tile("terrain", path)
        if failure == "404" or tile is None:
            return Response(404, _s3_error("NoSuchKey", "The specified key does not exist.", Key=key), xml)
        headers = [("Accept-Ranges", "bytes"), ("Last-Modified", TILE_LAST_MODIFIED)]
        return self._png_answer("terrain", method, tile, environ, entry, headers)


_CONTROL_PATHS = {"/__sim__/stats", "/__sim__/reset", "/__sim__/config"}


class _ClientError(ValueError):
    pass


def _read_body(environ: dict) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    return environ["wsgi.input"].read(length) if length > 0 else b""


def _float_param(params: dict, key: str) -> float:
    values = params.get(key)
    if not values:
        raise _ClientError(f"Value of type 'Float' required for key '{key}'.")
    raw = values[0]
    try:
        value = float(raw)
    except ValueError:
        raise _ClientError(f"Cannot initialize Float from invalid String value {raw} for key {key}") from None
    if value != value:  # NaN
        raise _ClientError(f"Cannot initialize Float from invalid String value {raw} for key {key}")
    return value


def _date_param(params: dict, key: str, today: date) -> date:
    raw = params[key][0]
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            raise ValueError(raw)
        value = date.fromisoformat(raw)
    except ValueError:
        raise _ClientError("Invalid date format. Make sure to use 'YYYY-MM-DD'") from None
    if not ARCHIVE_FIRST_DAY <= value <= today:
        raise _ClientError(
            f"Parameter '{key}' is out of allowed range from {ARCHIVE_FIRST_DAY.isoformat()} "
            f"to {today.isoformat()}"
        )
    return value


def _parse_open_meteo(params: dict) -> dict:
    latitude = _float_param(params, "latitude")
    longitude = _float_param(params, "longitude")
    if not -90 <= latitude <= 90:
        raise _ClientError(f"Latitude must be in range of -90 to 90°. Given: {latitude}.")
    if not -180 <= longitude <= 180:
        raise _ClientError(f"Longitude must be in range of -180 to 180°. Given: {longitude}.")
    if "hourly" in params:
        raise _ClientError("The simulator serves daily data only; hourly is not simulated.")
    daily: list[str] = []
    for value in params.get("daily", []):
        for name in value.split(","):
            name = name.strip()
            if not name:
                continue
            if name not in data.DAILY_VARIABLES:
                raise _ClientError(f"Cannot initialize DailyVariable from invalid String value {name}.")
            if name not in daily:
                daily.append(name)
    if "start_date" not in params or "end_date" not in params:
        raise _ClientError("Parameter 'start_date' and 'end_date' must be set.")
    today = datetime.now(UTC).date()
    start = _date_param(params, "start_date", today)
    end = _date_param(params, "end_date", today)
    if end < start:
        raise _ClientError("End-date must be larger or equals than start-date")
    tz_raw = params.get("timezone", [""])[0].strip()
    if daily and not tz_raw:
        raise _ClientError("Timezone is required")
    timezone = _resolve_timezone(tz_raw or "GMT")
    return {
        "latitude": latitude,
        "longitude": longitude,
        "daily": daily,
        "start": start,
        "end": end,
        "timezone": timezone,
    }


def _resolve_timezone(name: str) -> tuple[str, int, str]:
    if name.lower() == "auto":
        return ("auto", 0, "")
    if name.upper() in ("GMT", "UTC"):
        return ("GMT", 0, "GMT")
    try:
        zone = zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise _ClientError("Invalid timezone") from None
    now = datetime.now(zone)
    offset = now.utcoffset() or timedelta(0)
    return (name, int(offset.total_seconds()), now.tzname() or "")


def _parse_range(header: str | None, size: int) -> tuple[int, int] | Literal["unsatisfiable"] | None:
    """A single byte range as (first, last); "unsatisfiable"; or None to serve the whole object.

    Like S3: a malformed header or a multi-range request is ignored (200, whole object).
    """
    if not header:
        return None
    match = re.fullmatch(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*", header)
    if not match:
        return None
    first_raw, last_raw = match.groups()
    if first_raw == "" and last_raw == "":
        return None
    if first_raw == "":
        suffix = int(last_raw)
        if suffix == 0 or size == 0:
            return "unsatisfiable"
        return max(0, size - suffix), size - 1
    first = int(first_raw)
    if last_raw != "" and int(last_raw) < first:
        return None  # syntactically invalid: ignored
    if first >= size:
        return "unsatisfiable"
    last = size - 1 if last_raw == "" else int(last_raw)
    return first, min(last, size - 1)
