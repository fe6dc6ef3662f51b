"""What tests check of a cached answer's ``Cache-Control``, in one place.

``cache_control`` parses the header into its directives; ``assert_hit`` and
``assert_stale`` check the whole header of a fresh and of a stale answer
(api/http.py cache_control): every directive, nothing extra.
"""


def cache_control(response) -> dict[str, int | bool]:
    """``{"public": True, "max-age": 123, ...}`` of a response (Django's or any mapping of headers)."""
    header = response.get("Cache-Control") or response["cache-control"]
    directives: dict[str, int | bool] = {}
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        directives[name.lower()] = int(value) if value else True
    return directives


def assert_hit(response, *, max_age: tuple[float, float], stale_window: float) -> dict[str, int | bool]:
    """A fresh answer: public, ``max_age[0] < max-age <= max_age[1]``, then stale-while-revalidate
    for the kind's whole stale window (``stale_window`` seconds)."""
    directives = cache_control(response)
    assert set(directives) == {"public", "max-age", "stale-while-revalidate"}, directives
    assert directives["public"] is True
    assert max_age[0] < directives["max-age"] <= max_age[1], directives
    assert directives["stale-while-revalidate"] == stale_window, directives
    return directives


def assert_stale(response, *, stale_until: float, slack: float = 60) -> dict[str, int | bool]:
    """A stale answer: ``max-age=0``, and stale-while-revalidate for what is left until the
    entry's ``stale_until`` (epoch seconds), within ``slack`` seconds."""
    import time

    directives = cache_control(response)
    assert set(directives) == {"public", "max-age", "stale-while-revalidate"}, directives
    assert directives["public"] is True and directives["max-age"] == 0, directives
    left = stale_until - time.time()
    assert left - slack <= directives["stale-while-revalidate"] <= left + 1, directives
    return directives
