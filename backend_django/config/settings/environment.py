"""Where settings come from: environment variables, or a .env file at the repository root.
Every module here reads its few variables through ``env``; everything else is a constant in code."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parents[3]
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
if env.bool("DJANGO_READ_DOT_ENV_FILE", default=True) and (BASE_DIR / ".env").is_file():
    env.read_env(str(BASE_DIR / ".env"))
