"""A pair with flows, log rows and dead letters in tenant alpha, and API clients for it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection as db
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from integrations.models import DeadLetter, Flow, InboundEvent, Transaction
from integrations.services.connections import connection_create
from integrations.services.pairs import pair_create_from_template
from tests.factories import UserFactory

ALPHA = "alpha.localhost"
BETA = "beta.localhost"
# Nothing listens here: the API reads and writes our own rows; a connection test fails fast.
NOWHERE = "http://127.0.0.1:9"


def api_client(user: User | None, host: str = ALPHA) -> APIClient:
    client = APIClient(HTTP_HOST=host)
    if user is not None:
        client.force_authenticate(user=user)
    return client


@pytest.fixture
def pair(tenant_a) -> Any:
    bp = connection_create(
        name="BP", system="brightpearl", base_url=f"{NOWHERE}/brightpearl", account="alpha",
        auth_type="private_app",
        credentials={"private_app_ref": "clarity-private", "account_token": "tok-SECRET-1"})
    bc = connection_create(
        name="BC", system="bigcommerce", base_url=f"{NOWHERE}/bigcommerce", account="store1",
        auth_type="api_token", credentials={"store_hash": "store1", "access_token": "tok-SECRET-2"})
    made = pair_create_from_template(name="Shop", template_key="brightpearl-bigcommerce",
                                     brightpearl=bp, partner=bc)
    db.set_tenant(tenant_a)
    return made


@pytest.fixture
def order_flow(pair) -> Flow:
    return pair.flows.get(key="sales-order-bc-to-bp")


def event_make(flow: Flow, external_id: str, *, status: str = InboundEvent.Status.DONE
               ) -> InboundEvent:
    return InboundEvent.objects.create(
        flow=flow, connection=flow.source_connection, event_type="store/order/created",
        external_id=external_id, dedupe_key=f"{flow.pk}-{external_id}-{status}", status=status)


def transaction_make(flow: Flow, source_id: str, *, status: str = Transaction.Status.SUCCESS,
                     ago: dt.timedelta = dt.timedelta(minutes=5), **fields: Any) -> Transaction:
    return Transaction.objects.create(
        flow=flow, event=event_make(flow, source_id), source_id=source_id,
        target_id=f"T{source_id}", status=status, started_at=timezone.now() - ago, **fields)


def dead_letter_make(flow: Flow, external_id: str, *, error_class: str = "MissingReference"
                     ) -> DeadLetter:
    event = event_make(flow, external_id, status=InboundEvent.Status.DEAD)
    return DeadLetter.objects.create(
        event=event, flow=flow, error_class=error_class, reason=f"SKU of {external_id} unknown",
        source_record={"id": external_id, "password": "hunter2"}, attempts=1)


@pytest.fixture
def admin(tenant_a) -> User:
    return UserFactory(role=User.Role.ADMIN)


@pytest.fixture
def viewer(tenant_a) -> User:
    return UserFactory(role=User.Role.VIEWER)
