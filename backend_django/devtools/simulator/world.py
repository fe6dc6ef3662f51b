"""The simulated town: streets, blocks, houses with gardens, larger buildings, parks and trees.

One world, generated from coordinates alone (hashes of integer indices, no
state), drawn by three upstreams: Overpass's building footprints
(``buildings_in_bbox``), the canopy tiles (``canopy_at``) and the basemap
(``sample``). Everything is laid out in Web Mercator metres (EPSG:3857,
sphere of radius 6378137 m), where a rectangle is also a rectangle in
latitude and longitude.

- **Districts**: squares of ``DISTRICT`` Mercator metres (about 1.5 km at the
  equator, 1.06 km at 45°). A district's sizes are in ground metres: one
  Mercator metre is ``cos(latitude)`` ground metres at the district's centre.
  A district whose centre is open sea (the geocoder's ``gazetteer.is_sea``:
  beyond 75° or in its ocean boxes) is water: no streets, buildings or trees.
- **Streets**: an arterial road along every district border
  (``ARTERIAL_HALF`` ground metres each side of it) and a grid of local
  streets 12-16 m wide (roadway and a verge of 2.5-3.5 m each side) cutting
  the district into blocks of about 150-220 m by 80-105 m.
- **Blocks**: 70 % residential, 10 % parks, 12 % larger buildings
  (apartments, shops, schools, workshops) with paved ground, 8 % open fields.
  A residential block is two rows of lots back to back, 13-22 m wide; a lot
  has a house 8-13 m deep set back 4-8 m from the street, side yards, a back
  garden of at least 8 m, sometimes a garage or shed at its back, a small
  front-yard tree and up to three garden trees, each crown inside the lot
  and clear of the buildings. Some lots are vacant.
- **Trees**: garden trees, street trees in the verges of tree-lined streets
  (every 8-12 m, none at crossings), woods in parks around a lawn, a few
  trees on paved blocks and along the edges of fields. A crown is a dome:
  its height at the centre, 65 % of it at the rim. Over a town the canopy
  covers 20-40 % of the ground, never a building, and most gardens keep
  open, sunny ground.

The canopy tiles sample this world at their pixels' centres, so a coarse tile
(76 m pixels at 1024 pixels a tile) shows the same trees as scattered pixels.
"""

from __future__ import annotations

import hashlib
import math

import numpy as np

from .climate import hash_key, mix
from .gazetteer import SEAS

WORLD_VERSION = 2  # of the layout: the canopy tiles' ETags change with it
EARTH_RADIUS = 6378137.0
HALF = math.pi * EARTH_RADIUS  # half the world's width in EPSG:3857
DISTRICT = 1500.0  # Mercator metres
ARTERIAL_HALF = 10.0  # ground metres each side of a district border
ARTERIAL_VERGE = 3.5
MAX_LAT = 85.05112878

# What a point of the world is (``sample``'s classes); MAJOR: an arterial's roadway.
WATER, ROAD, VERGE, GARDEN, PARK, FIELD, PAVED, BUILDING, LAND, MAJOR = range(10)
# Block kinds.
RESIDENTIAL, PARKLAND, LARGE, OPEN = range(4)

_OFFSET = 1 << 20
_ID_OFFSET = 1 << 14


def to_mercator(lat, lng):
    lat = np.clip(np.asarray(lat, dtype=np.float64), -MAX_LAT, MAX_LAT)
    x = np.radians(np.asarray(lng, dtype=np.float64)) * EARTH_RADIUS
    y = np.log(np.tan(np.pi / 4 + np.radians(lat) / 2)) * EARTH_RADIUS
    return x, y


def to_lnglat(x, y):
    """(lat, lng) of EPSG:3857 coordinates."""
    lng = np.degrees(np.asarray(x, dtype=np.float64) / EARTH_RADIUS)
    lat = np.degrees(np.arctan(np.sinh(np.asarray(y, dtype=np.float64) / EARTH_RADIUS)))
    return lat, lng


def is_sea(lat, lng) -> np.ndarray:
    """``gazetteer.is_sea`` over arrays."""
    lat = np.asarray(lat, dtype=np.float64)
    lng = np.asarray(lng, dtype=np.float64)
    sea = np.abs(lat) > 75
    for s, n, w, e in SEAS:
        sea |= (lat >= s) & (lat <= n) & (lng >= w) & (lng <= e)
    return sea


# --- hashing -------------------------------------------------------------------------

# Odd multipliers: the k-th uniform drawn from a hash h is the top bits of h * _DRAW[k].
_DRAW = (mix(np.arange(1, 65, dtype=np.int64).astype(np.uint64)) | np.uint64(1)).tolist()


def _draw(h: np.ndarray, k: int) -> np.ndarray:
    """The k-th uniform number in [0, 1) drawn from each hash."""
    with np.errstate(over="ignore"):
        return ((h * np.uint64(_DRAW[k])) >> np.uint64(11)).astype(np.float64) * 2.0**-53


def _rehash(h: np.ndarray, value) -> np.ndarray:
    """A hash of (h, value) for an integer value (or array)."""
    return mix(h ^ np.asarray(value, dtype=np.int64).astype(np.uint64))


class _Table:
    """Named arrays for a set of points, gathered from per-run values on first use."""

    def __init__(self, values: dict[str, np.ndarray], index: np.ndarray | None = None) -> None:
        self.values = values
        self.index = index  # the row of ``values`` of each point; None: one row per point
        self._gathered: dict[str, np.ndarray] = {}

    def __getitem__(self, name: str) -> np.ndarray:
        if self.index is None:
            return self.values[name]
        found = self._gathered.get(name)
        if found is None:
            found = self._gathered[name] = self.values[name][self.index]
        return found

    def take(self, rows: np.ndarray) -> _Table:
        """The same table for the points ``rows``."""
        return _Table(self.values, rows if self.index is None else self.index[rows])


def _per_unique(keys: np.ndarray, compute, *inputs: np.ndarray) -> _Table:
    """``compute(keys, *inputs)``, evaluated once per run of equal consecutive keys (the rows of a
    tile cross few districts, blocks and lots), or for every key when most runs are single."""
    if keys.size == 0:
        return _Table(compute(keys, *inputs))
    starts = np.concatenate([[0], np.flatnonzero(keys[1:] != keys[:-1]) + 1])
    if starts.size > keys.size // 2:
        return _Table(compute(keys, *inputs))
    index = np.repeat(np.arange(starts.size), np.diff(np.append(starts, keys.size)))
    return _Table(compute(keys[starts], *(array[starts] for array in inputs)), index)


# --- districts ----------------------------------------------------------------------


def _district_key(i, j):
    return (np.asarray(i, dtype=np.int64) + _OFFSET) * (1 << 21) + (np.asarray(j, dtype=np.int64) + _OFFSET)


def _districts(keys: np.ndarray) -> dict[str, np.ndarray]:
    """Each district's layout from its key (arrays aligned with ``keys``)."""
    i = keys // (1 << 21) - _OFFSET
    j = keys % (1 << 21) - _OFFSET
    h = hash_key(i, j, 11)
    y_centre = (j + 0.5) * DISTRICT
    scale = np.cosh(y_centre / EARTH_RADIUS)  # Mercator metres per ground metre
    size = DISTRICT / scale
    long_east_west = _draw(h, 0) < 0.5
    long_pitch = 150 + 70 * _draw(h, 1)
    short_pitch = 80 + 25 * _draw(h, 2)
    n_u = np.maximum(1, np.rint(size / np.where(long_east_west, long_pitch, short_pitch)))
    n_v = np.maximum(1, np.rint(size / np.where(long_east_west, short_pitch, long_pitch)))
    lat, lng = to_lnglat((i + 0.5) * DISTRICT, y_centre)
    return {
        "i": i,
        "j": j,
        "hash": h,
        "scale": scale,
        "size": size,
        "n_u": n_u.astype(np.int64),
        "n_v": n_v.astype(np.int64),
        "p_u": size / n_u,
        "p_v": size / n_v,
        "street_half": 6 + 2 * _draw(h, 3),
        "verge": 2.5 + _draw(h, 4),
        "leafy": 0.85 + 0.35 * _draw(h, 5),
        "tree_lined": 0.65 + 0.35 * _draw(h, 6),
        "water": is_sea(lat, lng),
    }


def _line_half(index, count, street_half):
    """Half-width (ground m) of street line ``index`` of ``count + 1`` lines (the outer two are arterials)."""
    return np.where((index == 0) | (index == count), ARTERIAL_HALF, street_half)


def _line_verge(index, count, verge):
    return np.where((index == 0) | (index == count), ARTERIAL_VERGE, verge)


# --- blocks ---------------------------------------------------------------------------


def _blocks(keys: np.ndarray, district_hash, width, height) -> dict[str, np.ndarray]:
    """Each block's use, its park's lawn and its larger buildings, from its key
    (``district key * 1024 + bu * 32 + bv``) and its size (ground m, x east, y north)."""
    h = _rehash(district_hash, keys % 1024 + 21)
    r = _draw(h, 0)
    kind = np.select([r < 0.10, r < 0.22, r < 0.30], [PARKLAND, LARGE, OPEN], RESIDENTIAL)
    kind = np.where((width < 30) | (height < 30), OPEN, kind)
    out = {"hash": h, "kind": kind}
    lawn_w = width * (0.3 + 0.25 * _draw(h, 2))
    lawn_h = height * (0.35 + 0.25 * _draw(h, 3))
    lawn_x = (width - lawn_w) * _draw(h, 4)
    lawn_y = (height - lawn_h) * _draw(h, 5)
    out["lawn"] = _draw(h, 1) < 0.7
    out["lawn_x0"], out["lawn_x1"] = lawn_x, lawn_x + lawn_w
    out["lawn_y0"], out["lawn_y1"] = lawn_y, lawn_y + lawn_h
    # Up to three larger buildings along the long side, set back from the streets.
    long_x = width >= height
    long = np.maximum(width, height)
    short = np.minimum(width, height)
    count = 1 + np.floor(3 * _draw(h, 6)).astype(np.int64)
    part = long / count
    for k in range(3):
        margin = 4 + 5 * _draw(h, 7 + k)
        a0, a1 = k * part + margin, (k + 1) * part - margin
        c0, c1 = 6 + 6 * _draw(h, 10 + k), short - 6 - 6 * _draw(h, 13 + k)
        out[f"b{k}"] = (kind == LARGE) & (k < count) & (a1 - a0 >= 10) & (c1 - c0 >= 10)
        out[f"b{k}_x0"], out[f"b{k}_x1"] = np.where(long_x, a0, c0), np.where(long_x, a1, c1)
        out[f"b{k}_y0"], out[f"b{k}_y1"] = np.where(long_x, c0, a0), np.where(long_x, c1, a1)
    return out


LARGE_BUILDINGS = 3


# --- residential lots ------------------------------------------------------------------


def _frontage(block_hash: np.ndarray, row: np.ndarray, long: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(lot count, lot width) of a block row."""
    target = 13 + 9 * np.where(row == 1, _draw(block_hash, 21), _draw(block_hash, 20))
    count = np.maximum(1, np.rint(long / target))
    return count.astype(np.int64), long / count


def _lots(keys: np.ndarray, block_hash, width, depth) -> dict[str, np.ndarray]:
    """A lot's house, garage and trees, from its key (``block key * 256 + row * 128 + lot``),
    in lot coordinates: ``a`` along the street from the lot's left edge (0..width), ``d`` from
    the street edge inwards (0..depth)."""
    h = _rehash(block_hash, keys % 256 + 41)
    u = [_draw(h, k) for k in range(32)]
    out: dict[str, np.ndarray] = {}
    setback = 4 + 4 * u[0]
    house_depth = np.minimum(8 + 5 * u[1], depth - setback - 8)
    side_1 = 1.5 + 2.5 * u[2]
    side_2 = 1.5 + 2.5 * u[3]
    narrow = width - side_1 - side_2 < 6
    side_1 = np.where(narrow, np.maximum(0.8, (width - 6) / 2), side_1)
    side_2 = np.where(narrow, np.maximum(0.8, (width - 6) / 2), side_2)
    vacant = (u[4] < 0.05) | (house_depth < 6) | (width - side_1 - side_2 < 5)
    out["house"] = ~vacant
    out["house_a0"], out["house_a1"] = side_1, width - side_2
    out["house_d0"], out["house_d1"] = setback, setback + house_depth
    back = depth - setback - house_depth  # the back garden's depth
    garage_width = 3 + 3 * u[5]
    garage_depth = 3 + 3 * u[6]
    garage_back = 1 + 2 * u[7]
    garage_a0 = np.where(u[8] < 0.5, 1.0, width - 1.0 - garage_width)
    out["garage"] = (u[9] < 0.3) & ~vacant & (back - garage_back - garage_depth >= 4)
    out["garage_a0"], out["garage_a1"] = garage_a0, garage_a0 + garage_width
    out["garage_d0"], out["garage_d1"] = depth - garage_back - garage_depth, depth - garage_back
    # A front-yard tree, and up to three garden trees.
    radius = np.minimum(1.8 + 1.7 * u[10], setback / 2 - 0.2)
    trees = [
        (
            (u[11] < 0.45) & (radius >= 1.5),
            radius + 0.3 + (width - 2 * radius - 0.6) * u[12],
            setback / 2,
            radius,
            5 + 7 * u[13],
        )
    ]
    garden_start = np.where(vacant, 1.0, setback + house_depth + 0.5)
    for k, chance in enumerate((0.95, 0.85, 0.7)):
        s = 14 + 5 * k
        room = np.minimum((depth - garden_start - 0.3) / 2, width / 2 - 0.3)
        radius = np.minimum(4 + 3.5 * u[s], room)
        centre_a = radius + 0.3 + (width - 2 * radius - 0.6) * u[s + 1]
        centre_d = garden_start + radius + (depth - garden_start - 2 * radius - 0.3) * u[s + 2]
        present = (u[s + 3] < chance) & (radius >= 1.8)
        # Clear of the garage.
        gap_a = np.maximum(0, np.maximum(out["garage_a0"] - centre_a, centre_a - out["garage_a1"]))
        gap_d = np.maximum(0, np.maximum(out["garage_d0"] - centre_d, centre_d - out["garage_d1"]))
        present &= ~(out["garage"] & (gap_a**2 + gap_d**2 < radius**2))
        trees.append((present, centre_a, centre_d, radius, 7 + 15 * u[s + 4]))
    for k, (present, centre_a, centre_d, radius, height) in enumerate(trees):
        out[f"tree{k}"] = present
        out[f"tree{k}_a"], out[f"tree{k}_d"] = centre_a, centre_d
        out[f"tree{k}_r"], out[f"tree{k}_h"] = radius, height
    return out


LOT_TREES = 4


# --- trees -----------------------------------------------------------------------------


def _crown(present, dx, dy, radius, height) -> np.ndarray:
    """A dome crown's height at offsets (dx, dy) from its centre; 0 outside it."""
    reach = (dx * dx + dy * dy) / (radius * radius)
    return np.where(present & (reach <= 1.0), height * (1 - 0.35 * reach), 0.0)


def _neighbours(position: np.ndarray, spacing) -> tuple[np.ndarray, np.ndarray]:
    """The slot holding each position and the neighbour on its nearer side. A tree within 15 %
    of a slot's centre with a crown of at most 0.85 slot reaches no further than that."""
    slot = np.floor(position / spacing).astype(np.int64)
    nearer = np.where(position - slot * spacing < spacing / 2, slot - 1, slot + 1)
    return slot, nearer


_SLOT_PARK, _SLOT_OTHER = 9.0, 11.0  # park crowns up to 7 m, others up to 5 m: within 0.85 slot


def _slot_trees(b, bx, by, width, height, leafy) -> np.ndarray:
    """Canopy height (m) at block coordinates (bx, by) of parks, paved blocks and fields:
    trees on a grid of slots, each slot holding one tree or none."""
    park = b["kind"] == PARKLAND
    spacing = np.where(park, _SLOT_PARK, _SLOT_OTHER)
    best = np.zeros(bx.shape)
    columns = _neighbours(bx, spacing)
    rows = _neighbours(by, spacing)
    for si in columns:
        for sj in rows:
            h = _rehash(b["hash"], (si + 512) * 4096 + (sj + 512))
            cx = (si + 0.5 + 0.3 * (_draw(h, 0) - 0.5)) * spacing
            cy = (sj + 0.5 + 0.3 * (_draw(h, 1) - 0.5)) * spacing
            edge = np.minimum(np.minimum(cx, width - cx), np.minimum(cy, height - cy))
            chance = np.select(
                [park, b["kind"] == LARGE], [0.9 * leafy, 0.35 * leafy], np.where(edge < 7, 0.7 * leafy, 0.04)
            )
            radius = np.where(park, 4 + 3 * _draw(h, 2), 2.5 + 2.5 * _draw(h, 2))
            tall = np.where(park, 12 + 16 * _draw(h, 3), 7 + 11 * _draw(h, 3))
            present = (_draw(h, 4) < chance) & (edge > 0)
            in_lawn = (cx > b["lawn_x0"]) & (cx < b["lawn_x1"]) & (cy > b["lawn_y0"]) & (cy < b["lawn_y1"])
            present &= ~(park & b["lawn"] & in_lawn)
            for k in range(LARGE_BUILDINGS):
                gx = np.maximum(0, np.maximum(b[f"b{k}_x0"] - cx, cx - b[f"b{k}_x1"]))
                gy = np.maximum(0, np.maximum(b[f"b{k}_y0"] - cy, cy - b[f"b{k}_y1"]))
                present &= ~(b[f"b{k}"] & (gx**2 + gy**2 < (radius + 1) ** 2))
            best = np.maximum(best, _crown(present, bx - cx, by - cy, radius, tall))
    return best


def _street_trees(d, axis, line, side, along, offset, cross_pitch, cross_count) -> np.ndarray:
    """Canopy height from the trees in the verge of street line ``line`` (of axis 0: a
    north-south street at u = line * p_u; 1: east-west) on ``side`` (+1 / -1) of it, at a point
    ``along`` the street and ``offset`` (signed, ground m) from its centre line."""
    count = np.where(axis == 0, d["n_u"], d["n_v"])
    half = _line_half(line, count, d["street_half"])
    verge = _line_verge(line, count, d["verge"])
    line_h = _rehash(d["hash"], axis * 1_000_003 + line * 4 + side + 1 + 81_000_000)
    lined = _draw(line_h, 0) < d["tree_lined"]
    spacing = 8 + 4 * _draw(line_h, 1)
    centre_offset = side * (half - verge / 2)
    best = np.zeros(along.shape)
    for slot in _neighbours(along, spacing):
        h = _rehash(line_h, slot)
        centre = (slot + 0.5) * spacing + 1.2 * (_draw(h, 0) - 0.5)
        nearest = np.clip(np.rint(centre / cross_pitch), 0, cross_count)
        cross_half = _line_half(nearest, cross_count, d["street_half"])
        clear = (np.abs(centre - nearest * cross_pitch) > cross_half + 2.5) & (centre > 0)
        clear &= centre < cross_count * cross_pitch
        radius = np.minimum(2.8 + 1.8 * _draw(h, 1), half - verge / 2 - 0.5)
        present = lined & clear & (_draw(h, 2) < 0.85)
        crown = _crown(present, along - centre, offset - centre_offset, radius, 6 + 10 * _draw(h, 3))
        best = np.maximum(best, crown)
    return best


# --- sampling --------------------------------------------------------------------------


def sample(x, y, *, detail: bool = True, min_half: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """(class, canopy height in whole metres) of the world at EPSG:3857 points.

    ``detail``: False leaves out buildings and trees (classes of blocks and streets only);
    ``min_half``: draw every roadway at least this many Mercator metres each side of its line
    (a map's thinnest line)."""
    shape = np.shape(x)
    x = np.ravel(np.asarray(x, dtype=np.float64))
    y = np.ravel(np.asarray(y, dtype=np.float64))
    classes = np.full(x.size, LAND, dtype=np.uint8)
    canopy = np.zeros(x.size, dtype=np.uint8)
    i = np.floor(x / DISTRICT).astype(np.int64)
    j = np.floor(y / DISTRICT).astype(np.int64)
    d = _per_unique(_district_key(i, j), _districts)
    classes[d["water"]] = WATER
    land = np.nonzero(~d["water"])[0]
    if land.size == 0:
        return classes.reshape(shape), canopy.reshape(shape)
    d = d.take(land)
    u = (x[land] - d["i"] * DISTRICT) / d["scale"]
    v = (y[land] - d["j"] * DISTRICT) / d["scale"]
    thinnest = min_half / d["scale"]

    bu = np.clip(np.floor(u / d["p_u"]), 0, d["n_u"] - 1).astype(np.int64)
    bv = np.clip(np.floor(v / d["p_v"]), 0, d["n_v"] - 1).astype(np.int64)
    west, east = u - bu * d["p_u"], (bu + 1) * d["p_u"] - u  # distances to the lines around
    south, north = v - bv * d["p_v"], (bv + 1) * d["p_v"] - v
    half_w = _line_half(bu, d["n_u"], d["street_half"])
    half_e = _line_half(bu + 1, d["n_u"], d["street_half"])
    half_s = _line_half(bv, d["n_v"], d["street_half"])
    half_n = _line_half(bv + 1, d["n_v"], d["street_half"])
    on_w = west < np.maximum(half_w - _line_verge(bu, d["n_u"], d["verge"]), thinnest)
    on_e = east < np.maximum(half_e - _line_verge(bu + 1, d["n_u"], d["verge"]), thinnest)
    on_s = south < np.maximum(half_s - _line_verge(bv, d["n_v"], d["verge"]), thinnest)
    on_n = north < np.maximum(half_n - _line_verge(bv + 1, d["n_v"], d["verge"]), thinnest)
    roadway = on_w | on_e | on_s | on_n
    major = (
        (on_w & (bu == 0))
        | (on_e & (bu + 1 == d["n_u"]))
        | (on_s & (bv == 0))
        | (on_n & (bv + 1 == d["n_v"]))
    )
    street = (west < half_w) | (east < half_e) | (south < half_s) | (north < half_n) | roadway
    width = d["p_u"] - half_w - half_e
    height = d["p_v"] - half_s - half_n
    bx, by = west - half_w, south - half_s  # block coordinates from its south-west corner
    block_key = _district_key(d["i"], d["j"]) * 1024 + bu * 32 + bv
    b = _per_unique(block_key, _blocks, d["hash"], width, height)
    kind = b["kind"]
    ground = np.select([kind == PARKLAND, kind == LARGE, kind == OPEN], [PARK, PAVED, FIELD], GARDEN)
    land_class = np.select([major, roadway, street], [MAJOR, ROAD, VERGE], ground).astype(np.uint8)
    if not detail:
        classes[land] = land_class
        return classes.reshape(shape), canopy.reshape(shape)

    trees = np.zeros(land.size)
    roofs = np.zeros(land.size, dtype=bool)
    inside = ~street

    # Residential lots: houses, garages, their trees.
    homes = np.nonzero(inside & (kind == RESIDENTIAL))[0]
    if homes.size:
        long_x = width[homes] >= height[homes]
        along = np.where(long_x, bx[homes], by[homes])
        across = np.where(long_x, by[homes], bx[homes])
        long = np.maximum(width[homes], height[homes])
        short = np.minimum(width[homes], height[homes])
        depth = short / 2
        row = (across >= depth).astype(np.int64)
        count, lot_width = _frontage(b["hash"][homes], row, long)
        lot = np.clip(np.floor(along / lot_width), 0, count - 1).astype(np.int64)
        a = along - lot * lot_width
        dd = np.where(row == 1, short - across, across)
        lots = _per_unique(
            block_key[homes] * 256 + row * 128 + lot, _lots, b["hash"][homes], lot_width, depth
        )
        roof = np.zeros(homes.size, dtype=bool)
        for name in ("house", "garage"):
            roof |= (
                lots[name]
                & (a >= lots[f"{name}_a0"])
                & (a <= lots[f"{name}_a1"])
                & (dd >= lots[f"{name}_d0"])
                & (dd <= lots[f"{name}_d1"])
            )
        crowns = np.zeros(homes.size)
        for k in range(LOT_TREES):
            crown = _crown(
                lots[f"tree{k}"],
                a - lots[f"tree{k}_a"],
                dd - lots[f"tree{k}_d"],
                lots[f"tree{k}_r"],
                lots[f"tree{k}_h"],
            )
            crowns = np.maximum(crowns, crown)
        roofs[homes] = roof
        trees[homes] = crowns

    # Parks, larger buildings, fields.
    others = np.nonzero(inside & (kind != RESIDENTIAL))[0]
    if others.size:
        sub = b.take(others)
        roof = np.zeros(others.size, dtype=bool)
        for k in range(LARGE_BUILDINGS):
            roof |= (
                sub[f"b{k}"]
                & (bx[others] >= sub[f"b{k}_x0"])
                & (bx[others] <= sub[f"b{k}_x1"])
                & (by[others] >= sub[f"b{k}_y0"])
                & (by[others] <= sub[f"b{k}_y1"])
            )
        roofs[others] = roof
        trees[others] = _slot_trees(
            sub, bx[others], by[others], width[others], height[others], d["leafy"][others]
        )

    # Street trees: the verge trees of the nearest north-south and east-west lines.
    for axis in (0, 1):
        if axis == 0:
            near_first = west <= east
            distance = np.where(near_first, west, east)
            line = np.where(near_first, bu, bu + 1)
            along, cross_pitch, cross_count = v, d["p_v"], d["n_v"]
        else:
            near_first = south <= north
            distance = np.where(near_first, south, north)
            line = np.where(near_first, bv, bv + 1)
            along, cross_pitch, cross_count = u, d["p_u"], d["n_u"]
        close = np.nonzero(distance < ARTERIAL_HALF + 5)[0]
        if close.size == 0:
            continue
        side = np.where(near_first[close], 1, -1)
        found = _street_trees(
            d.take(close),
            axis,
            line[close],
            side,
            along[close],
            side * distance[close],
            cross_pitch[close],
            cross_count[close],
        )
        trees[close] = np.maximum(trees[close], found)

    trees = np.where(roofs, 0.0, trees)
    classes[land] = np.where(roofs, BUILDING, land_class)
    canopy[land] = np.where(trees > 0, np.maximum(1.0, np.rint(trees)), 0.0).astype(np.uint8)
    return classes.reshape(shape), canopy.reshape(shape)


def canopy_at(x, y) -> np.ndarray:
    """Canopy height (uint8 metres, 0 = no trees) at EPSG:3857 points."""
    shape = np.shape(x)
    x = np.ravel(np.asarray(x, dtype=np.float64))
    y = np.ravel(np.asarray(y, dtype=np.float64))
    out = np.empty(x.size, dtype=np.uint8)
    step = 1 << 18  # bounded memory for whole tiles
    for start in range(0, x.size, step):
        out[start : start + step] = sample(x[start : start + step], y[start : start + step])[1]
    return out.reshape(shape)


# --- Overpass ---------------------------------------------------------------------------

_HOUSE_KINDS = ("house", "house", "house", "detached", "residential", "yes", "semidetached_house")
_LARGE_KINDS = (
    ("apartments", 3, 8),
    ("apartments", 3, 8),
    ("commercial", 1, 4),
    ("retail", 1, 2),
    ("school", 2, 3),
    ("industrial", 1, 2),
    ("yes", 1, 5),
)


def building_way_id(i: int, j: int, bu: int, bv: int, row: int, lot: int, slot: int) -> int:
    """OSM way id of a building: district (i, j), block (bu, bv), lot row and index, slot
    (0 house, 1 garage; the index of a larger building in ``lot``)."""
    value = (i + _ID_OFFSET) * 32768 + (j + _ID_OFFSET)
    for part, size in ((bu, 32), (bv, 32), (row, 2), (lot, 64), (slot, 4)):
        value = value * size + part
    return value + 1


def _digest(way_id: int) -> bytes:
    return hashlib.blake2b(f"bldg|{way_id}".encode(), digest_size=16).digest()


def _height_tags(tags: dict, digest: bytes, levels: int, metres: float) -> None:
    variant = digest[11] % 20
    if variant < 4:  # height in metres, a plain number
        tags["height"] = str(round(metres, 1))
    elif variant < 6:  # height with units
        tags["height"] = f"{round(metres)} m"
    elif variant < 7:  # both
        tags["height"] = str(round(metres))
        tags["building:levels"] = str(levels)
    elif variant < 12:  # levels only
        tags["building:levels"] = str(levels)
    # else: neither


def _tags(way_id: int, role: str, number: int) -> dict[str, str]:
    digest = _digest(way_id)
    if role == "house":
        levels = 1 + digest[10] % 2
        tags = {"building": _HOUSE_KINDS[digest[9] % len(_HOUSE_KINDS)]}
        _height_tags(tags, digest, levels, levels * 3.0 + 2.0 + (digest[12] % 10) / 10)
        if digest[13] % 5 < 3:
            tags["addr:housenumber"] = str(number)
        if digest[15] % 5 < 2:
            tags["roof:shape"] = "gabled" if digest[14] % 3 else "hipped"
    elif role == "garage":
        tags = {"building": "garage" if digest[9] % 3 else "shed"}
        if digest[11] % 3 == 0:
            tags["height"] = str(round(2.4 + (digest[12] % 8) / 10, 1))
    else:
        kind, low, high = _LARGE_KINDS[digest[9] % len(_LARGE_KINDS)]
        levels = low + digest[10] % (high - low + 1)
        tags = {"building": kind}
        _height_tags(tags, digest, levels, levels * 3.2 + 1.0)
        if digest[13] % 4 == 0:
            tags["addr:housenumber"] = str(number)
        if digest[14] % 3 == 0:
            tags["name"] = f"Building {way_id}"
        if digest[15] % 2 == 0:
            tags["roof:shape"] = "flat"
    return tags


def _way_ids(i: int, j: int, bu, bv, row, lot, slot) -> np.ndarray:
    """``building_way_id`` over arrays."""
    value: np.ndarray = np.asarray((i + _ID_OFFSET) * 32768 + (j + _ID_OFFSET), dtype=np.int64)
    for part, size in ((bu, 32), (bv, 32), (row, 2), (lot, 64), (slot, 4)):
        value = value * size + np.asarray(part, dtype=np.int64)
    return value + 1


_ROLES = ("house", "garage", "large")


def _district_buildings(i: int, j: int, u_lo: float, u_hi: float, v_lo: float, v_hi: float):
    """Arrays (way id, role index, house number, u0, u1, v0, v1 in district ground metres) of the
    buildings of the blocks of district (i, j) that touch [u_lo, u_hi] x [v_lo, v_hi]."""
    empty = tuple(
        np.zeros(0, dtype=kind) for kind in (np.int64, np.int64, np.int64, float, float, float, float)
    )
    district = _districts(np.atleast_1d(_district_key(i, j)))
    if district["water"][0]:
        return empty
    p_u, p_v = float(district["p_u"][0]), float(district["p_v"][0])
    n_u, n_v = int(district["n_u"][0]), int(district["n_v"][0])
    street_half = float(district["street_half"][0])
    columns = np.arange(max(0, math.floor(u_lo / p_u)), min(n_u - 1, math.floor(u_hi / p_u)) + 1)
    rows = np.arange(max(0, math.floor(v_lo / p_v)), min(n_v - 1, math.floor(v_hi / p_v)) + 1)
    if columns.size == 0 or rows.size == 0:
        return empty
    bu, bv = (grid.ravel() for grid in np.meshgrid(columns, rows, indexing="ij"))
    u0 = bu * p_u + np.where(bu == 0, ARTERIAL_HALF, street_half)
    width = (bu + 1) * p_u - np.where(bu + 1 == n_u, ARTERIAL_HALF, street_half) - u0
    v0 = bv * p_v + np.where(bv == 0, ARTERIAL_HALF, street_half)
    height = (bv + 1) * p_v - np.where(bv + 1 == n_v, ARTERIAL_HALF, street_half) - v0
    block_key = int(_district_key(i, j)) * 1024 + bu * 32 + bv
    block = _blocks(block_key, np.repeat(district["hash"], bu.size), width, height)
    parts = []
    # Larger buildings, in block coordinates already.
    for k in range(LARGE_BUILDINGS):
        here = block[f"b{k}"]
        parts.append(
            (
                _way_ids(i, j, bu[here], bv[here], 0, k, 0),
                np.full(here.sum(), 2),
                100 + 2 * (bu[here] * 20 + bv[here]) + k,
                u0[here] + block[f"b{k}_x0"][here],
                u0[here] + block[f"b{k}_x1"][here],
                v0[here] + block[f"b{k}_y0"][here],
                v0[here] + block[f"b{k}_y1"][here],
            )
        )
    # Houses and garages on the lots of the residential blocks.
    homes = np.nonzero(block["kind"] == RESIDENTIAL)[0]
    long_x = width[homes] >= height[homes]
    long = np.maximum(width[homes], height[homes])
    short = np.minimum(width[homes], height[homes])
    for row in (0, 1):
        count, lot_width = _frontage(block["hash"][homes], np.full(homes.size, row), long)
        owner = np.repeat(np.arange(homes.size), count)  # the block of each lot
        lot = np.arange(owner.size) - np.repeat(np.cumsum(count) - count, count)
        keys = block_key[homes][owner] * 256 + row * 128 + lot
        lots = _lots(keys, block["hash"][homes][owner], lot_width[owner], short[owner] / 2)
        for slot, role in enumerate(("house", "garage")):
            here = lots[role]
            at = owner[here]
            a0 = lot[here] * lot_width[at] + lots[f"{role}_a0"][here]
            a1 = lot[here] * lot_width[at] + lots[f"{role}_a1"][here]
            d0, d1 = lots[f"{role}_d0"][here], lots[f"{role}_d1"][here]
            c0, c1 = (d0, d1) if row == 0 else (short[at] - d1, short[at] - d0)
            x0, x1 = np.where(long_x[at], a0, c0), np.where(long_x[at], a1, c1)
            y0, y1 = np.where(long_x[at], c0, a0), np.where(long_x[at], c1, a1)
            block_u0, block_v0 = u0[homes][at], v0[homes][at]
            parts.append(
                (
                    _way_ids(i, j, bu[homes][at], bv[homes][at], row, lot[here], slot),
                    np.full(at.size, slot),
                    2 * (bu[homes][at] * 20 + lot[here]) + 1 + row,
                    block_u0 + x0,
                    block_u0 + x1,
                    block_v0 + y0,
                    block_v0 + y1,
                )
            )
    return tuple(np.concatenate([part[k] for part in parts]) for k in range(7))


def buildings_in_bbox(s: float, w: float, n: float, e: float) -> list[dict]:
    """Overpass elements: the buildings with a node inside the box (ways, by id), then their nodes."""
    x0, y0 = (float(value) for value in to_mercator(s, w))
    x1, y1 = (float(value) for value in to_mercator(n, e))
    found: list[tuple] = []
    for i in range(math.floor(x0 / DISTRICT), math.floor(x1 / DISTRICT) + 1):
        for j in range(math.floor(y0 / DISTRICT), math.floor(y1 / DISTRICT) + 1):
            scale = math.cosh((j + 0.5) * DISTRICT / EARTH_RADIUS)
            ox, oy = i * DISTRICT, j * DISTRICT
            ids, roles, numbers, u0, u1, v0, v1 = _district_buildings(
                i, j, (x0 - ox) / scale, (x1 - ox) / scale, (y0 - oy) / scale, (y1 - oy) / scale
            )
            south, west = to_lnglat(ox + u0 * scale, oy + v0 * scale)
            north, east = to_lnglat(ox + u1 * scale, oy + v1 * scale)
            south, west, north, east = (np.round(values, 7) for values in (south, west, north, east))
            lat_in = ((south >= s) & (south <= n)) | ((north >= s) & (north <= n))
            lng_in = ((west >= w) & (west <= e)) | ((east >= w) & (east <= e))
            keep = lat_in & lng_in  # a corner inside the box
            columns = (ids, roles, numbers, south, west, north, east)
            found.extend(zip(*(column[keep].tolist() for column in columns), strict=True))
    ways: list[dict] = []
    nodes: list[dict] = []
    for way_id, role, number, south_, west_, north_, east_ in sorted(found):
        node_ids = [way_id * 4 + k for k in range(4)]
        ways.append(
            {
                "type": "way",
                "id": way_id,
                "nodes": [*node_ids, node_ids[0]],
                "tags": _tags(way_id, _ROLES[role], number),
            }
        )
        for node_id, (lat, lon) in zip(
            node_ids, ((south_, west_), (south_, east_), (north_, east_), (north_, west_)), strict=True
        ):
            nodes.append({"type": "node", "id": node_id, "lat": lat, "lon": lon})
    return ways + nodes


__all__ = [
    "BUILDING",
    "DISTRICT",
    "FIELD",
    "GARDEN",
    "LAND",
    "MAJOR",
    "PARK",
    "PAVED",
    "ROAD",
    "VERGE",
    "WATER",
    "buildings_in_bbox",
    "canopy_at",
    "is_sea",
    "sample",
    "to_lnglat",
    "to_mercator",
]
