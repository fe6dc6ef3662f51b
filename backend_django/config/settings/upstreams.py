"""Each public upstream: where it is, who we say we are, timeouts, the deployment's budget, data freshness.
From the environment: the URLs, User-Agent and contact, and the budgets a paid plan or own instance raises."""

from .environment import env

# Who we are, on every upstream request, and who the upstreams' operators can
# reach about this deployment's traffic (an email address or URL, sent in the
# User-Agent as Nominatim's and the OpenStreetMap tile servers' policies ask;
# `manage.py check --deploy` warns while it is empty), and the connect timeout
# of any upstream (seconds).
UPSTREAM_USER_AGENT = env(
    "UPSTREAM_USER_AGENT",
    default="SolarSim/1.0 (garden planning; +https://github.com/solar-sim/solar-sim)",
)
UPSTREAM_CONTACT = env("UPSTREAM_CONTACT", default="")
UPSTREAM_CONNECT_TIMEOUT = 5.0

# --- Open-Meteo archive: climate ----------------------------------------------
OPEN_METEO_URL = env("OPEN_METEO_URL", default="https://archive-api.open-meteo.com/v1/archive")
OPEN_METEO_READ_TIMEOUT = 60.0
# Open-Meteo weighted-call budget of this deployment (the free tier allows
# 600/minute, 5,000/hour, 10,000/day per IP; keep a margin).
OPEN_METEO_CALLS_PER_MINUTE = env.float("OPEN_METEO_CALLS_PER_MINUTE", default=500)
OPEN_METEO_CALLS_PER_HOUR = env.float("OPEN_METEO_CALLS_PER_HOUR", default=4500)
OPEN_METEO_CALLS_PER_DAY = env.float("OPEN_METEO_CALLS_PER_DAY", default=9000)
# What one failed Open-Meteo call (an error, a timeout, an unusable body) is
# charged, in weighted calls, instead of its full weight: we assume Open-Meteo
# counts a call that gave no data as at most one (decision 0016).
OPEN_METEO_FAILED_CALL_CHARGE = 1.0
# Climate: years of daily data (full calendar years before the current one,
# plus the current year to date), freshness, and the tail a refresh fetches.
CLIMATE_YEARS = 30
CLIMATE_FRESH_SECONDS = 30 * 86400
CLIMATE_STALE_SECONDS = 30 * 86400
CLIMATE_REFRESH_TAIL_DAYS = 90

# --- Overpass API: buildings ----------------------------------------------------
OVERPASS_URL = env("OVERPASS_URL", default="https://overpass-api.de/api/interpreter")
OVERPASS_READ_TIMEOUT = 40.0
# Concurrent requests of the whole deployment (the public instance: 2 slots
# per IP), and a daily cap.
OVERPASS_MAX_CONCURRENT = env.int("OVERPASS_MAX_CONCURRENT", default=2)
OVERPASS_REQUESTS_PER_DAY = env.int("OVERPASS_REQUESTS_PER_DAY", default=9000)
# Buildings: fixed grid cells (degrees) fetched and cached one by one, and the
# largest box (square degrees) one request may ask for...
BUILDINGS_CELL_DEGREES = 0.01
BUILDINGS_MAX_BBOX_AREA = 0.001
# ...and the most grid cells it may touch (a long thin box has a small area).
BUILDINGS_MAX_CELLS = 16
BUILDINGS_FRESH_SECONDS = 7 * 86400
BUILDINGS_STALE_SECONDS = 7 * 86400
# Heights when OpenStreetMap gives none (metres), and metres per building:levels.
BUILDINGS_DEFAULT_HEIGHT_M = 6.0
BUILDINGS_METRES_PER_LEVEL = 3.0

# --- Canopy height tiles on S3 --------------------------------------------------
CANOPY_URL = env(
    "CANOPY_URL",
    default="https://dataforgood-fb-data.s3.amazonaws.com/forests/v1/alsgedi_global_v6_float/chm",
)
# S3 requests at once for the whole deployment (window tasks and the Range
# proxy together), and the read timeout of one.
CANOPY_MAX_CONCURRENT = env.int("CANOPY_MAX_CONCURRENT", default=4)
CANOPY_READ_TIMEOUT = 20.0
# Canopy windows (docs/upstream-proxy.md, "Canopy"): half-width of the window
# around a point (degrees), the snapping grid (blocks per side of a zoom-9
# tile; 1024 = 64 pixels of the real 65536-pixel tiles, about 76 m), freshness.
CANOPY_WINDOW_DEGREES = 0.003
CANOPY_GRID_BLOCKS = 1024
CANOPY_FRESH_SECONDS = 365 * 86400
CANOPY_STALE_SECONDS = 365 * 86400
# The Range proxy (GET|HEAD /api/v1/canopy/<quadkey>/): aligned blocks of the
# tile cached in Valkey, how long they are kept, and the longest single range
# it answers (longer: 416).
CANOPY_BLOCK_BYTES = 256 * 1024
CANOPY_BLOCK_SECONDS = 365 * 86400
CANOPY_MAX_RANGE_BYTES = 8 * 1024 * 1024

# --- The geocoder: place search (upstream/kinds/places.py) ----------------------------
# The public Nominatim by default; a self-hosted Nominatim, or Photon with
# GEOCODER_API=photon, can stand in (the operator of the public one may ask a
# deployment to switch at any time).
GEOCODER_URL = env("GEOCODER_URL", default="https://nominatim.openstreetmap.org")
GEOCODER_API = env("GEOCODER_API", default="nominatim")
# The geocoder gets one request at a time and at least this many seconds after
# the previous answer, for the whole deployment (Nominatim's policy: at most 1
# request per second, one thread); an instance of your own can take more.
GEOCODER_MIN_INTERVAL_SECONDS = env.float("GEOCODER_MIN_INTERVAL_SECONDS", default=1.0)
GEOCODER_READ_TIMEOUT = 10.0
# Places per search, the language of their names, and the attribution the
# answers (and the app under the search box) carry.
GEOCODER_RESULTS = 5
GEOCODER_LANGUAGE = "en"
GEOCODER_ATTRIBUTION = "© OpenStreetMap contributors"
PLACES_FRESH_SECONDS = 30 * 86400
PLACES_STALE_SECONDS = 30 * 86400

# --- Basemap tiles: the map under the garden (upstream/kinds/basemap.py) -------------
# Raster XYZ tiles from a URL template with {z}, {x} and {y}, and the
# attribution the map always shows with them (decision 0025). Only tiles a
# person views are fetched (never warmed), at most BASEMAP_MAX_CONCURRENT at
# once for the whole deployment, as OpenStreetMap's tile policy asks.
BASEMAP_URL = env("BASEMAP_URL", default="https://tile.openstreetmap.org/{z}/{x}/{y}.png")
BASEMAP_ATTRIBUTION = env("BASEMAP_ATTRIBUTION", default="© OpenStreetMap contributors")
BASEMAP_MAX_CONCURRENT = 2
BASEMAP_READ_TIMEOUT = 5.0
BASEMAP_MAX_ZOOM = 19
# A tile is fresh as long as the tile server's Cache-Control says (these when
# it says nothing), then served stale while it is revalidated (If-None-Match).
BASEMAP_FRESH_SECONDS = 7 * 86400
BASEMAP_STALE_SECONDS = 30 * 86400
# The longest a request for a tile not cached yet waits for it before 503.
BASEMAP_MISS_WAIT_SECONDS = 5.0

# --- Terrain: elevation tiles for the sun's ground and horizon (upstream/kinds/terrain.py) ----
# Terrarium PNGs (AWS open data "Terrain Tiles"), an XYZ template; the site's
# ground from zoom 15, the horizon from lower zooms out to TERRAIN_HORIZON_M.
TERRAIN_URL = env(
    "TERRAIN_URL", default="https://s3.amazonaws.com/elevation-tiles-prod/terrarium/{z}/{x}/{y}.png"
)
TERRAIN_MAX_CONCURRENT = 4
TERRAIN_READ_TIMEOUT = 20.0
TERRAIN_FRESH_SECONDS = 365 * 86400
TERRAIN_STALE_SECONDS = 365 * 86400
TERRAIN_HORIZON_M = 20000.0
