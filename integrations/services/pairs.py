"""Integration pairs: created from a template, paused and resumed, with their flows."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection as db
from django.db import transaction
from django.utils import timezone

from billing import limits
from integrations.connectors.errors import ConnectorError
from integrations.models import Connection, Flow, InboundEvent, IntegrationPair, LookupTable
from integrations.pair_templates import PairTemplate, template_get
from integrations.selectors import pairs_count
from integrations.services.connections import connector_for
from integrations.services.mappings import lookup_table_set, mapping_create
from integrations.services.steps import flow_default_document, flow_steps_save
from tenants.models import PollSchedule

logger = logging.getLogger(__name__)


@transaction.atomic
def pair_create_from_template(
    *,
    name: str,
    template_key: str,
    brightpearl: Connection,
    partner: Connection,
    environment: str = Connection.Environment.SANDBOX,
    created_by: str = "",
) -> IntegrationPair:
    """Create the pair, its flows, their mappings (version 1) and default lookup tables."""
    template: PairTemplate = template_get(template_key)
    production = environment == Connection.Environment.PRODUCTION
    limits.ensure(limits.can_add_pair(
        tenant=db.tenant, production=production,
        current_count=pairs_count(production=production)))
    errors: dict[str, list[str]] = {}
    if brightpearl.system != Connection.System.BRIGHTPEARL:
        errors["brightpearl"] = [f"{brightpearl.name!r} is not a Brightpearl connection."]
    if partner.system != template.partner:
        errors["partner"] = [f"The {template.name} template needs a connection to "
                             f"{Connection.System(template.partner).label}; {partner.name!r} "
                             f"is {partner.get_system_display()}."]
    if IntegrationPair.objects.filter(name=name).exists():
        errors["name"] = [f"A pair called {name!r} exists already."]
    if errors:
        raise ValidationError(errors)

    for flow in template.flows:
        for table, entries in flow.lookups.items():
            if not LookupTable.objects.filter(name=table).exists():
                lookup_table_set(name=table, entries={str(k): str(v) for k, v in entries.items()},
                                 description=f"From the {template.name} template")
    pair = IntegrationPair.objects.create(
        name=name, template_key=template.key, template_version=template.version,
        brightpearl=brightpearl, partner=partner, environment=environment)
    link_names = [table.name for table in template.link_tables]
    for flow in template.flows:
        mapping = mapping_create(name=f"{name}: {flow.name}", document=flow.mapping,
                                 created_by=created_by, comment=f"{template.name} template",
                                 live_tables=link_names)
        created = Flow.objects.create(
            pair=pair, key=flow.key, name=flow.name, entity=flow.entity,
            source_system=flow.source, target_system=flow.target, trigger=flow.trigger,
            events=list(flow.events), poll_interval_s=flow.poll_interval_s,
            enabled=flow.enabled_by_default, mapping=mapping,
            follow_ups=[{"action": f.action, "system": f.system, "args": f.args,
                         "description": f.description} for f in flow.follow_ups],
            depends_on=list(flow.depends_on), conflict_rule=flow.conflict_rule,
            natural_key=flow.natural_key or "",
        )
        flow_steps_save(flow=created, document=flow.steps or flow_default_document(created),
                        created_by=created_by, comment=f"{template.name} template")
        flow_schedule_sync(flow=created)
    return pair


def flow_schedule_sync(*, flow: Flow, now: dt.datetime | None = None) -> None:
    """Keep the public poll index in step with the flow (polled, running, interval)."""
    tenant = db.tenant
    polled = flow.trigger in (Flow.Trigger.POLL, Flow.Trigger.SCHEDULE)
    if polled and flow.is_running and flow.poll_interval_s:
        limits.ensure(limits.can_use_poll_interval(tenant=tenant, seconds=flow.poll_interval_s))
        PollSchedule.objects.update_or_create(
            tenant=tenant, flow_id=flow.pk,
            defaults={"interval_s": flow.poll_interval_s,
                      "next_run_at": now or timezone.now()})
    else:
        PollSchedule.objects.filter(tenant=tenant, flow_id=flow.pk).delete()


def pair_set_status(*, pair: IntegrationPair, status: str) -> IntegrationPair:
    """Pause or resume. Paused pairs keep receiving events; resuming processes them."""
    pair.status = status
    pair.save(update_fields=["status", "updated_at"])
    for flow in pair.flows.all():
        flow_schedule_sync(flow=flow)
    if status == IntegrationPair.Status.ACTIVE:
        held = InboundEvent.objects.filter(flow__pair=pair, status=InboundEvent.Status.RETRYING,
                                           next_attempt_at__isnull=True)
        from integrations.services.events import events_enqueue

        ids = list(held.values_list("pk", flat=True))
        held.update(status=InboundEvent.Status.PENDING)
        events_enqueue(ids)
    return pair


def flow_set_enabled(*, flow: Flow, enabled: bool) -> Flow:
    flow.enabled = enabled
    flow.save(update_fields=["enabled", "updated_at"])
    flow_schedule_sync(flow=flow)
    return flow


def tenant_url() -> str:
    return settings.TENANT_URL_TEMPLATE.format(slug=db.tenant.slug, base=settings.BASE_DOMAIN)


def webhook_url(connection: Connection) -> str:
    return f"{tenant_url()}/api/v1/webhooks/{connection.system}/{connection.pk}/"


@dataclass
class WebhookRegistration:
    registered: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def pair_webhooks_register(*, pair: IntegrationPair) -> WebhookRegistration:
    """Subscribe our per-connection URL to every event the pair's webhook flows listen to."""
    outcome = WebhookRegistration()
    by_connection: dict[int, set[str]] = {}
    for flow in pair.flows.filter(trigger=Flow.Trigger.WEBHOOK, enabled=True):
        by_connection.setdefault(flow.source_connection.pk, set()).update(flow.events)
    for connection_id, events in by_connection.items():
        connection = Connection.objects.get(pk=connection_id)
        connector = connector_for(connection)
        for event in sorted(events):
            try:
                connector.webhook_register(event=event, url=webhook_url(connection),
                                           secret=connection.webhook_secret)
            except ConnectorError as exc:
                outcome.failed[event] = exc.message
                logger.warning("Registering %s on %s failed: %s", event, connection, exc)
            else:
                outcome.registered.append(event)
    return outcome


@dataclass
class GoLive:
    pair: IntegrationPair
    enabled: list[str]
    left_off: list[str]
    webhooks: WebhookRegistration


def pair_go_live(
    *,
    name: str,
    template_key: str,
    brightpearl: Connection,
    partner: Connection,
    environment: str = Connection.Environment.SANDBOX,
    enabled_flows: Collection[str] | None = None,
    created_by: str = "",
) -> GoLive:
    """Create the pair with only the chosen flows switched on, then subscribe to webhooks.

    ``enabled_flows`` are flow keys of the template; ``None`` keeps the template's defaults.
    Webhooks are registered after the pair is committed: a system that is down then leaves
    a live pair whose failed subscriptions are listed and can be retried from its page.
    """
    template = template_get(template_key)
    if enabled_flows is not None:
        unknown = set(enabled_flows) - {flow.key for flow in template.flows}
        if unknown:
            raise ValidationError({"flows": [f"The {template.name} template has no flow "
                                             f"{', '.join(sorted(unknown))}."]})
        if not enabled_flows:
            raise ValidationError({"flows": ["Tick at least one flow to go live."]})
    with transaction.atomic():
        pair = pair_create_from_template(
            name=name, template_key=template_key, brightpearl=brightpearl, partner=partner,
            environment=environment, created_by=created_by)
        flows = list(pair.flows.order_by("pk"))
        for flow in flows:
            wanted = flow.enabled if enabled_flows is None else flow.key in enabled_flows
            if flow.enabled != wanted:
                flow_set_enabled(flow=flow, enabled=wanted)
    return GoLive(pair=pair, enabled=[f.name for f in flows if f.enabled],
                  left_off=[f.name for f in flows if not f.enabled],
                  webhooks=pair_webhooks_register(pair=pair))


def flow_run_now(*, flow: Flow) -> None:
    """Poll the flow's source now instead of at its next scheduled time."""
    from integrations.tasks import flow_poll_task

    if flow.trigger not in (Flow.Trigger.POLL, Flow.Trigger.SCHEDULE):
        raise ValidationError(f"{flow.name!r} is triggered by webhooks; there is nothing to "
                              "poll. Replay its dead letters or backfill it instead.")
    transaction.on_commit(lambda: flow_poll_task.send_with_options(
        args=(flow.pk,), tenant_schema=db.schema_name))
