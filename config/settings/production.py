"""Production: secure by default; refuses to start with an insecure configuration.

Every refusal is an ``ImproperlyConfigured`` whose message names the variable to fix, raised
while the settings module loads, so gunicorn, the worker and the scheduler all stop at start
instead of serving with a default meant for a laptop. docs/deployment.md lists the variables.
"""

import os
from pathlib import Path

import environ
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

# Read .env as base.py does (never overwriting the environment), so that the checks below see
# the same values; base.py's own read is then a no-op.
_ENV_FILE = Path(__file__).resolve().parent.parent.parent / ".env"
if _ENV_FILE.exists():
    environ.Env.read_env(_ENV_FILE, overwrite=False)

# base.py has a development default for each of these (the local PostgreSQL and Redis,
# "localhost", an http address on port 8000): in production each must be chosen, not inherited.
REQUIRED_VARIABLES = {
    "DATABASE_URL": "the PostgreSQL server, e.g. postgres://clarity:…@db.internal:5432/clarity",
    "BROKER_URL": "the Dramatiq broker, redis://… or amqp://…",
    "BASE_DOMAIN": "the public domain; tenants live at <slug>.BASE_DOMAIN",
    "TENANT_URL_TEMPLATE": "a tenant's public address, e.g. https://{slug}.{base}",
    "SECRET_KEY": "50+ random characters",
    "CREDENTIALS_ENCRYPTION_KEYS": "comma-separated Fernet keys, newest first",
}
_missing = [name for name in REQUIRED_VARIABLES if not os.environ.get(name, "").strip()]
if _missing:
    raise ImproperlyConfigured(
        "Production settings need these variables set: "
        + "; ".join(f"{name} ({REQUIRED_VARIABLES[name]})" for name in _missing) + ".")

from .base import *  # noqa: E402, F403
from .base import (  # noqa: E402
    ALLOWED_HOSTS,
    BROKER_URL,
    CONTENT_SECURITY_POLICY,
    CREDENTIALS_ENCRYPTION_KEYS,
    DEBUG,
    METRICS_TOKEN,
    SECRET_KEY,
    TENANT_URL_TEMPLATE,
    env,
)

if DEBUG:
    raise ImproperlyConfigured("DEBUG must be off in production (unset DEBUG or set DEBUG=false).")
if SECRET_KEY.startswith("insecure-") or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
    raise ImproperlyConfigured("SECRET_KEY must be set to a random value of 50+ characters.")
for _position, _key in enumerate(CREDENTIALS_ENCRYPTION_KEYS, start=1):
    try:
        Fernet(_key)
    except ValueError:
        # The key itself is never printed: error messages end up in logs.
        raise ImproperlyConfigured(
            f"CREDENTIALS_ENCRYPTION_KEYS: key {_position} is not a Fernet key (32 url-safe "
            "base64-encoded bytes); generate one with cryptography.fernet.Fernet.generate_key()."
        ) from None
if "*" in env.str("BASE_DOMAIN"):
    raise ImproperlyConfigured(
        "BASE_DOMAIN must be the bare domain (example.com), not a wildcard: tenants' "
        "subdomains are accepted from it.")
if "*" in ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "EXTRA_ALLOWED_HOSTS must not hold '*': Django would accept any Host header, and "
        "password-reset and invitation links are built from it. Name the extra hosts.")
if (BROKER_URL.split("://", 1)[0].lower() in {"amqp", "amqps"}
        and not os.environ.get("REDIS_URL", "").strip()):
    raise ImproperlyConfigured(
        "REDIS_URL must be set when BROKER_URL is RabbitMQ: the cache, request budgets and locks "
        "live in Redis, and the default is a Redis on this machine.")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
if SECURE_SSL_REDIRECT and TENANT_URL_TEMPLATE.lower().startswith("http://"):
    raise ImproperlyConfigured(
        "TENANT_URL_TEMPLATE must start with https:// while SECURE_SSL_REDIRECT is on: webhook "
        "addresses registered with external systems would only be redirected, and links in "
        "emails would go out in clear.")
if METRICS_TOKEN and len(METRICS_TOKEN) < 32:
    raise ImproperlyConfigured(
        "METRICS_TOKEN must be 32+ random characters (or empty, which refuses /metrics).")

# Old secret keys still accepted for signatures (sessions, password-reset and welcome links,
# OAuth state) while SECRET_KEY is rotated; new signatures use SECRET_KEY alone.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
# Every tenant is a subdomain of BASE_DOMAIN, so they are all covered by the base's header.
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Browsers upgrade any http: sub-resource a page still names instead of loading it in clear.
CONTENT_SECURITY_POLICY = {
    **CONTENT_SECURITY_POLICY,
    "DIRECTIVES": {**CONTENT_SECURITY_POLICY["DIRECTIVES"], "upgrade-insecure-requests": True},
}

# Outgoing mail (alerts, password resets, invitations) through an SMTP relay when
# EMAIL_BACKEND is the SMTP backend; the console backend would print reset links to the log.
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=587)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
