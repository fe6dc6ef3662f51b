"""Buildings boxes: a box's GeoJSON stored once, as its own entry, derived from its cells.

The cells of buildings.py are what is fetched (and shared by overlapping
boxes); assembling a box from them (decode every cell, clip every way,
encode the result) costs far more than sending stored bytes. The kind
``buildings_box`` (units ``bbox:<south>,<west>,<north>,<east>``) keeps each
box asked for as a finished, gzip-compressed body, derived from its cells
(kinds/base.py): fresh as long as every cell is, marked stale when a cell is
rewritten with another ETag, and then recomputed. A buildings hit is then a
single-entry hit like a climate one (http/answers.py: entry_answer, the views' fast
path).

A box that is not stored is built in the request that asks for it when its
cells are all cached (``build_now``): the same work as before, once. When
cells are missing, the job of the miss fetches those cells (its progress
counts them) and the next request, the client's poll of ``result_url``,
builds the box. A stale box is refreshed by a job filling the box unit
itself: its stale cells first, then the box (jobs/tasks.py: fill_unit).
"""

import logging

from ..cache import store
from ..cache.store import Entry, NewEntry
from . import buildings
from .base import InputsMissing, Kind, read_inputs
from .buildings import bbox_text

logger = logging.getLogger(__name__)

UNIT_PREFIX = "bbox:"

Bbox = tuple[float, float, float, float]


def box_unit(bbox: Bbox) -> str:
    return f"{UNIT_PREFIX}{bbox_text(bbox)}"


def bbox_of(unit: str) -> Bbox:
    south, west, north, east = (float(value) for value in unit.removeprefix(UNIT_PREFIX).split(","))
    return south, west, north, east


def cells_of(unit: str) -> list[str]:
    """The buildings cells a box is assembled from (its inputs)."""
    return [buildings.cell_unit(*cell) for cell in buildings.cells_for_bbox(*bbox_of(unit))]


def assemble(unit: str, inputs: dict[str, Entry]) -> NewEntry:
    """The box's entry from its cells' entries (as read)."""
    bbox = bbox_of(unit)
    payloads = [inputs[cell].json() for cell in cells_of(unit)]
    raw = buildings.encode(buildings.feature_collection(payloads, bbox))
    return KIND.derived_entry(unit, raw, inputs)


def fetch_box(unit: str, existing: Entry | None, pool: str) -> list[NewEntry]:
    """A worker's fill: the cells are filled already (tasks.fill_unit); assemble from them."""
    return [assemble(unit, read_inputs(unit, cells_of(unit)))]


def build_now(unit: str) -> list[str]:
    """Assemble and store the box in this request when all its cells are cached (fresh or
    stale) and return []; otherwise the cells that are missing (a job fetches them, and
    the next request builds the box). A stale cell makes the box stale from the start, so
    that request also queues the refresh."""
    try:
        inputs = read_inputs(unit, cells_of(unit))
    except InputsMissing as missing:
        return missing.missing
    store.write([assemble(unit, inputs)])
    logger.debug("buildings box %s assembled in the request", unit)
    return []


KIND = Kind(
    name="buildings_box",
    unit_prefix=UNIT_PREFIX,
    upstream=None,
    label="Buildings boxes (assembled from cells)",
    fresh_setting="BUILDINGS_FRESH_SECONDS",
    stale_setting="BUILDINGS_STALE_SECONDS",
    content_type="application/json",
    fetch=fetch_box,
    inputs=cells_of,
    # Its requests are counted with the cells' kind (the buildings endpoint's counters).
    endpoints=(),
    daily_miss_limit=buildings.KIND.daily_miss_limit,
)
