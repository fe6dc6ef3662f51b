"""The address of the client a request comes from, decided in one place.

Every trusted proxy in front of Django (Caddy in the compose stack; a CDN in
front of it, if one is added) appends the address it received the request
from to ``X-Forwarded-For``, so with ``TRUSTED_PROXY_COUNT`` = n the client
is the n-th entry from the right. Entries further left were written by the
client itself and are never believed. With n = 0 (development, or Django
reached directly) the header is ignored and ``REMOTE_ADDR`` is the client.

A header shorter than n entries means the request passed fewer proxies than
configured (an outer one was bypassed); its leftmost entry was then written
by the outermost proxy it did pass, which is the best knowledge there is.

Login limits (allauth and django-axes), the DRF throttles, the data
endpoints' per-client limits and gunicorn's access log all ask this module.
"""

import ipaddress
from collections.abc import Mapping
from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=4096)
def _from_forwarded_for(header: str, count: int) -> str | None:
    entries = [entry.strip() for entry in header.split(",")]
    candidate = entries[-min(count, len(entries))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None  # not an address (e.g. "unknown"): fall back to the peer


def client_ip(meta: Mapping[str, str], *, trusted_proxies: int | None = None) -> str:
    """The client address of a request, from its META (or a WSGI environ)."""
    count = settings.TRUSTED_PROXY_COUNT if trusted_proxies is None else trusted_proxies
    remote_addr = meta.get("REMOTE_ADDR") or ""
    if count <= 0:
        return remote_addr
    header = meta.get("HTTP_X_FORWARDED_FOR")
    if not header:
        return remote_addr
    return _from_forwarded_for(header, count) or remote_addr


def request_client_ip(request) -> str:
    """``client_ip`` of a Django or DRF request (the form django-axes and allauth call)."""
    return client_ip(request.META)
