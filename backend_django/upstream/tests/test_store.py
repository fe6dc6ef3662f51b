import time

from backend_django.core.valkey import get_valkey
from backend_django.upstream import store


def write(unit: str, raw: bytes) -> None:
    pipe = get_valkey().pipeline()
    store.queue_write(pipe, store.NewEntry(unit, raw, "application/json", 60, 60))
    pipe.execute()


def test_a_hit_sends_the_body_once_then_only_checks_the_copy():
    store.local_bodies().clear()
    write("test:a", b'{"v": 1}')
    entry, count = store.lookup_counted("test:a", kind="test", counter_key="ss:rl:t", counter_ttl=60)
    assert entry.raw() == b'{"v": 1}' and count == 1
    assert store.local_bodies().get("test:a").etag == entry.etag
    again, count = store.lookup_counted("test:a", kind="test", counter_key="ss:rl:t", counter_ttl=60)
    assert again.body == entry.body and count == 2
    # Valkey is the truth: a new body replaces the local copy on the next hit.
    write("test:a", b'{"v": 2}')
    changed, _ = store.lookup_counted("test:a", kind="test", counter_key="ss:rl:t", counter_ttl=60)
    assert changed.raw() == b'{"v": 2}'
    # Freshness always comes from Valkey, even when the body is the local copy.
    get_valkey().hset(store.entry_key("test:a"), "fu", time.time() - 1)
    aged, _ = store.lookup_counted("test:a", kind="test", counter_key="ss:rl:t", counter_ttl=60)
    assert aged.state() == "stale" and aged.raw() == b'{"v": 2}'
    # A deleted entry is a miss whatever the process remembers.
    get_valkey().delete(store.entry_key("test:a"))
    assert store.lookup_counted("test:a", kind="test", counter_key="ss:rl:t", counter_ttl=60)[0] is None
    assert get_valkey().ttl("ss:rl:t") > 0
    assert int(get_valkey().hget("ss:stats:test", "requests")) == 5


def test_local_copies_are_bounded_in_bytes():
    local = store.LocalBodies(max_bytes=1000)
    entry = store.Entry(b"x" * 200, "application/json", '"e"', 0, 1, 2)
    for index in range(10):
        local.put(f"u{index}", entry)
    assert local.size <= 1000
    assert local.get("u0") is None and local.get("u9") is not None
    local.put("big", store.Entry(b"x" * 600, "application/json", '"b"', 0, 1, 2))
    assert local.get("big") is None  # larger than a quarter of the budget: not kept
