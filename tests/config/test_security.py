"""Security headers and cookies: the Content-Security-Policy on every page, and what the
production settings add (HSTS, secure cookies, frame and referrer policies)."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings as django_settings
from django.test import Client

from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.django_db

ALPHA = "alpha.localhost"
POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data:",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "base-uri": "'self'",
    "object-src": "'none'",
}
TEMPLATES = Path(django_settings.BASE_DIR) / "templates"


def directives(response) -> dict[str, str]:
    parts = [part.strip().partition(" ") for part in
             response["Content-Security-Policy"].split(";") if part.strip()]
    return {name: value for name, _, value in parts}


@pytest.mark.parametrize(("host", "path"), [
    (ALPHA, "/login/"),
    (ALPHA, "/password-reset/"),
    ("localhost", "/"),
    ("localhost", "/admin/login/"),
])
def test_pages_send_the_content_security_policy(client, tenant_a, host, path):
    response = client.get(path, HTTP_HOST=host)

    assert response.status_code == 200
    assert directives(response) == POLICY


def test_signed_in_portal_pages_send_the_policy(client, tenant_a):
    client.login(username="owner@alpha.example.com", password=TEST_PASSWORD)

    assert directives(client.get("/team/", HTTP_HOST=ALPHA)) == POLICY


def test_pages_cannot_be_framed_or_sniffed_and_keep_referrers_on_site(client, tenant_a):
    response = client.get("/login/", HTTP_HOST=ALPHA)

    assert response["X-Frame-Options"] == "DENY"
    assert directives(response)["frame-ancestors"] == "'none'"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_swagger_ui_loads_its_start_up_script_as_a_file(client, tenant_a):
    page = client.get("/api/v1/docs/", HTTP_HOST=ALPHA)
    script = client.get("/api/v1/docs/?script=", HTTP_HOST=ALPHA)

    assert directives(page)["script-src"] == "'self'"
    assert not re.search(r"<script>", page.content.decode())
    assert '<script src="/api/v1/docs/?script="></script>' in page.content.decode()
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


def test_redoc_alone_may_start_its_search_worker_from_a_blob(client, tenant_a):
    redoc = directives(client.get("/api/v1/redoc/", HTTP_HOST=ALPHA))

    assert redoc["worker-src"] == "'self' blob:"
    assert {k: v for k, v in redoc.items() if k != "worker-src"} == POLICY
    assert "worker-src" not in directives(client.get("/api/v1/docs/", HTTP_HOST=ALPHA))


@pytest.mark.parametrize("template", sorted(str(p.relative_to(TEMPLATES))
                                            for p in TEMPLATES.rglob("*.html")))
def test_templates_have_no_inline_scripts_or_event_handlers(template):
    """script-src 'self' blocks both: pass data with json_script, bind events in a .js file."""
    source = (TEMPLATES / template).read_text()

    inline = [tag for tag in re.findall(r"<script\b[^>]*>", source)
              if "src=" not in tag and 'type="application/json"' not in tag]
    handlers = re.findall(r"<[^>]+\son[a-z]+\s*=", source)
    assert not inline, f"inline <script> in {template}"
    assert not handlers, f"inline event handler in {template}"


@pytest.fixture(scope="module")
def production() -> dict:
    """The production settings module's security values, loaded as a deployment would."""
    code = (
        "import json, django; from django.conf import settings as s; django.setup(); "
        "names = ['DEBUG', 'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', "
        "'SECURE_HSTS_PRELOAD', 'SECURE_SSL_REDIRECT', 'SECURE_PROXY_SSL_HEADER', "
        "'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY', "
        "'CSRF_COOKIE_HTTPONLY', 'SESSION_COOKIE_SAMESITE', 'CSRF_COOKIE_SAMESITE', "
        "'SECURE_CONTENT_TYPE_NOSNIFF', 'SECURE_REFERRER_POLICY', 'X_FRAME_OPTIONS', "
        "'SECURE_CROSS_ORIGIN_OPENER_POLICY', 'CONTENT_SECURITY_POLICY']; "
        "print(json.dumps({n: getattr(s, n) for n in names}))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.production",
           "DEBUG": "false", "SECRET_KEY": Fernet.generate_key().decode() * 2,
           "CREDENTIALS_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
           "BASE_DOMAIN": "localhost", "TENANT_URL_TEMPLATE": "https://{slug}.{base}"}
    for name in ("SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_PRELOAD"):
        env.pop(name, None)
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=django_settings.BASE_DIR,
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_production_turns_on_hsts_and_https_only(production):
    assert production["DEBUG"] is False
    assert production["SECURE_HSTS_SECONDS"] == 31_536_000
    assert production["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert production["SECURE_SSL_REDIRECT"] is True


def test_production_cookies_are_secure_http_only_and_same_site_lax(production):
    for cookie in ("SESSION", "CSRF"):
        assert production[f"{cookie}_COOKIE_SECURE"] is True
        assert production[f"{cookie}_COOKIE_HTTPONLY"] is True
        assert production[f"{cookie}_COOKIE_SAMESITE"] == "Lax"


def test_production_headers_on_a_real_response(production, settings, tenant_a):
    for name, value in production.items():
        setattr(settings, name, tuple(value) if name == "SECURE_PROXY_SSL_HEADER" else value)
    client = Client()  # made after the override: the middleware reads its settings when built

    response = client.post("/login/", {"username": "owner@alpha.example.com",
                                       "password": TEST_PASSWORD},
                           HTTP_HOST=ALPHA, HTTP_X_FORWARDED_PROTO="https")

    assert response.status_code == 302
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "upgrade-insecure-requests" in directives(response)
    session = response.cookies["sessionid"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"


def test_production_redirects_plain_http_to_https(production, settings, tenant_a):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = tuple(production["SECURE_PROXY_SSL_HEADER"])

    response = Client().get("/login/", HTTP_HOST=ALPHA)

    assert response.status_code == 301
    assert response["Location"] == "https://alpha.localhost/login/"
