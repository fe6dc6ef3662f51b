"""Lua scripts that run in Valkey, kept beside the code that calls them.

A package that needs a script keeps it in its own ``lua/`` folder
(``upstream/jobs/lua/job_start.lua``) and gets it with
``lua_script(__file__, "job_start")``: read and hashed once per process;
calling it sends EVALSHA (and loads the script on a server that does not
know it yet). Always pass ``client=``: scripts are not bound to a
connection, so a changed VALKEY_URL is honoured.
"""

from functools import cache
from pathlib import Path

from redis.commands.core import Script


@cache
def _load(path: Path) -> Script:
    # Not bound to a client (the stubs want one): every call passes client=.
    return Script(None, path.read_bytes())  # type: ignore[arg-type]


def lua_script(module_file: str, name: str) -> Script:
    """The script ``lua/<name>.lua`` in the folder of ``module_file`` (pass ``__file__``)."""
    return _load(Path(module_file).resolve().parent / "lua" / f"{name}.lua")
