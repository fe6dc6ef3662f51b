"""Every upstream is declared completely, and every kind's upstream is declared (upstreams.py)."""

from django.conf import settings

from backend_django.upstream import guards, kinds, upstreams
from backend_django.upstream.guards import breaker


def test_every_kind_names_a_declared_upstream_or_none():
    for kind in kinds.registered():
        assert kind.upstream is None or kind.upstream in upstreams.NAMES, kind.name
        assert (kind.upstream is None) == kind.derived, f"{kind.name}: an upstream, or inputs, not both"


def test_every_upstream_has_a_label_settings_and_a_limiter():
    for upstream in upstreams.UPSTREAMS:
        assert upstream.label and upstream.label != upstreams.label(None), upstream.name
        assert isinstance(getattr(settings, upstream.url_setting), str), upstream.url_setting
        assert getattr(settings, upstream.read_timeout_setting) > 0, upstream.read_timeout_setting
        limiter = guards.limiter(upstream.name)
        assert limiter.upstream == upstream.name
        for setting in vars(upstream.limit).values():
            if isinstance(setting, str):
                assert hasattr(settings, setting), f"{upstream.name}: no setting {setting}"


def test_the_breaker_table_and_the_simulator_env_list_every_upstream():
    assert [state["upstream"] for state in breaker.states()] == list(upstreams.NAMES)
    env = upstreams.simulator_env("http://127.0.0.1:9/")
    assert set(env) == {upstream.url_setting for upstream in upstreams.UPSTREAMS}
    assert all(url.startswith("http://127.0.0.1:9/") and "//" not in url[7:] for url in env.values())


def test_every_place_kind_documents_the_urls_it_gives():
    for kind in kinds.place_kinds():
        assert kind.urls_for_place is not None, kind.name
        for lat, lng in ((45.5231, -122.6765), (-33.8688, 151.2093), (86.0, 10.0)):
            assert set(kind.urls_for_place(lat, lng)) <= set(kind.urls), kind.name


def test_the_simulator_serves_every_upstream_where_its_declaration_says(simulator):
    """Each upstream's simulator route (``simulator_path``) is the simulator's, for that upstream."""
    import requests

    from backend_django.devtools.simulator.app import upstream_of

    base = settings.OPEN_METEO_URL.removesuffix(upstreams.get("open_meteo").simulator_path)
    for upstream in upstreams.UPSTREAMS:
        path = upstream.simulator_path.replace("{z}", "0").replace("{x}", "0").replace("{y}", "0")
        assert upstream_of(path) == upstream.name, f"{upstream.name}: the simulator has no route {path}"
        requests.get(f"{base}{path}", timeout=10)
        assert simulator.stats()[upstream.name]["requests"] >= 1, upstream.name
