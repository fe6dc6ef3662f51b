"""The plants that fit each bed of a plan (plants/recommend.py, with the plan's data).

Each bed's light is its mean hours of direct sun a day over the growing
season (bed_sun.py: each cell's hours averaged over the season's days, then
over the bed's cells); the winters are the USDA zone of the plan's climate
summary; the season's length is its frost-free days (season.py: between the
median frosts, 365 without frost). ``plants_for_bed`` keeps the catalogue's
plants that fit all three, best first, each with its reasons in words.
"""

from collections.abc import Iterable, Sequence
from typing import cast

from backend_django.plants.models import Plant
from backend_django.plants.recommend import plants_for_bed
from backend_django.upstream.kinds import sun

from .bed_sun import beds_season_hours
from .beds import Bed
from .season import growing_season

ZONES = (0, 14)  # what plants_for_bed understands


def _zone(summary: dict) -> tuple[int | None, str | None]:
    zone = summary.get("hardiness_zone") or {}
    number = zone.get("number")
    if number is None:
        return None, None
    return max(ZONES[0], min(ZONES[1], int(number))), zone.get("zone")


def plan_recommendations(
    *,
    beds: Sequence[Bed],
    site: sun.Site,
    tiff: bytes,
    climate_summary: dict,
    climate_url: str,
    catalogue: Iterable[Plant],
    limit: int | None = None,
) -> dict:
    """The answer of ``plans/{id}/recommendations/``: for each bed the fitting plants, best first
    (at most ``limit`` of them), and what the fit was judged by."""
    season = growing_season(climate_summary)
    zone, zone_name = _zone(climate_summary)
    days = season.span.days
    plants = list(catalogue)
    hours = beds_season_hours(tiff=tiff, beds=beds, season=season)
    answers = []
    for bed, bed_hours in zip(beds, hours, strict=True):
        answer: dict = {"id": bed.id, "name": bed.name, "sun_hours": bed_hours, "light": None}
        if bed_hours is None:
            answer.update(fits=0, plants=[], note="The sun raster has no data under this bed.")
            answers.append(answer)
            continue
        answer["light"] = sun.light_category(bed_hours)
        chosen = set(bed.plants)
        fits = plants_for_bed(
            sun_hours=min(24.0, bed_hours), zone=zone, frost_free_days=days, catalogue=plants
        )
        answer["fits"] = len(fits)
        answer["plants"] = []
        for fit in fits if limit is None else fits[:limit]:
            plant = cast(Plant, fit.plant)
            answer["plants"].append(
                {
                    "id": plant.pk,
                    "common_name": plant.common_name,
                    "botanical_name": plant.botanical_name,
                    "kind": plant.kind,
                    "life_cycle": plant.life_cycle,
                    "light": plant.light,
                    "score": fit.score,
                    "reasons": list(fit.reasons),
                    "in_bed": plant.pk in chosen,
                }
            )
        answers.append(answer)
    return {
        "site": {"latitude": site.lat, "longitude": site.lng, "unit": site.unit},
        "growing_season": {**season.as_dict(), "source": climate_url},
        "hardiness_zone": {"zone": zone_name, "number": zone},
        "frost_free_days": days,
        "beds": answers,
    }
