"""The Lua scripts the upstream app runs in Valkey, one file each.

``script(name)`` gives the script ``<name>.lua`` of this folder, read and
hashed once per process; calling it sends EVALSHA (and loads the script once
on a server that does not know it yet). Always pass ``client=``: the scripts
are not bound to a connection, so a changed VALKEY_URL is honoured.
"""

from functools import cache
from pathlib import Path

from redis.commands.core import Script

_FOLDER = Path(__file__).resolve().parent


@cache
def script(name: str) -> Script:
    return Script(None, (_FOLDER / f"{name}.lua").read_bytes())
