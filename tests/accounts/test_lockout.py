"""Sign-in lockout (django-axes) on tenant domains and on the staff admin."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import RequestFactory
from django_tenants.utils import schema_context

from accounts.lockout import client_ip
from tests.conftest import TEST_PASSWORD, inside
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ALPHA = "alpha.localhost"
OWNER = "owner@alpha.example.com"


def sign_in(client, password: str, *, email: str = OWNER, host: str = ALPHA,
            ip: str = "203.0.113.7", path: str = "/login/"):
    return client.post(path, {"username": email, "password": password},
                       HTTP_HOST=host, REMOTE_ADDR=ip)


def fail_until_locked(client, **kwargs):
    responses = [sign_in(client, "wrong-password", **kwargs)
                 for _ in range(settings.AXES_FAILURE_LIMIT)]
    return responses


def test_failures_below_the_limit_only_say_the_password_is_wrong(client, tenant_a):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = sign_in(client, "wrong-password")
        assert response.status_code == 200
        assert "Please enter a correct email and password" in response.content.decode()


def test_the_limit_th_failure_locks_and_the_page_says_until_when(client, tenant_a):
    response = fail_until_locked(client)[-1]

    page = response.content.decode()
    assert response.status_code == 429
    assert 'id="locked-out"' in page
    assert f"Sign-in is locked for {OWNER}" in page
    assert f"There were {settings.AXES_FAILURE_LIMIT} failed attempts" in page
    assert "UTC (in about 15 minutes)" in page
    assert 'href="/password-reset/"' in page


def test_locked_out_sign_in_is_refused_even_with_the_right_password(client, tenant_a):
    fail_until_locked(client)

    response = sign_in(client, TEST_PASSWORD)

    assert response.status_code == 429
    assert client.get("/team/", HTTP_HOST=ALPHA).status_code == 302


def test_lockout_counts_the_email_whatever_its_case(client, tenant_a):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "wrong-password", email=OWNER.upper())

    assert sign_in(client, "wrong-password").status_code == 429


def test_lockout_ends_after_the_cool_off(client, tenant_a):
    fail_until_locked(client)
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time
        - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))

    response = sign_in(client, TEST_PASSWORD)

    assert response.status_code == 302


def test_lockout_is_per_address_so_other_networks_can_still_sign_in(client, tenant_a):
    fail_until_locked(client, ip="203.0.113.7")

    assert sign_in(client, TEST_PASSWORD, ip="198.51.100.20").status_code == 302


def test_a_tenants_failures_are_counted_in_its_own_schema(client, tenant_a, tenant_b):
    fail_until_locked(client)

    assert AccessAttempt.objects.get().username == OWNER
    with inside(tenant_b):
        assert not AccessAttempt.objects.exists()
        UserFactory(email=OWNER)
        assert sign_in(client, TEST_PASSWORD, host="beta.localhost").status_code == 302
    with schema_context("public"):
        assert not AccessAttempt.objects.exists()


def test_success_before_the_limit_clears_the_count(client, tenant_a):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "wrong-password")
    assert sign_in(client, TEST_PASSWORD).status_code == 302
    client.post("/logout/", HTTP_HOST=ALPHA)

    assert sign_in(client, "wrong-password").status_code == 200


def test_resetting_the_password_ends_the_lockout(client, tenant_a, mailoutbox):
    fail_until_locked(client)
    client.post("/password-reset/", {"email": OWNER}, HTTP_HOST=ALPHA)
    link = next(line for line in mailoutbox[0].body.splitlines() if "/password-reset/" in line)
    path = link.split("localhost:8000", 1)[1]
    form_page = client.get(path, HTTP_HOST=ALPHA, follow=True)
    client.post(form_page.request["PATH_INFO"], {"new_password1": "a-brand-new-secret-42",
                                                 "new_password2": "a-brand-new-secret-42"},
                HTTP_HOST=ALPHA)

    assert sign_in(client, "a-brand-new-secret-42").status_code == 302


def test_staff_admin_sign_in_locks_out_with_its_own_page(client, db):
    with schema_context("public"):
        UserFactory(email="staff@clarity.example.com", is_staff=True, is_superuser=True)
    response = fail_until_locked(client, email="staff@clarity.example.com", host="localhost",
                                 path="/admin/login/")[-1]

    assert response.status_code == 429
    assert "Sign-in is locked for staff@clarity.example.com" in response.content.decode()
    assert sign_in(client, TEST_PASSWORD, email="staff@clarity.example.com", host="localhost",
                   path="/admin/login/").status_code == 429


def test_client_address_is_remote_addr_without_trusted_proxies(settings):
    settings.LOGIN_TRUSTED_PROXY_COUNT = 0
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5",
                                   HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert client_ip(request) == "10.0.0.5"


def test_client_address_is_the_entry_our_proxy_added(settings):
    settings.LOGIN_TRUSTED_PROXY_COUNT = 1
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5",
                                   HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.9")
    assert client_ip(request) == "198.51.100.9"
