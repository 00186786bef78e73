"""Creating integrations in the portal, with the plan's pair limit enforced over HTTP."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from integrations.models import IntegrationPair, Operation
from tests.connections import bigcommerce_connection, brightpearl_connection
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ALPHA = "alpha.localhost"


@pytest.fixture
def editor(tenant_a) -> Client:
    client = Client(HTTP_HOST=ALPHA)
    client.force_login(UserFactory(role=User.Role.OWNER))
    return client


@pytest.fixture
def connections(tenant_a, new_account):
    return (brightpearl_connection(new_account("brightpearl")),
            bigcommerce_connection(new_account("bigcommerce")))


def _create(editor: Client, connections, name: str, environment: str):
    bp, bc = connections
    return editor.post("/integrations/new/", {
        "name": name, "template": "brightpearl-bigcommerce", "brightpearl": bp.pk,
        "partner": bc.pk, "environment": environment})


def test_integration_created_from_a_template_goes_live_with_its_flows(editor, connections):
    response = _create(editor, connections, "Web shop", "production")
    assert response.status_code == 302
    pair = IntegrationPair.objects.get(name="Web shop")
    page = editor.get(response["Location"]).content.decode()
    # Every flow the template turns on; the opt-in one (orders taken in Brightpearl) is left off.
    on = pair.flows.filter(enabled=True).count()
    assert f"Web shop is live with {on} of {pair.flows.count()} flows; left off:" in page
    assert "Sales orders: BigCommerce → Brightpearl" in page


def test_second_production_pair_is_refused_with_the_plans_reason(editor, connections):
    _create(editor, connections, "Web shop", "production")
    response = _create(editor, connections, "Second shop", "production")

    assert response.status_code == 200
    assert ("The Clarity Connect plan includes 1 production integration pair and 1 already "
            "exist; upgrade the plan or retire a pair.") in response.content.decode()
    assert not IntegrationPair.objects.filter(name="Second shop").exists()


def test_sandbox_pairs_have_their_own_allowance(editor, connections):
    _create(editor, connections, "Web shop", "production")
    assert _create(editor, connections, "Trial shop", "sandbox").status_code == 302


def test_partner_of_the_wrong_system_is_refused(editor, connections, tenant_a):
    bp, _ = connections
    response = editor.post("/integrations/new/", {
        "name": "Wrong", "template": "brightpearl-infor", "brightpearl": bp.pk,
        "partner": connections[1].pk, "environment": "sandbox"})
    assert ("needs a connection to Infor (ION API / M3)" in response.content.decode())


def test_viewer_cannot_pause_a_pair(tenant_a, editor, connections):
    _create(editor, connections, "Web shop", "sandbox")
    pair = IntegrationPair.objects.get(name="Web shop")
    viewer = Client(HTTP_HOST=ALPHA)
    viewer.force_login(UserFactory(role=User.Role.VIEWER))
    assert viewer.post(f"/integrations/{pair.pk}/status/",
                       {"status": "paused"}).status_code == 403


def test_backfill_from_a_date_starts_and_shows_its_progress(editor, connections):
    _create(editor, connections, "Web shop", "sandbox")
    flow = IntegrationPair.objects.get(name="Web shop").flows.get(key="product-bp-to-bc")

    response = editor.post(f"/flows/{flow.pk}/backfill/", {"since": "2025-01-01"}, follow=True)

    page = response.content.decode()
    assert "syncing everything changed since 2025-01-01" in page
    assert f'data-backfill="{flow.pk}"' in page
    assert Operation.objects.get(kind=Operation.Kind.BACKFILL).params["flow"] == flow.pk


def test_backfill_without_a_date_says_what_to_enter(editor, connections):
    _create(editor, connections, "Web shop", "sandbox")
    flow = IntegrationPair.objects.get(name="Web shop").flows.first()
    response = editor.post(f"/flows/{flow.pk}/backfill/", {"since": "soon"}, follow=True)
    assert "Enter the date to backfill from as YYYY-MM-DD." in response.content.decode()
