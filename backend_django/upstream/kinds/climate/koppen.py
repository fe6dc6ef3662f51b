"""The Köppen-Geiger climate class of a place from its monthly normals.

The rules are those of Peel, Finlayson & McMahon (2007), "Updated world map
of the Köppen-Geiger climate classification", Hydrology and Earth System
Sciences 11, 1633-1644, Table 1:

- MAT, MAP: mean annual temperature (°C) and precipitation (mm); Thot,
  Tcold: the warmest and coldest month; Tmon10: months warmer than 10 °C;
  Pdry: the driest month; Psdry, Pswet, Pwdry, Pwwet: the driest and
  wettest month of summer and of winter.
- Summer is the warm half-year by hemisphere: April-September in the north,
  October-March in the south (latitude 0 counts as north, as in the
  climate summary).
- Pthreshold = 2 * MAT if at least 70 % of MAP falls in winter, 2 * MAT + 28
  if at least 70 % falls in summer, else 2 * MAT + 14.
- B (arid) when MAP < 10 * Pthreshold, checked first; BW (desert) when
  MAP < 5 * Pthreshold, else BS (steppe); h when MAT ≥ 18, else k.
- E (polar) when Thot ≤ 10: ET when Thot > 0, else EF. Peel writes E as
  Thot < 10 and C, D as Thot > 10; exactly 10 °C is E here.
- A (tropical) when Tcold ≥ 18: Af when Pdry ≥ 60, Am when
  Pdry ≥ 100 - MAP / 25, else Aw (Peel folds the rare As into Aw).
- C (temperate) when 0 < Tcold < 18, D (cold) when Tcold ≤ 0. The boundary
  between them is Peel's 0 °C, not the -3 °C of Köppen's original and of
  Kottek et al. (2006): a coldest month of -1 °C is D here.
- Second letter of C and D: s (dry summer) when Psdry < 40 and
  Psdry < Pwwet / 3; w (dry winter) when Pwdry < Pswet / 10; else f. Peel
  gives no order when both hold; here the season with the drier driest
  month wins (s when Psdry ≤ Pwdry), as Kottek et al. compare them.
- Third letter: a when Thot ≥ 22; b when Tmon10 ≥ 4; d (D only) when
  Tcold < -38; else c.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import fmean
from typing import Literal, cast

Hemisphere = Literal["north", "south"]

NORTH_SUMMER = (3, 4, 5, 6, 7, 8)  # April to September, 0 = January
SOUTH_SUMMER = (9, 10, 11, 0, 1, 2)  # October to March

NAMES = {
    "Af": "Tropical rainforest",
    "Am": "Tropical monsoon",
    "Aw": "Tropical savanna",
    "BWh": "Hot desert",
    "BWk": "Cold desert",
    "BSh": "Hot semi-arid",
    "BSk": "Cold semi-arid",
    "Csa": "Hot-summer Mediterranean",
    "Csb": "Warm-summer Mediterranean",
    "Csc": "Cold-summer Mediterranean",
    "Cwa": "Monsoon-influenced humid subtropical",
    "Cwb": "Subtropical highland with dry winters",
    "Cwc": "Cold subtropical highland with dry winters",
    "Cfa": "Humid subtropical",
    "Cfb": "Temperate oceanic",
    "Cfc": "Subpolar oceanic",
    "Dsa": "Hot-summer Mediterranean-influenced continental",
    "Dsb": "Warm-summer Mediterranean-influenced continental",
    "Dsc": "Mediterranean-influenced subarctic",
    "Dsd": "Mediterranean-influenced extremely cold subarctic",
    "Dwa": "Monsoon-influenced hot-summer continental",
    "Dwb": "Monsoon-influenced warm-summer continental",
    "Dwc": "Monsoon-influenced subarctic",
    "Dwd": "Monsoon-influenced extremely cold subarctic",
    "Dfa": "Hot-summer humid continental",
    "Dfb": "Warm-summer humid continental",
    "Dfc": "Subarctic",
    "Dfd": "Extremely cold subarctic",
    "ET": "Tundra",
    "EF": "Ice cap",
}


@dataclass(frozen=True)
class KoppenClass:
    code: str  # e.g. "Csb"
    name: str  # e.g. "Warm-summer Mediterranean"


def koppen_class(
    temperatures: Sequence[float],
    precipitation: Sequence[float],
    *,
    hemisphere: Hemisphere | None = None,
    latitude: float | None = None,
) -> KoppenClass:
    """The class of 12 monthly mean temperatures (°C) and precipitation totals (mm), January first.

    Give the ``hemisphere`` or the ``latitude`` (ValueError when they disagree
    or neither is given, and for anything but 12 finite values each, or a
    negative precipitation).
    """
    temps = _twelve("temperatures", temperatures)
    rain = _twelve("precipitation", precipitation)
    if any(value < 0 for value in rain):
        raise ValueError("precipitation: totals cannot be negative.")
    half = _hemisphere(hemisphere, latitude)
    code = _code(temps, rain, NORTH_SUMMER if half == "north" else SOUTH_SUMMER)
    return KoppenClass(code=code, name=NAMES[code])


def _code(temps: list[float], rain: list[float], summer_months: tuple[int, ...]) -> str:
    mat, map_ = fmean(temps), sum(rain)
    hottest, coldest = max(temps), min(temps)
    summer = [rain[month] for month in summer_months]
    winter = [rain[month] for month in range(12) if month not in summer_months]

    if sum(winter) >= 0.7 * map_:
        threshold = 2 * mat
    elif sum(summer) >= 0.7 * map_:
        threshold = 2 * mat + 28
    else:
        threshold = 2 * mat + 14
    if map_ < 10 * threshold:
        return ("BW" if map_ < 5 * threshold else "BS") + ("h" if mat >= 18 else "k")

    if hottest <= 10:
        return "ET" if hottest > 0 else "EF"

    if coldest >= 18:
        driest = min(rain)
        if driest >= 60:
            return "Af"
        return "Am" if driest >= 100 - map_ / 25 else "Aw"

    group = "C" if coldest > 0 else "D"
    summer_dry, summer_wet = min(summer), max(summer)
    winter_dry, winter_wet = min(winter), max(winter)
    dry_summer = summer_dry < 40 and summer_dry < winter_wet / 3
    dry_winter = winter_dry < summer_wet / 10
    if dry_summer and dry_winter:
        precipitation = "s" if summer_dry <= winter_dry else "w"
    else:
        precipitation = "s" if dry_summer else "w" if dry_winter else "f"

    if hottest >= 22:
        heat = "a"
    elif sum(t > 10 for t in temps) >= 4:
        heat = "b"
    elif group == "D" and coldest < -38:
        heat = "d"
    else:
        heat = "c"
    return group + precipitation + heat


def _twelve(name: str, values: Sequence[float]) -> list[float]:
    values = [float(value) for value in values]
    if len(values) != 12:
        raise ValueError(f"{name}: 12 monthly values are needed, got {len(values)}.")
    if not all(math.isfinite(value) for value in values):
        raise ValueError(f"{name}: every value must be a finite number.")
    return values


def _hemisphere(hemisphere: str | None, latitude: float | None) -> Hemisphere:
    from_latitude: Hemisphere | None = None
    if latitude is not None:
        if not (math.isfinite(latitude) and -90 <= latitude <= 90):
            raise ValueError(f"latitude: must be between -90 and 90, got {latitude}.")
        from_latitude = "north" if latitude >= 0 else "south"
    if hemisphere is not None and hemisphere not in ("north", "south"):
        raise ValueError(f'hemisphere: "north" or "south", got {hemisphere!r}.')
    if hemisphere is None and from_latitude is None:
        raise ValueError("Give the hemisphere or the latitude.")
    if hemisphere is not None and from_latitude is not None and hemisphere != from_latitude:
        raise ValueError(f"latitude {latitude} is not in the {hemisphere}ern hemisphere.")
    return cast(Hemisphere, hemisphere or from_latitude)  # one of the two, checked above
