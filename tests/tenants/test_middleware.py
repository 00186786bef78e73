"""Tenant resolution by host, kept briefly per process."""

from __future__ import annotations

import pytest
from django.db import connection as db
from django.test import Client

from tenants.models import Domain, Tenant
from tenants.services import tenant_create

pytestmark = pytest.mark.django_db


def _login_page_status(host: str) -> int:
    db.set_schema_to_public()
    return Client().get("/login/", HTTP_HOST=host).status_code


@pytest.fixture
def acme() -> Tenant:
    db.set_schema_to_public()
    return tenant_create(name="Acme", slug="acme-cache", owner_email="owner@acme.example.com",
                         owner_password="pw-long-enough-123")


def test_a_domain_added_to_a_tenant_is_served_at_once(acme):
    assert _login_page_status("acme-cache.localhost") == 200
    assert _login_page_status("shop-acme.localhost") == 404

    Domain.objects.create(domain="shop-acme.localhost", tenant=acme, is_primary=False)

    assert _login_page_status("shop-acme.localhost") == 200


def test_a_removed_domain_stops_resolving_at_once(acme):
    Domain.objects.create(domain="old-acme.localhost", tenant=acme, is_primary=False)
    assert _login_page_status("old-acme.localhost") == 200

    Domain.objects.filter(domain="old-acme.localhost").get().delete()

    assert _login_page_status("old-acme.localhost") == 404


def test_each_request_gets_its_own_tenant_object(acme):
    from tenants.middleware import CachedTenantMiddleware
    from tenants.models import Domain as DomainModel

    middleware = CachedTenantMiddleware(lambda request: None)
    first = middleware.get_tenant(DomainModel, "acme-cache.localhost")
    second = middleware.get_tenant(DomainModel, "acme-cache.localhost")

    assert first == second and first is not second


def test_a_domain_moved_to_another_tenant_resolves_to_the_new_one_at_once(acme):
    from tenants.middleware import CachedTenantMiddleware

    other = tenant_create(name="Other", slug="other-cache",
                          owner_email="owner@other.example.com",
                          owner_password="pw-long-enough-123")
    shop = Domain.objects.create(domain="shop-moved.localhost", tenant=acme, is_primary=False)
    middleware = CachedTenantMiddleware(lambda request: None)
    assert middleware.get_tenant(Domain, "shop-moved.localhost") == acme

    shop.tenant = other
    shop.save()

    assert middleware.get_tenant(Domain, "shop-moved.localhost") == other
