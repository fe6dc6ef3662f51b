"""The production settings pass Django's deployment checklist and log JSON.

Both run in a subprocess: production settings are imported once per process
and must not leak into the test settings of this one.
"""

import json
import os
import secrets
import subprocess
import sys
from datetime import datetime, timedelta

import pytest
from django.conf import settings

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "backend_django.config.settings.production",
    "DJANGO_READ_DOT_ENV_FILE": "False",
    "ALLOWED_HOSTS": "solarsim.example.com",
    "CSRF_TRUSTED_ORIGINS": "https://solarsim.example.com",
    "DATABASE_URL": "postgres://solarsim:secret@127.0.0.1:5432/solarsim",
    "VALKEY_URL": "redis://127.0.0.1:6379/0",
    "UPSTREAM_CONTACT": "ops@solarsim.example.com",
}
# Settings a developer's shell or the test run may have set that would change
# what production settings see.
CLEARED = (
    "DJANGO_DEBUG",
    "SENTRY_DSN",
    "DJANGO_SECURE_SSL_REDIRECT",
    "ACCOUNT_EMAIL_VERIFICATION",
    "TRUSTED_PROXY_COUNT",
    "GEOCODER_URL",
    "UPSTREAM_CONTACT",
)


def run_with_production_settings(
    *args: str, secret_key: str | None = None, **overrides: str
) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key not in CLEARED}
    env.update(PRODUCTION_ENV)
    env.update(overrides)
    # 67 random characters unless a test says otherwise.
    env["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(50) if secret_key is None else secret_key
    return subprocess.run(
        [sys.executable, *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_reports_nothing():
    result = run_with_production_settings("manage.py", "check", "--deploy", "--fail-level", "WARNING")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues (0 silenced)." in result.stdout, output
    assert "WARNING" not in output, output


def test_check_deploy_asks_for_a_geocoder_contact_on_the_public_nominatim():
    result = run_with_production_settings("manage.py", "check", "--deploy", UPSTREAM_CONTACT="")
    assert "upstream.W001" in result.stderr + result.stdout
    own = run_with_production_settings(
        "manage.py",
        "check",
        "--deploy",
        UPSTREAM_CONTACT="",
        GEOCODER_URL="http://nominatim.internal:8080",
        BASEMAP_URL="http://tiles.internal:8080/{z}/{x}/{y}.png",
    )
    assert "upstream.W001" not in own.stderr + own.stdout


def test_logs_are_json_lines_on_stdout():
    script = (
        "import django, logging; django.setup(); "
        "logging.getLogger('solar_sim.probe').warning('fetch done', extra={'upstream': 'overpass'})"
    )
    result = run_with_production_settings("-c", script)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if "solar_sim.probe" in line]
    assert len(lines) == 1, result.stdout + result.stderr
    record = json.loads(lines[0])
    assert record["level"] == "WARNING"
    assert record["logger"] == "solar_sim.probe"
    assert record["message"] == "fetch done"
    assert record["upstream"] == "overpass"
    assert datetime.fromisoformat(record["time"]).utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "secret_key",
    [
        "change-me",
        "short-but-random-Zq8v",
        "a" * 60,
        "dev-only-insecure-key-change-me-in-production-0123456789",
    ],
)
def test_production_refuses_to_start_with_a_weak_secret_key(secret_key):
    result = run_with_production_settings("manage.py", "check", secret_key=secret_key)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is too weak for production" in result.stderr


def test_production_makes_email_verification_mandatory():
    script = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.ACCOUNT_EMAIL_VERIFICATION)"
    )
    result = run_with_production_settings("-c", script)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "mandatory"
