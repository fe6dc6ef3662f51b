"""The settings of processes a test starts (gunicorn, a worker, the browser tests'
stack): values come through TEST_SETTINGS_OVERRIDES, and a setting that is not
read from the environment is refused there rather than silently ignored."""

import json
import os
import subprocess
import sys

PRINT = (
    "import django, json; django.setup(); "
    "from django.conf import settings; print(json.dumps(settings.{name}))"
)


def _settings_process(name: str, **environment: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "backend_django.config.settings.test", **environment}
    return subprocess.run(
        [sys.executable, "-c", PRINT.format(name=name)], env=env, capture_output=True, text=True, check=False
    )


def test_a_constant_setting_in_the_environment_is_refused_not_ignored():
    # PROXY_READ_RATE is a constant in code (config/settings/proxy.py).
    run = _settings_process("PROXY_READ_RATE", PROXY_READ_RATE="1000000/min")
    assert run.returncode != 0
    assert "['PROXY_READ_RATE'] are set in the environment but not read from it" in run.stderr


def test_overrides_set_a_constant_and_change_only_the_named_entries_of_a_dict():
    overrides = {"PROXY_READ_RATE": "7/min", "ACCOUNT_RATE_LIMITS": {"signup": "99/1h/ip"}}
    run = _settings_process("PROXY_READ_RATE", TEST_SETTINGS_OVERRIDES=json.dumps(overrides))
    assert json.loads(run.stdout) == "7/min", run.stderr
    run = _settings_process("ACCOUNT_RATE_LIMITS", TEST_SETTINGS_OVERRIDES=json.dumps(overrides))
    limits = json.loads(run.stdout)
    assert limits["signup"] == "99/1h/ip"
    assert limits["login_failed"], "the other entries keep their values"
