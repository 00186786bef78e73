"""Suite-wide fixtures: the public tenant and two real tenants with their own schemas.

Tenant schemas are created once per session (creating one runs every tenant migration) and
committed; each test still runs inside a transaction that is rolled back, so rows a test
writes in a tenant schema never leak into the next test.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from tenants.models import Tenant
from tenants.services import public_tenant_ensure, tenant_create

TEST_PASSWORD = "correct-horse-battery"


@contextlib.contextmanager
def inside(tenant: Tenant) -> Iterator[Tenant]:
    """Run a block in ``tenant``'s schema and return to the previous one after."""
    previous = connection.tenant
    connection.set_tenant(tenant)
    try:
        yield tenant
    finally:
        connection.set_tenant(previous)


@pytest.fixture(scope="session")
def django_db_setup(
    request: pytest.FixtureRequest, django_test_environment: None, django_db_blocker: Any,
    django_db_keepdb: bool, django_db_createdb: bool, django_db_modify_db_settings: None,
) -> Iterator[dict[str, Tenant]]:
    """The test database, always: pytest-django creates it only when a collected test is
    marked django_db, and tests that span processes (committed tenants) are not. Without
    this, a run of only those would use the development database."""
    from django.test.utils import setup_databases, teardown_databases

    keepdb = django_db_keepdb and not django_db_createdb
    with django_db_blocker.unblock():
        db_cfg = setup_databases(verbosity=request.config.option.verbose, interactive=False,
                                 aliases={"default"}, keepdb=keepdb)
        public_tenant_ensure(domain=settings.BASE_DOMAIN)
        tenants = {
            slug: Tenant.objects.filter(slug=slug).first() or tenant_create(
                name=f"{slug.title()} Retail", slug=slug,
                owner_email=f"owner@{slug}.example.com", owner_password=TEST_PASSWORD)
            for slug in ("alpha", "beta")
        }
    yield tenants
    if not keepdb:
        with django_db_blocker.unblock():
            teardown_databases(db_cfg, verbosity=request.config.option.verbose)


@pytest.fixture(autouse=True)
def _tenant_cache_clear() -> Iterator[None]:
    """Each test resolves hosts afresh: rolled-back tenants must not be served from the
    per-process cache of the one before (no signal tells it of a rollback)."""
    from tenants.middleware import tenant_cache_clear

    tenant_cache_clear()
    yield


@pytest.fixture
def tenant_a(django_db_setup, db) -> Iterator[Tenant]:
    with inside(Tenant.objects.get(slug="alpha")) as tenant:
        yield tenant


@pytest.fixture
def tenant_b(django_db_setup, db) -> Tenant:
    return Tenant.objects.get(slug="beta")


def portal_client(role: str, *, host: str = "alpha.localhost") -> Any:
    """A test client signed in on alpha's portal as a new user with ``role``."""
    from django.test import Client

    from tests.factories import UserFactory

    client = Client(HTTP_HOST=host)
    client.force_login(UserFactory(role=role))
    return client


@pytest.fixture
def editor(tenant_a: Tenant) -> Any:
    """Alpha's portal as an admin (owners and admins change things)."""
    return portal_client("admin")


@pytest.fixture
def viewer(tenant_a: Tenant) -> Any:
    """Alpha's portal as a viewer (looks, changes nothing)."""
    return portal_client("viewer")


@pytest.fixture
def committed_tenant_factory(django_db_setup, django_db_blocker) -> Iterator[Callable[[], Tenant]]:
    """Make tenants whose rows are committed, for tests that span processes; dropped after."""
    created: list[Tenant] = []

    def make() -> Tenant:
        slug = f"t{uuid.uuid4().hex[:10]}"
        tenant = tenant_create(name="Committed Co", slug=slug,
                               owner_email=f"owner@{slug}.example.com",
                               owner_password=TEST_PASSWORD)
        created.append(tenant)
        return tenant

    with django_db_blocker.unblock():
        try:
            yield make
        finally:
            connection.set_schema_to_public()
            for tenant in created:
                tenant.delete(force_drop=True)


# A real sandbox process (emulated external systems) and its control API, for every test
# that talks to the sandboxes: the sandboxes' own tests and the connectors'.
pytest_plugins = ["tests.sandbox_harness"]
