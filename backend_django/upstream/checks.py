"""System checks of the upstream settings."""

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from .clients.geocoder import NOMINATIM, PHOTON

PUBLIC_NOMINATIM_HOST = "nominatim.openstreetmap.org"
PUBLIC_OSM_TILES_HOST = "tile.openstreetmap.org"


@register()
def geocoder_api_check(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    if settings.GEOCODER_API not in (NOMINATIM, PHOTON):
        return [
            Error(
                f"GEOCODER_API is {settings.GEOCODER_API!r}; it must be {NOMINATIM!r} or {PHOTON!r}.",
                id="upstream.E001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def upstream_contact_check(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    """The public services run on donations ask to be able to reach an application's operator."""
    if settings.UPSTREAM_CONTACT.strip():
        return []
    public: list[str] = []
    if (urlsplit(settings.GEOCODER_URL).hostname or "") == PUBLIC_NOMINATIM_HOST:
        public.append("the public Nominatim (GEOCODER_URL)")
    if (urlsplit(settings.BASEMAP_URL).hostname or "") == PUBLIC_OSM_TILES_HOST:
        public.append("OpenStreetMap's tile servers (BASEMAP_URL)")
    if not public:
        return []
    return [
        Warning(
            f"UPSTREAM_CONTACT is empty: {' and '.join(public)} ask for a way to reach the "
            "operator of an application (sent in the User-Agent).",
            hint="Set UPSTREAM_CONTACT to an email address or URL, or point those URLs at your own "
            "instances.",
            id="upstream.W001",
        )
    ]
