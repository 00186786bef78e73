"""config.settings.production refuses an insecure or incomplete configuration at start, naming
the variable; scripts.devservices never starts embedded servers for production.

Each case imports the settings module in a fresh interpreter with the environment given, as
gunicorn, the worker and the scheduler would, so the module-level checks really run.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]
# Variables the checks read; stripped from the inherited environment so each case says all.
CHECKED = ("DEBUG", "SECRET_KEY", "CREDENTIALS_ENCRYPTION_KEYS", "DATABASE_URL", "BROKER_URL",
           "REDIS_URL", "BASE_DOMAIN", "EXTRA_ALLOWED_HOSTS", "TENANT_URL_TEMPLATE",
           "SECURE_SSL_REDIRECT", "METRICS_TOKEN", "SECRET_KEY_FALLBACKS", "DJANGO_SETTINGS_MODULE")
REQUIRED = ("DATABASE_URL", "BROKER_URL", "BASE_DOMAIN", "TENANT_URL_TEMPLATE", "SECRET_KEY",
            "CREDENTIALS_ENCRYPTION_KEYS")
SHOW = ("import json, importlib; s = importlib.import_module('config.settings.production'); "
        "print(json.dumps({n: getattr(s, n) for n in ("
        "'DEBUG', 'ALLOWED_HOSTS', 'BROKER_URL', 'REDIS_URL', 'EMAIL_HOST', 'EMAIL_PORT', "
        "'EMAIL_USE_TLS', 'SECURE_SSL_REDIRECT', 'SECRET_KEY_FALLBACKS')}))")


def secure_environment() -> dict[str, str]:
    return {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "CREDENTIALS_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "DATABASE_URL": "postgres://clarity:pw@db.internal:5432/clarity",
        "BROKER_URL": "redis://redis.internal:6379/0",
        "BASE_DOMAIN": "connect.example.com",
        "TENANT_URL_TEMPLATE": "https://{slug}.{base}",
    }


def production_load(**changes: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in CHECKED}
    env.update(secure_environment())
    env.update(changes)
    return subprocess.run([sys.executable, "-c", SHOW], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=60)


def refusal(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0, result.stdout
    assert "ImproperlyConfigured" in result.stderr, result.stderr
    return result.stderr.strip().splitlines()[-1]


def test_a_complete_secure_configuration_starts():
    result = production_load()

    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded["DEBUG"] is False
    assert loaded["ALLOWED_HOSTS"] == ["connect.example.com", ".connect.example.com"]


@pytest.mark.parametrize("name", REQUIRED)
def test_an_unset_required_variable_refuses_start_and_is_named(name):
    message = refusal(production_load(**{name: ""}))

    assert name in message
    assert [other for other in REQUIRED if other != name and f"{other} (" in message] == []


def test_every_missing_variable_is_named_in_one_message():
    message = refusal(production_load(**dict.fromkeys(REQUIRED, "")))

    assert all(f"{name} (" in message for name in REQUIRED)


def test_debug_on_refuses_start():
    assert "DEBUG must be off" in refusal(production_load(DEBUG="true"))


@pytest.mark.parametrize("key", [
    "short-random-key",
    "insecure-dev-key-change-me" + "x" * 40,
    "a" * 64,
], ids=["too short", "the development default", "one repeated character"])
def test_a_weak_secret_key_refuses_start(key):
    assert "SECRET_KEY" in refusal(production_load(SECRET_KEY=key))


def test_an_invalid_fernet_key_is_named_by_position_without_printing_it():
    bad = "not-a-fernet-key-0123456789"
    result = production_load(CREDENTIALS_ENCRYPTION_KEYS=f"{Fernet.generate_key().decode()},{bad}")

    message = refusal(result)
    assert "CREDENTIALS_ENCRYPTION_KEYS: key 2" in message
    assert bad not in result.stderr


def test_a_wildcard_allowed_host_refuses_start():
    assert "EXTRA_ALLOWED_HOSTS" in refusal(production_load(EXTRA_ALLOWED_HOSTS="lb.internal,*"))


def test_a_wildcard_base_domain_refuses_start():
    assert "BASE_DOMAIN" in refusal(production_load(BASE_DOMAIN="*.example.com"))


def test_a_rabbitmq_broker_without_redis_url_refuses_start():
    message = refusal(production_load(BROKER_URL="amqp://clarity:pw@mq.internal:5672/%2F"))

    assert "REDIS_URL" in message


def test_a_rabbitmq_broker_with_its_own_redis_starts():
    result = production_load(BROKER_URL="amqp://clarity:pw@mq.internal:5672/%2F",
                             REDIS_URL="redis://redis.internal:6379/1")

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1])["REDIS_URL"] == \
        "redis://redis.internal:6379/1"


def test_a_plain_http_tenant_address_refuses_start_while_https_is_enforced():
    message = refusal(production_load(TENANT_URL_TEMPLATE="http://{slug}.{base}"))

    assert "TENANT_URL_TEMPLATE" in message


def test_a_plain_http_tenant_address_is_allowed_without_the_https_redirect():
    """Loopback benchmarks run production settings with no TLS proxy in front."""
    result = production_load(TENANT_URL_TEMPLATE="http://{slug}.{base}:8000",
                             SECURE_SSL_REDIRECT="false")

    assert result.returncode == 0, result.stderr


def test_a_short_metrics_token_refuses_start():
    assert "METRICS_TOKEN" in refusal(production_load(METRICS_TOKEN="letmein"))


def test_smtp_settings_come_from_the_environment():
    result = production_load(EMAIL_HOST="smtp.example.com", EMAIL_PORT="2525",
                             EMAIL_USE_TLS="false")

    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert (loaded["EMAIL_HOST"], loaded["EMAIL_PORT"], loaded["EMAIL_USE_TLS"]) == \
        ("smtp.example.com", 2525, False)


def test_previous_secret_keys_are_accepted_during_a_rotation():
    old_keys = [secrets.token_urlsafe(64), secrets.token_urlsafe(64)]

    result = production_load(SECRET_KEY_FALLBACKS=",".join(old_keys))

    assert json.loads(result.stdout.strip().splitlines()[-1])["SECRET_KEY_FALLBACKS"] == old_keys


# --- scripts.devservices --------------------------------------------------------------------
PRINT_URLS = ("import json, os; print(json.dumps({n: os.environ.get(n) for n in "
              "('DATABASE_URL', 'BROKER_URL', 'REDIS_URL')}))")


def devservices_run(command: list[str], **env_changes: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in CHECKED}
    env.update(env_changes)
    return subprocess.run([sys.executable, "-m", "scripts.devservices", "--", *command], env=env,
                          cwd=ROOT, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("unset", ["DATABASE_URL", "BROKER_URL"])
def test_devservices_refuses_to_start_embedded_servers_for_production(unset, tmp_path):
    marker = tmp_path / "ran"
    env = {"DJANGO_SETTINGS_MODULE": "config.settings.production",
           "DATABASE_URL": "postgres://clarity@db.internal/clarity",
           "BROKER_URL": "redis://redis.internal:6379/0", unset: ""}

    result = devservices_run([sys.executable, "-c", f"open({str(marker)!r}, 'w')"], **env)

    assert result.returncode == 2
    assert unset in result.stderr
    assert "devservices: embedded" not in result.stderr
    assert not marker.exists()


def test_devservices_runs_the_command_against_the_given_servers_without_starting_any():
    urls = {"DATABASE_URL": "postgres://clarity@db.internal:5432/clarity",
            "BROKER_URL": "redis://redis.internal:6379/0",
            "REDIS_URL": "redis://redis.internal:6379/1"}

    result = devservices_run([sys.executable, "-c", PRINT_URLS],
                             DJANGO_SETTINGS_MODULE="config.settings.production", **urls)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == urls
    assert "devservices: embedded" not in result.stderr


def test_devservices_uses_a_redis_broker_as_the_shared_redis_without_starting_one():
    result = devservices_run([sys.executable, "-c", PRINT_URLS],
                             DATABASE_URL="postgres://clarity@db.internal:5432/clarity",
                             BROKER_URL="redis://redis.internal:6379/4")

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1])["REDIS_URL"] == \
        "redis://redis.internal:6379/4"
    assert "devservices: embedded" not in result.stderr
