"""The settings an operator sees: .env.example, what the settings read, and the docs' tables.

.env.example lists what an operator sets or commonly changes (at most 40
variables, each once, each with a comment line), and nothing the settings no
longer read. Every variable the settings read is in .env.example or in the
tables of docs/operations.md, "Settings", and so is every tuning knob.
Variables are found in the source (``env(...)`` calls with a literal name),
so a read that only happens in production or with Sentry counts too.
"""

import ast
import re
from pathlib import Path

import yaml
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
SETTINGS_DIR = ROOT / "backend_django" / "config" / "settings"
ENV_EXAMPLE = ROOT / ".env.example"
COMPOSE = ROOT / "docker-compose.yml"
OPERATIONS = ROOT / "docs" / "operations.md"
MAX_VARIABLES = 40
VARIABLE_LINE = re.compile(r"^(?:#\s*)?([A-Z][A-Z0-9_]*)=")
# Modules whose every setting is an operator's variable or a tuning knob
# (the others also hold Django's and the libraries' wiring: apps, middleware...).
KNOB_MODULES = ("plans.py", "upstreams.py", "proxy.py", "sun.py", "sync.py")


def env_example_variables() -> list[str]:
    return [m.group(1) for line in ENV_EXAMPLE.read_text().splitlines() if (m := VARIABLE_LINE.match(line))]


def env_reads(path: Path) -> dict[str, int]:
    """Variables a settings module reads through ``env``, with the line of each read."""
    reads = {}
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not isinstance(node, ast.Call):
            continue
        function = node.func
        is_env = (isinstance(function, ast.Name) and function.id == "env") or (
            isinstance(function, ast.Attribute)
            and isinstance(function.value, ast.Name)
            and function.value.id == "env"
            and function.attr not in ("read_env", "set_but_unread")
        )
        if not is_env:
            continue
        name = node.args[0] if node.args else None
        assert isinstance(name, ast.Constant) and isinstance(name.value, str), (
            f"{path.name}:{node.lineno}: read environment variables by a literal name (this test reads them)"
        )
        reads[name.value] = node.lineno
    return reads


def settings_env_reads() -> dict[str, str]:
    """Every variable any settings module reads, with where."""
    reads = {}
    for path in sorted(SETTINGS_DIR.glob("*.py")):
        for name, line in env_reads(path).items():
            reads.setdefault(name, f"{path.name}:{line}")
    return reads


def compose_variables() -> set[str]:
    """Variables docker-compose.yml interpolates (``${NAME...}``)."""
    return set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", COMPOSE.read_text()))


def settings_section() -> str:
    text = OPERATIONS.read_text()
    start = text.index("\n## Settings\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def table_names(text: str) -> set[str]:
    """Names in the first cell of each table row."""
    names = set()
    for line in text.splitlines():
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            names.update(re.findall(r"`([A-Z][A-Z0-9_]*)`", first_cell))
    return names


def test_the_settings_read_the_environment_only_through_env():
    for path in SETTINGS_DIR.glob("*.py"):
        source = path.read_text()
        assert "os.environ" not in source and "getenv" not in source, path.name


def test_env_example_lists_at_most_40_variables():
    variables = env_example_variables()
    assert len(variables) <= MAX_VARIABLES, (
        f".env.example lists {len(variables)} variables; at most {MAX_VARIABLES}: what an operator sets "
        "or commonly changes. A tuning knob is a constant in its settings module with a row in "
        'docs/operations.md, "Settings".'
    )


def test_env_example_lists_each_variable_once_under_its_comment():
    lines = ENV_EXAMPLE.read_text().splitlines()
    variables = env_example_variables()
    assert len(variables) == len(set(variables)), sorted(v for v in variables if variables.count(v) > 1)
    for number, line in enumerate(lines):
        if VARIABLE_LINE.match(line):
            above = lines[number - 1] if number else ""
            assert above.startswith("# ") and not VARIABLE_LINE.match(above), (
                f".env.example:{number + 1}: {line!r} needs a comment line of its own above it"
            )


def test_every_variable_in_env_example_is_read():
    """No dead lines: the settings read each one, or the compose file does (the stack's own)."""
    read = set(settings_env_reads()) | compose_variables()
    dead = [name for name in env_example_variables() if name not in read]
    assert not dead, f".env.example lists variables neither the settings nor docker-compose.yml read: {dead}"


def test_every_variable_the_settings_read_is_in_env_example_or_the_docs():
    listed = set(env_example_variables()) | table_names(settings_section())
    missing = {name: where for name, where in settings_env_reads().items() if name not in listed}
    assert not missing, (
        f'read by the settings but neither in .env.example nor in docs/operations.md, "Settings": {missing}'
    )


def test_every_tuning_knob_has_a_row_in_the_docs():
    documented = set(env_example_variables()) | table_names(settings_section())
    for module in KNOB_MODULES:
        tree = ast.parse((SETTINGS_DIR / module).read_text())
        names = {
            target.id
            for node in tree.body
            if isinstance(node, ast.Assign)
            for target in node.targets
            if isinstance(target, ast.Name) and target.id.isupper()
        }
        missing = sorted(names - documented)
        assert not missing, f'{module}: settings without a row in docs/operations.md, "Settings": {missing}'


def test_the_knobs_in_the_docs_are_settings():
    section = settings_section()
    knobs = table_names(section[section.index("\n### Tuning knobs") :])
    assert len(knobs) > 50
    unknown = sorted(name for name in knobs if not hasattr(settings, name))
    assert not unknown, f'docs/operations.md, "Settings", documents settings that do not exist: {unknown}'


def test_the_compose_file_passes_the_django_containers_only_variables_something_reads():
    compose = yaml.safe_load(COMPOSE.read_text())
    scripts = "\n".join(path.read_text() for path in (ROOT / "docker" / "django").iterdir() if path.is_file())
    read = set(settings_env_reads()) | {"DJANGO_SETTINGS_MODULE"}
    for service in ("django", "celeryworker", "celerybeat", "flower"):
        for name in compose["services"][service]["environment"]:
            assert name in read or re.search(rf"\b{name}\b", scripts), (
                f"docker-compose.yml passes {name} to {service}; no setting or docker/django script reads it"
            )
