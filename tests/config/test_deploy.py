"""The deployment samples in deploy/ (systemd units, Dockerfile, compose.yaml, environment file)
and config/gunicorn.conf.py: they parse, and every command, option, path and variable they name
exists in the project, so a sample cannot drift from the code it starts.

Docker is not run here (no daemon on CI machines); systemd-analyze checks the units where it
is installed.
"""

from __future__ import annotations

import ast
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.core.management import get_commands, load_command_class
from gunicorn.config import Config as GunicornConfig

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
INSTALL_DIR = "/opt/clarity"
ENV_TEMPLATE = DEPLOY / "clarity.env.example"
# Read by compose itself for its substitutions (the postgres service's password), not by us.
COMPOSE_ONLY_VARIABLES = {"POSTGRES_PASSWORD"}
APP_SERVICES = ("migrate", "web", "worker", "scheduler")
VARIABLE_REFERENCE = re.compile(r"\$\$?\{?([A-Z][A-Z0-9_]*)")


def unit_parse(path: Path) -> dict[str, list[tuple[str, str]]]:
    """A unit as {section: [(key, value), …]} (keys repeat, e.g. ExecStart, EnvironmentFile)."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current = None
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
            continue
        key, sep, value = line.partition("=")
        assert current is not None and sep, f"{path.name}:{number}: not 'Key=value': {raw!r}"
        current.append((key.strip(), value.strip()))
    return sections


def template_values() -> dict[str, str]:
    values = {}
    for line in ENV_TEMPLATE.read_text().splitlines():
        if line and not line.startswith("#"):
            key, sep, value = line.partition("=")
            assert sep and re.fullmatch(r"[A-Z][A-Z0-9_]*", key), f"not KEY=value: {line!r}"
            values[key] = value
    return values


def documented_variables() -> set[str]:
    """Every variable .env.example describes, set or commented out."""
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))


def variables_substitute(text: str) -> str:
    """$X, ${X}, $${X:-default} (compose's escaped form) → the environment template's value."""
    values = template_values()

    def value(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2) or ""
        return values.get(name, default)

    return re.sub(r"\$\$?\{([A-Z][A-Z0-9_]*)(?::-([^}]*))?\}|\$([A-Z][A-Z0-9_]*)",
                  lambda m: value(m) if m.group(1) else values.get(m.group(3), ""), text)


def command_check(argv: list[str]) -> None:
    """Fails unless ``argv`` is a command of this project with options its parser accepts."""
    program = Path(argv[0]).name
    if program.startswith("python"):
        argv = argv[1:]
        program = argv[0]
    if program == "manage.py":
        name, arguments = argv[1], argv[2:]
        commands = get_commands()
        assert name in commands, f"no management command {name!r}"
        parser = load_command_class(commands[name], name).create_parser("manage.py", name)
        parser.parse_args(arguments)  # CommandError on an unknown or malformed option
        return
    assert program == "gunicorn", f"unexpected program {argv[0]!r}"
    options = GunicornConfig().parser().parse_args(argv[1:])
    assert options.args == ["config.wsgi"]
    assert (ROOT / "config" / "wsgi.py").exists()
    assert options.config and (ROOT / options.config).exists(), options.config


def shell_commands(script: str) -> list[list[str]]:
    """The commands of a ``sh -c`` string: && separated, an ``exec`` prefix dropped."""
    commands = []
    for part in variables_substitute(script).split("&&"):
        words = shlex.split(part)
        commands.append(words[1:] if words[0] == "exec" else words)
    return commands


def exec_lines(unit: Path) -> list[str]:
    return [value for key, value in unit_parse(unit)["Service"] if key.startswith("Exec")
            and key != "ExecReload"]


# --- systemd --------------------------------------------------------------------------------
def test_the_sample_units_are_the_web_worker_scheduler_and_migrate_ones():
    assert [unit.name for unit in UNITS] == [
        "clarity-migrate.service", "clarity-scheduler.service", "clarity-web.service",
        "clarity-worker@.service"]


@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.name)
def test_each_unit_runs_a_project_command_with_options_it_accepts(unit):
    sections = unit_parse(unit)
    assert {"Unit", "Service"} <= set(sections)
    commands = exec_lines(unit)
    assert commands
    for line in commands:
        argv = shlex.split(variables_substitute(line))
        assert argv[0].startswith(f"{INSTALL_DIR}/.venv/bin/"), argv[0]
        assert (ROOT / ".venv" / "bin" / Path(argv[0]).name).exists()
        command_check(argv)


@pytest.mark.parametrize("unit", UNITS, ids=lambda p: p.name)
def test_each_unit_reads_the_environment_file_and_runs_in_the_install_directory(unit):
    service = dict(unit_parse(unit)["Service"])
    files = [v for k, v in unit_parse(unit)["Service"] if k == "EnvironmentFile"]

    assert files[0] == "/etc/clarity/clarity.env"
    assert service["WorkingDirectory"] == INSTALL_DIR
    assert service["User"] == "clarity"


def test_the_worker_unit_stops_later_than_its_messages_may_take_to_finish():
    service = unit_parse(DEPLOY / "systemd" / "clarity-worker@.service")["Service"]
    argv = shlex.split(variables_substitute(dict(service)["ExecStart"]))
    shutdown_ms = int(argv[argv.index("--worker-shutdown-timeout") + 1])

    assert dict(service)["KillMode"] == "mixed"
    assert int(dict(service)["TimeoutStopSec"]) * 1000 > shutdown_ms
    assert argv[argv.index("--queues") + 1:] == ["sync", "poll", "maintenance"]


def test_every_variable_the_units_name_is_documented():
    documented = documented_variables()
    for unit in UNITS:
        for key, value in unit_parse(unit)["Service"]:
            # ExecReload's $MAINPID is systemd's own.
            names = set(VARIABLE_REFERENCE.findall(value)) if key == "ExecStart" else set()
            if key == "Environment":
                names.add(value.partition("=")[0])
            assert names <= documented, f"{unit.name}: {sorted(names - documented)}"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_systemd_accepts_the_units(tmp_path):
    """systemd-analyze verify, with the install paths pointed at this checkout."""
    env_file = tmp_path / "clarity.env"
    env_file.write_text(ENV_TEMPLATE.read_text())
    copies = []
    for unit in UNITS:
        text = unit.read_text().replace(INSTALL_DIR, str(ROOT)).replace(
            "/etc/clarity/clarity.env", str(env_file))
        name = unit.name.replace("@.service", "@1.service")
        (tmp_path / unit.name).write_text(text)
        if name != unit.name:
            (tmp_path / name).write_text(text)
        copies.append(str(tmp_path / name))

    result = subprocess.run(["systemd-analyze", "verify", "--man=no", *copies],
                            capture_output=True, text=True, timeout=60)

    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


# --- environment file -----------------------------------------------------------------------
def test_the_environment_file_names_every_variable_production_requires():
    tree = ast.parse((ROOT / "config" / "settings" / "production.py").read_text())
    required = next(ast.literal_eval(node.value) for node in ast.walk(tree)
                    if isinstance(node, ast.Assign)
                    and getattr(node.targets[0], "id", "") == "REQUIRED_VARIABLES")

    assert set(required) <= set(template_values())
    assert template_values()["DJANGO_SETTINGS_MODULE"] == "config.settings.production"


def test_the_environment_file_leaves_the_secrets_empty():
    values = template_values()

    assert values["SECRET_KEY"] == "" and values["CREDENTIALS_ENCRYPTION_KEYS"] == ""
    assert values["TENANT_URL_TEMPLATE"].startswith("https://")


def test_every_variable_of_the_environment_file_is_read_by_the_project():
    """A misspelt name would be silently ignored; each one must occur in the code that reads it
    (quoted in Python) or in a unit or compose command."""
    sources = [p.read_text() for folder in ("config", "scripts", "accounts", "billing",
                                            "integrations", "tenants")
               for p in (ROOT / folder).rglob("*.py")]
    deploy_text = "".join(p.read_text() for p in [*UNITS, DEPLOY / "compose.yaml"])
    unread = [name for name in template_values()
              if not any(f'"{name}"' in text or f"'{name}'" in text for text in sources)
              and not re.search(rf"\$\$?\{{?{name}\b", deploy_text)]

    assert unread == []


def test_every_variable_of_the_environment_file_is_documented():
    assert set(template_values()) - documented_variables() == set()


# --- container ------------------------------------------------------------------------------
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = (DEPLOY / "Dockerfile").read_text().replace("\\\n", " ")
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in
            (raw.strip() for raw in text.splitlines()) if line and not line.startswith("#")]


def test_compose_runs_web_worker_scheduler_and_migrate_from_one_image_with_postgres_and_redis():
    services = compose()["services"]

    assert set(services) == {"postgres", "redis", *APP_SERVICES}
    assert {services[name]["image"] for name in APP_SERVICES} == {"clarity-connect:latest"}
    build = services["web"]["build"]
    assert (DEPLOY / build["context"] / build["dockerfile"]).resolve() == DEPLOY / "Dockerfile"
    assert services["web"]["env_file"] == "clarity.env"


@pytest.mark.parametrize("service", APP_SERVICES)
def test_each_compose_service_runs_a_project_command_with_options_it_accepts(service):
    command = compose()["services"][service]["command"]
    commands = shell_commands(command[2]) if command[:2] == ["sh", "-c"] else [command]

    for argv in commands:
        command_check(argv)


def test_compose_dependencies_name_services_that_exist():
    services = compose()["services"]
    for name, service in services.items():
        assert set(service.get("depends_on", {})) <= set(services), name
    assert services["web"]["depends_on"]["migrate"]["condition"] == \
        "service_completed_successfully"


def test_every_variable_compose_gives_the_app_is_documented():
    documented = documented_variables() | COMPOSE_ONLY_VARIABLES
    for name in APP_SERVICES:
        service = compose()["services"][name]
        names = set(service.get("environment", {}))
        names |= set(VARIABLE_REFERENCE.findall(yaml.safe_dump(service)))
        assert names <= documented, f"{name}: {sorted(names - documented)}"


def test_the_image_fetches_nothing_but_pip_packages():
    instructions = dockerfile_instructions()

    assert [i for i, _ in instructions].count("FROM") == 1
    assert "ADD" not in [i for i, _ in instructions]
    for instruction, argument in instructions:
        if instruction == "RUN":
            assert not re.search(r"\b(curl|wget|apt-get|apt|apk|git|npm)\b", argument), argument


def test_the_image_copies_existing_paths_and_every_app_of_the_project():
    copied = set()
    for instruction, argument in dockerfile_instructions():
        if instruction == "COPY":
            *sources, _target = argument.split()
            for source in sources:
                assert (ROOT / source).exists(), source
                copied.add(source)
    from django.conf import settings

    local_apps = {app.split(".")[0] for app in settings.INSTALLED_APPS
                  if (ROOT / app.split(".")[0]).is_dir() and app.split(".")[0] != "tests"}
    assert local_apps | {"config", "scripts", "templates", "static", "manage.py"} <= copied


def test_the_image_ignores_the_local_environment_and_virtualenv():
    ignored = (DEPLOY / "Dockerfile.dockerignore").read_text().split()

    assert {".env", ".venv", "var", ".git", "deploy/clarity.env"} <= set(ignored)


def test_the_image_procfile_and_compose_start_the_web_server_the_same_way():
    cmd = next(ast.literal_eval(argument) for instruction, argument in dockerfile_instructions()
               if instruction == "CMD")
    procfile = dict(line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines())

    assert cmd == compose()["services"]["web"]["command"] == shlex.split(procfile["web"])
    command_check(cmd)


# --- gunicorn -------------------------------------------------------------------------------
def gunicorn_config(**env_changes: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WEB_")}
    env.update(env_changes)
    code = ("import runpy, json; c = runpy.run_path('config/gunicorn.conf.py'); "
            "print(json.dumps({k: v for k, v in c.items() if isinstance(v, (int, str, list))"
            " and not k.startswith('_')}))")
    return subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=30)


def test_gunicorn_sizes_come_from_the_environment():
    import json

    result = gunicorn_config(WEB_CONCURRENCY="3", WEB_THREADS="2", WEB_PORT="9001",
                             WEB_TIMEOUT="45", WEB_MAX_REQUESTS="50000",
                             WEB_MAX_REQUESTS_JITTER="5000")

    values = json.loads(result.stdout)
    assert (values["workers"], values["threads"], values["bind"], values["timeout"],
            values["max_requests"], values["max_requests_jitter"]) == \
        (3, 2, ["0.0.0.0:9001"], 45, 50_000, 5_000)


def test_gunicorn_defaults_match_the_procfile_it_replaced():
    import json

    values = json.loads(gunicorn_config().stdout)

    assert (values["workers"], values["threads"], values["bind"], values["graceful_timeout"],
            values["accesslog"]) == (4, 1, ["0.0.0.0:8000"], 10, "-")


def test_a_malformed_gunicorn_size_is_refused_with_its_name():
    result = gunicorn_config(WEB_CONCURRENCY="four")

    assert result.returncode != 0
    assert "WEB_CONCURRENCY must be a whole number, not 'four'" in result.stderr


def test_the_access_log_leaves_query_strings_out():
    """Webhook addresses carry their secret in the query string."""
    import json

    log_format = json.loads(gunicorn_config().stdout)["access_log_format"]

    assert "%(U)s" in log_format
    assert not {"%(r)s", "%(q)s", "%(f)s"} & set(re.findall(r"%\([a-zA-Z]\)s", log_format))
