import os
import time
from urllib.parse import urlsplit, urlunsplit

import pytest

from backend_django.core.valkey import get_valkey
from backend_django.testing.valkey_plugin import PRIVATE
from backend_django.testing.waiting import wait_until
from backend_django.upstream.cache import store
from backend_django.upstream.cache.local_copies import LocalCopies
from backend_django.upstream.cache.tracking import CONNECTION_NAME

UNIT = "test:a"


def write(unit: str, raw: bytes) -> None:
    pipe = get_valkey().pipeline()
    store.queue_write(pipe, store.NewEntry(unit, raw, "application/json", 60, 60))
    pipe.execute()


def lookup(unit: str = UNIT):
    return store.lookup_counted(unit, stats="test", counter_key="ss:rl:t", counter_ttl=60)


def test_without_tracking_every_hit_checks_its_copy_in_one_round_trip(settings, valkey_commands):
    settings.UPSTREAM_TRACKED_COPIES = False
    write(UNIT, b'{"v": 1}')
    entry, count = lookup()
    assert entry.raw() == b'{"v": 1}' and count == 1
    assert store.local_copies().get(UNIT).etag == entry.etag
    again, count = lookup()
    assert again.body == entry.body and count == 2
    assert valkey_commands[-2:] == ["EVALSHA", "EVALSHA"]
    # Valkey is the truth: a new body replaces the local copy on the next hit.
    write(UNIT, b'{"v": 2}')
    changed, _ = lookup()
    assert changed.raw() == b'{"v": 2}'
    # Freshness always comes from Valkey, even when the body is the local copy.
    get_valkey().hset(store.entry_key(UNIT), "fu", time.time() - 1)
    aged, _ = lookup()
    assert aged.state() == "stale" and aged.raw() == b'{"v": 2}'
    # A deleted entry is a miss whatever the process remembers.
    get_valkey().delete(store.entry_key(UNIT))
    assert lookup()[0] is None
    assert get_valkey().ttl("ss:rl:t") > 0
    assert int(get_valkey().hget("ss:stats:test", "requests")) == 5


def test_a_tracked_copy_answers_without_a_round_trip(tracking, valkey_commands):
    write(UNIT, b'{"v": 1}')
    # A copy read while an announcement is still on its way is not tracked;
    # let the write's announcement arrive first.
    wait_until(tracking.serving, "the write's announcement is read")
    first, count = lookup()  # read from Valkey while tracking is on: the copy is tracked
    assert first.raw() == b'{"v": 1}' and count == 1
    sent_before = len(valkey_commands)
    for expected_count in range(2, 12):
        entry, count = lookup()
        assert entry.raw() == b'{"v": 1}'
        assert count == expected_count  # the client's requests are still counted
    assert valkey_commands[sent_before:] == [], "no Valkey command for a tracked copy"
    # The counts reach Valkey in one batch.
    tracking.counts.flush()
    assert int(get_valkey().get("ss:rl:t")) == 11
    assert int(get_valkey().hget("ss:stats:test", "requests")) == 11


def test_a_changed_entry_is_never_served_from_the_old_copy(tracking):
    for version in range(200):
        body = b'{"v": %d}' % version
        write(UNIT, body)  # as a worker storing a refresh would
        assert lookup()[0].raw() == body
        assert lookup()[0].raw() == body  # and again, from the copy the first read made
    get_valkey().hset(store.entry_key(UNIT), "fu", time.time() - 1)
    assert lookup()[0].state() == "stale"
    get_valkey().delete(store.entry_key(UNIT))
    assert lookup()[0] is None
    write(UNIT, b'{"v": "expiring"}')
    assert lookup()[0] is not None
    get_valkey().pexpire(store.entry_key(UNIT), 1)
    time.sleep(0.05)
    assert lookup()[0] is None  # expired in Valkey: the copy went with it


def test_copies_are_checked_with_valkey_while_the_tracking_connection_is_down(tracking, valkey_commands):
    write(UNIT, b'{"v": 1}')
    lookup()
    lookup()
    client = get_valkey()
    [tracker_id] = [info["id"] for info in client.client_list() if info.get("name") == CONNECTION_NAME]
    client.client_kill_filter(_id=tracker_id)
    write(UNIT, b'{"v": 2}')  # no announcement reaches this process now
    sent_before = len(valkey_commands)
    assert lookup()[0].raw() == b'{"v": 2}'
    assert valkey_commands[sent_before:] == ["EVALSHA"]
    # The tracker reconnects; copies read from then on are tracked again.
    wait_until(tracking.serving, "the tracker reconnects")
    lookup()
    wait_until(tracking.serving, "announcements are read")
    sent_before = len(valkey_commands)
    assert lookup()[0].raw() == b'{"v": 2}'
    assert valkey_commands[sent_before:] == []


def test_a_copy_read_while_an_announcement_arrived_is_not_tracked():
    local = LocalCopies(max_bytes=1000)
    entry = store.Entry(b"x", "application/json", '"e"', 0, 1, 2)
    local.set_tracking(True)
    token = local.token()
    local.invalidate(["other"])  # any announcement between the read and the put
    local.put("u", entry, token)
    assert local.get("u") is entry and local.tracked("u") is None
    local.put("u", entry, local.token())
    assert local.tracked("u") is entry
    local.set_tracking(False)  # the connection went away: nothing stays tracked
    assert local.tracked("u") is None and local.token() is None


def test_local_copies_are_bounded_in_bytes():
    local = LocalCopies(max_bytes=1000)
    entry = store.Entry(b"x" * 200, "application/json", '"e"', 0, 1, 2)
    for index in range(10):
        local.put(f"u{index}", entry)
    assert local.size <= 1000
    assert local.get("u0") is None and local.get("u9") is not None
    local.put("big", store.Entry(b"x" * 600, "application/json", '"b"', 0, 1, 2))
    assert local.get("big") is None  # larger than a quarter of the budget: not kept


def test_a_server_that_refuses_tracking_leaves_every_hit_to_one_round_trip(settings, valkey_commands, caplog):
    client = get_valkey()
    client.acl_setuser(
        "no-tracking",
        enabled=True,
        passwords=["+secret"],
        categories=["+@all"],
        commands=["-client|tracking"],
        keys=["*"],
        channels=["*"],
    )
    try:
        url = urlsplit(settings.VALKEY_URL)
        settings.VALKEY_URL = urlunsplit(url._replace(netloc=f"no-tracking:secret@{url.hostname}:{url.port}"))
        tracker = store.tracker()
        wait_until(lambda: not tracker._thread.is_alive(), "the tracker gives up")
        assert "refused client tracking" in caplog.text
        write(UNIT, b'{"v": 1}')
        sent_before = len(valkey_commands)
        for _ in range(3):
            assert lookup()[0].raw() == b'{"v": 1}'
        assert valkey_commands[sent_before:] == ["EVALSHA"] * 3
    finally:
        client.acl_deluser("no-tracking")


def test_a_url_asking_for_resp2_still_gets_announcements(settings, valkey_commands):
    # Announcements only come as RESP3 pushes: the tracker must not follow the URL here.
    settings.VALKEY_URL = settings.VALKEY_URL.split("?")[0] + "?protocol=2"
    tracker = store.tracker()
    wait_until(tracker.serving, "tracking is up")
    write(UNIT, b'{"v": 1}')
    wait_until(tracker.serving, "the write's announcement is read")
    lookup()
    sent_before = len(valkey_commands)
    assert lookup()[0].raw() == b'{"v": 1}'
    assert valkey_commands[sent_before:] == []
    write(UNIT, b'{"v": 2}')
    assert lookup()[0].raw() == b'{"v": 2}'


def test_no_copy_is_served_while_the_thread_reads_or_its_heartbeat_is_late(tracking, valkey_commands):
    write(UNIT, b'{"v": 1}')
    wait_until(tracking.serving, "the write's announcement is read")
    lookup()
    sent_before = len(valkey_commands)
    lookup()
    assert valkey_commands[sent_before:] == []
    # Right after a heartbeat came back, so that the thread leaves the flags alone meanwhile.
    wait_until(lambda: time.monotonic() - tracking._last_heartbeat < 0.1, "a heartbeat")
    tracking._reading = True  # it may hold an announcement it took off the socket
    try:
        lookup()
    finally:
        tracking._reading = False
    assert valkey_commands[sent_before:] == ["EVALSHA"]
    tracking._last_heartbeat = 0.0  # announcements may have stopped coming
    lookup()
    assert valkey_commands[sent_before:] == ["EVALSHA", "EVALSHA"]


def test_a_flush_of_the_database_drops_every_copy(tracking):
    write(UNIT, b'{"v": 1}')
    wait_until(tracking.serving, "the write's announcement is read")

    def copied() -> bool:
        # A lookup just as a heartbeat's announcement arrives keeps no copy: look again.
        lookup()
        return store.local_copies().tracked(UNIT) is not None

    wait_until(copied, "a lookup keeps a tracked copy")
    tracking._invalidated([b"invalidate", None])  # what FLUSHDB announces
    assert store.local_copies().get(UNIT) is None


def test_an_expired_entry_is_not_served_from_its_tracked_copy(tracking):
    write(UNIT, b'{"v": 1}')
    wait_until(tracking.serving, "the write's announcement is read")
    lookup()
    assert store.local_copies().tracked(UNIT) is not None
    get_valkey().pexpire(store.entry_key(UNIT), 50)
    wait_until(lambda: lookup()[0] is None, "the expiry is announced")


def test_the_private_valkey_takes_no_snapshots():
    # While a snapshot's fork runs, Valkey leaves access times alone (TOUCH
    # too): the test below would see an entry served from a copy as idle.
    if os.environ.get(PRIVATE) != "1":
        pytest.skip("VALKEY_URL names a server of its own; its snapshots are its operator's")
    assert get_valkey().config_get("save") == {"save": ""}


def test_entries_served_from_copies_stay_recently_used_in_valkey(tracking, valkey_commands):
    write(UNIT, b'{"v": 1}')
    wait_until(tracking.serving, "the write's announcement is read")
    lookup()
    time.sleep(2.1)
    assert get_valkey().object("idletime", store.entry_key(UNIT)) >= 2
    sent_before = len(valkey_commands)
    lookup()
    assert valkey_commands[sent_before:] == []  # served from the copy...
    tracking.counts.flush()
    assert get_valkey().object("idletime", store.entry_key(UNIT)) == 0  # ...and still used for eviction
    # Meanwhile two heartbeats or more were each announced before their write was answered.
    assert tracking.late_announcements == 0
