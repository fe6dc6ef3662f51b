"""System checks of the upstream settings."""

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

from .clients.geocoder import NOMINATIM, PHOTON

PUBLIC_NOMINATIM_HOST = "nominatim.openstreetmap.org"


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
def geocoder_contact_check(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    host = urlsplit(settings.GEOCODER_URL).hostname or ""
    if host == PUBLIC_NOMINATIM_HOST and not settings.GEOCODER_CONTACT.strip():
        return [
            Warning(
                "GEOCODER_CONTACT is empty: the public Nominatim asks for a way to reach the "
                "operator of an application (sent in the User-Agent).",
                hint="Set GEOCODER_CONTACT to an email address or URL, or point GEOCODER_URL "
                "at your own instance.",
                id="upstream.W001",
            )
        ]
    return []
