"""Dramatiq middleware that runs every actor inside the schema of the tenant that sent it."""

from __future__ import annotations

import logging
from typing import Any

from django.db import connection
from django_tenants.utils import get_public_schema_name, get_tenant_model
from dramatiq import Broker, Message, Middleware
from dramatiq.middleware import SkipMessage

logger = logging.getLogger(__name__)

TENANT_OPTION = "tenant_schema"


class TenantMiddleware(Middleware):
    """Carries the sender's schema on each message and sets it in the worker.

    Enqueue captures ``connection.schema_name`` (or an explicit ``tenant_schema`` option);
    the worker thread switches to that tenant before the actor runs and back to public after,
    so a thread never leaks one tenant's search path into the next message.
    """

    actor_options = {TENANT_OPTION}

    def before_enqueue(self, broker: Broker, message: Message, delay: int) -> None:
        message.options.setdefault(TENANT_OPTION, connection.schema_name)

    def before_process_message(self, broker: Broker, message: Message) -> None:
        schema = message.options.get(TENANT_OPTION) or get_public_schema_name()
        if schema == get_public_schema_name():
            connection.set_schema_to_public()
            return
        connection.set_schema_to_public()
        tenant = get_tenant_model().objects.filter(schema_name=schema).first()
        if tenant is None:
            logger.warning("Skipping message %s: tenant schema %r no longer exists.",
                           message.message_id, schema)
            raise SkipMessage(f"tenant schema {schema!r} does not exist")
        if not tenant.is_active:
            logger.info("Skipping message %s: tenant %s is suspended.", message.message_id, schema)
            raise SkipMessage(f"tenant {schema!r} is suspended")
        connection.set_tenant(tenant)

    def after_process_message(
        self, broker: Broker, message: Message, *, result: Any = None, exception: Any = None
    ) -> None:
        connection.set_schema_to_public()

    after_skip_message = after_process_message
