"""A pair with flows, log rows and dead letters in tenant alpha, and API clients for it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from integrations.models import DeadLetter, Flow, InboundEvent, Transaction
from tests.factories import UserFactory

ALPHA = "alpha.localhost"
BETA = "beta.localhost"


def api_client(user: User | None, host: str = ALPHA) -> APIClient:
    client = APIClient(HTTP_HOST=host)
    if user is not None:
        client.force_authenticate(user=user)
    return client


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
