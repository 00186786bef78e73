"""Who may reach what, for every named route of the tenant portal (config.urls_tenants).

The routes are read from the URLconf, so a page added later is covered without editing this
file. Each route is called with sample arguments taken from real rows (a pair with its flows,
a dead letter, an API key, an invitation, an invoice...) chosen by the route's name, so views
that load an object get past their 404 and reach their permission check.

- A signed-in user of tenant alpha gets nothing from tenant beta: on beta's domain every
  route answers with a redirect to sign-in or an error, never a page, and changes nothing.
- A viewer POSTing to any portal route changes nothing in the tenant's schema or in public.
- Anonymous visitors are sent to sign-in.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Model
from django.test import Client
from django.urls import converters, get_resolver, reverse

from accounts.models import User
from accounts.services import api_key_create, invitation_create
from billing.services import invoice_issue
from integrations.models import AlertRule, Operation
from integrations.services.pairs import pair_create_from_template
from tenants.models import Tenant
from tests.conftest import inside
from tests.factories import (
    ConnectionFactory,
    DeadLetterFactory,
    TransactionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

URLCONF = settings.ROOT_URLCONF
ALPHA, BETA = "alpha.localhost", "beta.localhost"

# Not session-authenticated pages: deliveries are verified by their signature (tests in
# tests/integrations cover the receiver), and a POST here would be stored as an event.
WEBHOOK = {"webhook_receive"}
# Reached signed out by design: signing in and out, the password reset by email, the links in
# invitation and sign-up emails (each needs its own token; tests/accounts covers them).
SIGNED_OUT_FLOWS = {"login", "logout", "password_reset", "password_reset_done",
                    "password_reset_confirm", "password_reset_complete", "invitation_accept",
                    "welcome"}
# The API's description: public, it holds no tenant data.
API_DESCRIPTION = {"api-docs", "api-redoc", "api-schema"}
# POSTs that only look, which viewers may make, and the tables each may write to.
VIEWER_MAY_POST: dict[str, set[str]] = {
    # Tries the stored credentials against the system and records the outcome as the
    # connection's health (health, last checked, last error): no configuration changes.
    "connection_test": {"integrations_connection"},
    # Runs the mapping on a sample record; stores nothing.
    "flow_mapping_preview": set(),
    # Runs the steps on a sample record, reading the systems; stores nothing.
    "flow_steps_test": set(),
}

# Which row a route's arguments come from, by the start of its name (longest match wins).
# A route not listed here gets its arguments from SAMPLE_VALUES or a dummy, and a 404 is
# still a correct answer for it.
SAMPLE_MODEL_BY_PREFIX = {
    "alert": "integrations.AlertRule",
    "api_key": "accounts.ApiKey",
    "connection": "integrations.Connection",
    "dashboard_pair": "integrations.IntegrationPair",
    "dead_letter": "integrations.DeadLetter",
    "flow": "integrations.Flow",
    "invitation": "accounts.Invitation",
    "invoice": "billing.Invoice",
    "member": "accounts.User",
    "operation": "integrations.Operation",
    "pair": "integrations.IntegrationPair",
    "transaction": "integrations.Transaction",
    "api-connection": "integrations.Connection",
    "api-dead-letter": "integrations.DeadLetter",
    "api-flow": "integrations.Flow",
    "api-pair": "integrations.IntegrationPair",
    "api-transaction": "integrations.Transaction",
}
SAMPLE_VALUES = {"template_key": "brightpearl-bigcommerce", "system": "brightpearl",
                 "number": 1, "token": "not-a-token", "uidb64": "MQ"}


@dataclass(frozen=True)
class Route:
    name: str
    params: tuple[str, ...]
    converters: dict[str, Any]

    def __str__(self) -> str:
        return self.name


def tenant_routes() -> list[Route]:
    resolver = get_resolver(URLCONF)
    routes = []
    for name in sorted(key for key in resolver.reverse_dict if isinstance(key, str)):
        # The shortest variant: DRF also registers each route with a ".<format>" suffix.
        possibilities = [(params, conv) for bits, _pattern, _defaults, conv
                         in resolver.reverse_dict.getlist(name) for _template, params in bits]
        params, conv = min(possibilities, key=lambda p: len(p[0]))
        routes.append(Route(name=name, params=tuple(params), converters=dict(conv)))
    return routes


ROUTES = tenant_routes()
PORTAL_ROUTES = [r for r in ROUTES if r.name not in WEBHOOK | SIGNED_OUT_FLOWS
                 and not r.name.startswith("api-")]


def build_world(tenant: Tenant) -> dict[str, Model]:
    """One of each kind of row the portal's pages show, in ``tenant`` (and its public rows)."""
    with inside(tenant):
        owner = User.objects.get(role=User.Role.OWNER, email=f"owner@{tenant.slug}.example.com")
        pair = pair_create_from_template(
            name="Web shop", template_key="brightpearl-bigcommerce",
            brightpearl=ConnectionFactory(system="brightpearl"),
            partner=ConnectionFactory(system="bigcommerce"))
        flow = pair.flows.order_by("pk").first()
        api_key, _ = api_key_create(name="Dashboard", scope="read_write",
                                    created_by=owner.email)
        invitation, _ = invitation_create(email=f"invitee@{tenant.slug}.example.com",
                                          role="viewer", invited_by=owner)
        world = {
            "integrations.IntegrationPair": pair,
            "integrations.Flow": flow,
            "integrations.Connection": pair.brightpearl,
            "integrations.DeadLetter": DeadLetterFactory(flow=flow),
            "integrations.Transaction": TransactionFactory(flow=flow),
            "integrations.AlertRule": AlertRule.objects.create(
                kind=AlertRule.Kind.DEAD_LETTERS, threshold=1,
                emails=[f"ops@{tenant.slug}.example.com"]),
            "integrations.Operation": Operation.objects.create(kind=Operation.Kind.REPLAY,
                                                               created_by=owner.email),
            "accounts.ApiKey": api_key,
            "accounts.Invitation": invitation,
            "accounts.User": UserFactory(email=f"member@{tenant.slug}.example.com",
                                         role=User.Role.ADMIN),
        }
    world["billing.Invoice"] = invoice_issue(subscription=tenant.subscription)
    return world


def sample_label(route: Route, labels: set[str]) -> str | None:
    """The model ("app.Model") whose row gives the route's arguments, if any."""
    matches = [prefix for prefix in SAMPLE_MODEL_BY_PREFIX if route.name.startswith(prefix)]
    if matches:
        return SAMPLE_MODEL_BY_PREFIX[max(matches, key=len)]
    # A route added later: a model named like the start of the route, if there is one.
    tokens = route.name.replace("-", "_").split("_")
    for count in range(len(tokens), 0, -1):
        wanted = "".join(tokens[:count])
        for label in sorted(labels):
            if label.split(".")[1].lower() == wanted:
                return label
    return None


def sample_model(route: Route, world: dict[str, Model]) -> Model | None:
    label = sample_label(route, set(world))
    return world.get(label) if label else None


def url_for(route: Route, world: dict[str, Model]) -> str:
    obj = sample_model(route, world)
    kwargs: dict[str, Any] = {}
    for param in route.params:
        converter = route.converters.get(param)
        if obj is not None and param in ("pk", "id"):
            value: Any = obj.pk
        elif obj is not None and hasattr(obj, param):
            value = getattr(obj, param)
        elif param.endswith("_id") and f"integrations.{param[:-3].title()}" in world:
            value = world[f"integrations.{param[:-3].title()}"].pk
        elif param in SAMPLE_VALUES:
            value = SAMPLE_VALUES[param]
        else:
            value = 1 if isinstance(converter, converters.IntConverter) else "sample"
        kwargs[param] = value
    return reverse(route.name, urlconf=URLCONF, kwargs=kwargs)


# Apps whose rows live in the public schema, shared by every tenant.
SHARED_MODELS = ("billing.", "tenants.")

VOLATILE_TABLES = {
    # Saving the session (messages, a refreshed CSRF token) is not a change to the tenant.
    "django_session",
}


def fingerprint(*schemas: str) -> dict[str, tuple[int, str]]:
    """Row count and a digest of every row of every table of ``schemas``."""
    result = {}
    with connection.cursor() as cursor:
        for schema in schemas:
            cursor.execute("SELECT table_name FROM information_schema.tables "
                           "WHERE table_schema = %s AND table_type = 'BASE TABLE'", [schema])
            for (table,) in cursor.fetchall():
                if table in VOLATILE_TABLES:
                    continue
                name = f"{connection.ops.quote_name(schema)}.{connection.ops.quote_name(table)}"
                # Names from information_schema, quoted: nothing here comes from a request.
                cursor.execute("SELECT count(*), md5(coalesce(string_agg(t::text, '|' "  # noqa: S608
                               f"ORDER BY t::text), '')) FROM {name} t")
                result[f"{schema}.{table}"] = cursor.fetchone()
    return result


def changed(before: dict, after: dict) -> list[str]:
    return sorted(table for table in before.keys() | after.keys()
                  if before.get(table) != after.get(table))


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.fixture
def alpha_world(tenant_a) -> dict[str, Model]:
    return build_world(tenant_a)


@pytest.fixture
def beta_world(tenant_b) -> dict[str, Model]:
    return build_world(tenant_b)


@pytest.fixture
def alpha_owner_client(tenant_a) -> Iterator[Client]:
    client = Client(raise_request_exception=True)
    with inside(tenant_a):
        client.force_login(User.objects.get(email="owner@alpha.example.com"))
    yield client


@pytest.fixture
def viewer_client(tenant_a) -> Client:
    viewer = UserFactory(email="viewer@alpha.example.com", role=User.Role.VIEWER)
    client = Client(raise_request_exception=True)
    client.force_login(viewer)
    return client


def test_every_named_tenant_route_is_walked():
    names = {route.name for route in ROUTES}
    assert {"home", "team", "pair_detail", "api_key_revoke", "login"} <= names
    assert len(PORTAL_ROUTES) > 20


@pytest.mark.parametrize("route", [r for r in ROUTES if r.name not in WEBHOOK], ids=str)
def test_alpha_user_gets_nothing_from_beta(route, alpha_owner_client, alpha_world, beta_world,
                                           tenant_b):
    url = url_for(route, beta_world)
    before = fingerprint(tenant_b.schema_name, "public")

    got = alpha_owner_client.get(url, HTTP_HOST=BETA)
    posted = alpha_owner_client.post(url, {}, HTTP_HOST=BETA)

    for response in (got, posted):
        if route.name in SIGNED_OUT_FLOWS | API_DESCRIPTION and response.status_code == 200:
            # Pages open to anyone: they must not show who alpha's user is.
            assert "owner@alpha.example.com" not in response.content.decode()
            continue
        assert is_login_redirect(response) or response.status_code in {401, 403, 404, 405, 410}, (
            f"{route.name} on beta answered {response.status_code} to alpha's user")
    if route.name not in SIGNED_OUT_FLOWS:
        assert changed(before, fingerprint(tenant_b.schema_name, "public")) == []


@pytest.mark.parametrize("route", [r for r in PORTAL_ROUTES
                                   if (sample_label(r, set()) or "").startswith(SHARED_MODELS)],
                         ids=str)
def test_alpha_user_cannot_open_betas_public_schema_rows_on_alphas_domain(
        route, alpha_owner_client, alpha_world, beta_world):
    """Invoices live in the shared public schema, so the tenant's domain alone does not hide
    beta's: the view has to."""
    response = alpha_owner_client.get(url_for(route, beta_world), HTTP_HOST=ALPHA)

    assert response.status_code == 404


def template_names(response) -> list[str]:
    return [template.name for template in response.templates]


@pytest.mark.parametrize("route", PORTAL_ROUTES, ids=str)
def test_viewer_post_changes_nothing(route, viewer_client, alpha_world, tenant_a, mailoutbox):
    url = url_for(route, alpha_world)
    before, mails = fingerprint(tenant_a.schema_name, "public"), len(mailoutbox)

    response = viewer_client.post(url, {}, HTTP_HOST=ALPHA)

    may_write = {f"{tenant_a.schema_name}.{table}" for table in VIEWER_MAY_POST.get(route.name, ())}
    assert set(changed(before, fingerprint(tenant_a.schema_name, "public"))) <= may_write
    assert len(mailoutbox) == mails
    if is_login_redirect(response) or response.status_code in {403, 404, 405}:
        return
    if route.name in VIEWER_MAY_POST:
        return
    # A read-only page that ignores the method shows the same page to a POST: harmless.
    # Anything else (a redirect after acting, a form's errors, a fragment) means the view
    # went ahead for a viewer.
    page = viewer_client.get(url, HTTP_HOST=ALPHA)
    assert response.status_code == page.status_code == 200 and (
        template_names(response) == template_names(page)), (
        f"a viewer's POST to {route.name} answered {response.status_code} "
        f"({template_names(response)}), not a refusal")


@pytest.mark.parametrize("route", PORTAL_ROUTES, ids=str)
def test_anonymous_visitors_are_sent_to_sign_in(route, client, alpha_world):
    url = url_for(route, alpha_world)

    response = client.get(url, HTTP_HOST=ALPHA)

    # 405: a POST-only action; nothing is shown either way.
    assert response.status_code == 405 or (
        is_login_redirect(response) and response["Location"].startswith("/login/?next=")), (
        f"an anonymous GET of {route.name} answered {response.status_code}")


@pytest.mark.parametrize("route", [r for r in ROUTES if r.name.startswith("api-")
                                   and r.name not in API_DESCRIPTION], ids=str)
def test_anonymous_api_calls_are_refused(route, client, alpha_world):
    response = client.get(url_for(route, alpha_world), HTTP_HOST=ALPHA)

    assert response.status_code in {401, 405}
