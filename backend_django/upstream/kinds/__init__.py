"""Kinds of cached data, and the registry: the one list of them.

Each kind's module declares ``KIND = Kind(...)`` (base.py): ``climate.py``,
``buildings.py``, ``boxes.py`` (a buildings box, derived from its cells),
``canopy/``, ``places.py`` (place search), ``sun/`` (sun and shade,
derived from buildings, canopy and terrain), ``basemap.py`` (map tiles),
``terrain.py`` (elevation tiles, the sun's ground and horizon). The functions below answer what a
place needs: its units, by kind, and its canonical data URLs.

Adding a kind: its module with ``KIND``, and one line in ``REGISTERED``
below (docs/architecture.md, "Adding a kind"). A derived kind computed from
another app's data (the plans' report, plans/report/) cannot be named here,
since the data proxy knows nothing of plans: its app adds it with
``register`` when it is ready (its AppConfig.ready), in every process.
"""

from functools import cache, lru_cache

from django.core.signals import setting_changed

from . import basemap, boxes, buildings, canopy, climate, places, terrain
from .base import InputsMissing, Kind, read_inputs
from .sun import kind as sun_kind
from .sun import shadow

__all__ = [
    "REGISTERED",
    "InputsMissing",
    "Kind",
    "all_units",
    "data_urls",
    "fact_kinds",
    "of_unit",
    "place_kinds",
    "read_inputs",
    "register",
    "registered",
    "units_for",
    "with_inputs",
]

# Every kind, in the order plans list them.
REGISTERED: tuple[Kind, ...] = (
    climate.KIND,
    buildings.KIND,
    boxes.KIND,
    canopy.KIND,
    places.KIND,
    sun_kind.KIND,
    shadow.KIND,
    basemap.KIND,
    terrain.KIND,
)
_BY_PREFIX = {kind.unit_prefix: kind for kind in REGISTERED}


def registered() -> tuple[Kind, ...]:
    return REGISTERED


def register(kind: Kind) -> None:
    """Add a kind declared outside the data proxy (a derived kind of another app, whose
    fetch reads that app's data); registering the same declaration again changes nothing.
    Such a kind has no ``units_for_place``: plans' data status and warming never see it."""
    global REGISTERED
    known = _BY_PREFIX.get(kind.unit_prefix)
    if known is not None:
        if known.name != kind.name:
            raise ValueError(f"unit prefix {kind.unit_prefix!r} is {known.name!r}'s already")
        return
    if kind.units_for_place is not None or kind.facts is not None:
        raise ValueError(f"{kind.name}: a registered kind is not about a place")
    REGISTERED = (*REGISTERED, kind)
    _BY_PREFIX[kind.unit_prefix] = kind


def of_unit(unit: str) -> Kind:
    """The kind a unit belongs to (by its prefix); KeyError for none."""
    return _BY_PREFIX[unit[: unit.index(":") + 1]]


def with_inputs(units: list[str]) -> list[str]:
    """``units`` and, for those of derived kinds, their inputs (and theirs)."""
    found = list(units)
    for unit in units:
        kind = of_unit(unit)
        if kind.inputs is not None:
            found += with_inputs(kind.inputs(unit))
    return found


def units_for(lat: float, lng: float) -> dict[str, list[str]]:
    """The units a place needs, by kind name."""
    return {name: list(units) for name, units in _units_for(lat, lng)}


@lru_cache(maxsize=4096)
def _units_for(lat: float, lng: float) -> tuple[tuple[str, tuple[str, ...]], ...]:
    # Remembered per point: a page of the plans list asks for fifty places, and the
    # units follow only from the point and the grid settings (forgotten when those
    # change, as tests do).
    return tuple((kind.name, tuple(kind.place_units(lat, lng))) for kind in place_kinds())


def _forget_units(**kwargs: object) -> None:
    _units_for.cache_clear()


setting_changed.connect(_forget_units)


def all_units(lat: float, lng: float) -> list[str]:
    return [unit for units in units_for(lat, lng).values() for unit in units]


def data_urls(lat: float, lng: float) -> dict[str, str]:
    """The canonical URL of each piece of data a plan page shows for the point (each
    place kind's ``urls_for_place``): nearby plans share them, so the shared cache in
    front answers them alike (decision 0021)."""
    return {
        name: url
        for kind in place_kinds()
        if kind.urls_for_place
        for name, url in kind.urls_for_place(lat, lng).items()
    }


@cache
def place_kinds() -> tuple[Kind, ...]:
    """The kinds a plan page needs, in order."""
    return tuple(kind for kind in REGISTERED if kind.units_for_place is not None)


@cache
def fact_kinds() -> tuple[Kind, ...]:
    """The kinds that give a place facts for the plans list, in order."""
    return tuple(kind for kind in REGISTERED if kind.facts is not None and kind.facts_unit_for_place)
