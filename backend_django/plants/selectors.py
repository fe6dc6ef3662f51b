"""Reads of the plant catalogue, which every signed-in person shares."""

import hashlib

from django.db.models import Count, Max, QuerySet

from .models import Plant

# Bump when the API's representation of a plant changes, so that clients
# holding the old ETag fetch the new shape.
REPRESENTATION_VERSION = 1


def plant_list() -> QuerySet[Plant]:
    """The whole catalogue by common name (the API narrows it with ``filters.PlantFilter``)."""
    return Plant.objects.order_by("common_name", "id")


def plant_get(*, plant_id: int | str | None) -> Plant | None:
    """The plant with this id, or None (also for a missing or malformed id)."""
    if plant_id is None:
        return None
    try:
        plant_id = int(plant_id)
    except (TypeError, ValueError):
        return None
    if not 0 < plant_id < 2**63:
        return None
    return Plant.objects.filter(pk=plant_id).first()


def plant_catalogue_etag() -> str:
    """An entity tag that changes whenever a plant is added, changed or deleted.

    One cheap aggregate: an edit moves the latest ``updated_at``, an addition
    too, and a deletion changes the count. Writes that skip ``save()``
    (``QuerySet.update``) must set ``updated_at`` themselves.
    """
    stats = Plant.objects.aggregate(count=Count("id"), latest=Max("updated_at"))
    latest = stats["latest"].isoformat() if stats["latest"] else "-"
    digest = hashlib.sha256(f"{REPRESENTATION_VERSION}|{stats['count']}|{latest}".encode()).hexdigest()
    return f'"plants-{digest[:24]}"'
