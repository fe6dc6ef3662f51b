"""One client identity from TRUSTED_PROXY_COUNT: a forged X-Forwarded-For never changes it."""

import pytest
from rest_framework.test import APIClient

from backend_django.core.client_ip import client_ip

PROXY = "172.28.0.10"


@pytest.mark.parametrize(
    "proxies, forwarded_for, expected",
    [
        (0, None, "10.0.0.1"),
        (0, "203.0.113.9", "10.0.0.1"),  # no proxy trusted: the header is ignored
        (1, None, "10.0.0.1"),
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "192.0.2.1, 203.0.113.9", "203.0.113.9"),  # the client's own entry is ignored
        (1, "192.0.2.1,203.0.113.9 ", "203.0.113.9"),
        (2, "192.0.2.1, 203.0.113.9, 198.51.100.2", "203.0.113.9"),  # CDN, then Caddy
        (2, "203.0.113.9", "203.0.113.9"),  # the outer proxy was bypassed
        (1, "not-an-address", "10.0.0.1"),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_ip(proxies, forwarded_for, expected):
    meta = {"REMOTE_ADDR": "10.0.0.1"}
    if forwarded_for is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded_for
    assert client_ip(meta, trusted_proxies=proxies) == expected


QUADKEY = "021230223"


@pytest.mark.django_db
def test_the_data_limits_count_the_client_whatever_it_forwards(settings, simulator, throttle_clock):
    """Behind the proxy, forged entries in front of the proxy's own do not reset the limit."""
    settings.TRUSTED_PROXY_COUNT = 1
    settings.PROXY_READ_RATE = "5/min"
    client = APIClient()

    def head(forwarded_for: str) -> int:
        return client.head(
            f"/api/v1/canopy/{QUADKEY}/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded_for
        ).status_code

    statuses = [head(f"192.0.2.{n}, 203.0.113.9") for n in range(7)]
    assert statuses == [200] * 5 + [429] * 2
    assert head("203.0.113.10") == 200  # another client
