"""Where settings come from: environment variables, or a .env file at the repository root.
Every module here reads its few variables through ``env``; everything else is a constant in code."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parents[3]
VAR_DIR = BASE_DIR / "var"


class _Env(environ.Env):
    """django-environ's Env, remembering which variables the settings read (test.py
    refuses a setting set in the environment that is not read from it)."""

    read: set[str] = set()

    def get_value(self, var, *args, **kwargs):
        self.read.add(var)
        return super().get_value(var, *args, **kwargs)

    def set_but_unread(self, names) -> list[str]:
        """Those of ``names`` (settings) that the environment sets and the settings never read."""
        return sorted(name for name in names if name in self.ENVIRON and name not in self.read)


env = _Env()
if env.bool("DJANGO_READ_DOT_ENV_FILE", default=True) and (BASE_DIR / ".env").is_file():
    env.read_env(str(BASE_DIR / ".env"))
