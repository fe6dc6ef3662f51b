"""Lua scripts that run in Valkey, kept beside the code that calls them.

A package that needs a script keeps it in its own ``lua/`` folder
(``upstream/jobs/lua/job_start.lua``) and gets it with
``lua_script(__file__, "job_start")``: read and hashed once per process;
calling it sends EVALSHA (and loads the script on a server that does not
know it yet). Always pass ``client=``: scripts are not bound to a
connection, so a changed VALKEY_URL is honoured.

Every key a script touches is passed in KEYS (none is built inside a
script), and the keys of one call share a hash slot (a hash tag, ``{...}``,
where there are several), so the same scripts run on a Valkey Cluster
(docs/decisions/0027-valkey-cluster-and-sentinel.md;
``upstream/tests/test_cluster_slots.py`` checks each). ``call_many`` sends
many calls of one script in one pipeline.
"""

from functools import cache
from pathlib import Path
from typing import Any, cast

import redis
from redis.cluster import RedisCluster
from redis.commands.core import Script
from redis.exceptions import NoScriptError


@cache
def _load(path: Path) -> Script:
    # Not bound to a client (the stubs want one): every call passes client=.
    return Script(None, path.read_bytes())  # type: ignore[arg-type]


def lua_script(module_file: str, name: str) -> Script:
    """The script ``lua/<name>.lua`` in the folder of ``module_file`` (pass ``__file__``)."""
    return _load(Path(module_file).resolve().parent / "lua" / f"{name}.lua")


def call_many(script: Script, calls: list[tuple[list[str], list[Any]]], client: redis.Redis) -> list[Any]:
    """Run ``script`` once per (keys, args) in ``calls``, all in one pipeline
    (on a Valkey Cluster, one call after the other, each on the node of its
    keys' slot). Each call's keys must share a slot; calls are not atomic together.

    A node that does not know the script (a replica promoted after the script
    was loaded) answers NOSCRIPT: it is loaded everywhere and the pipeline sent
    again (the calls are written to be safe to repeat). Raises the first error.
    """
    if not calls:
        return []
    if isinstance(cast(Any, client), RedisCluster):  # typed redis.Redis; a RedisCluster on a cluster
        # redis-py's cluster pipeline refuses EVALSHA: one call after the other.
        return [script(keys=keys, args=args, client=client) for keys, args in calls]
    results: list[Any] = []
    for attempt in range(2):
        pipe = client.pipeline(transaction=False)
        for keys, args in calls:
            pipe.evalsha(script.sha, len(keys), *keys, *args)
        results = pipe.execute(raise_on_error=False)
        if attempt == 0 and any(isinstance(result, NoScriptError) for result in results):
            client.script_load(script.script)
            continue
        break
    for result in results:
        if isinstance(result, Exception):
            raise result
    return results
