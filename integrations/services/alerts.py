"""Alerts: rules per tenant, raised by the pipeline, delivered by email and webhook."""

from __future__ import annotations

import datetime as dt
import logging

import requests
from django.conf import settings
from django.core.mail import send_mail
from django.db import connection as db
from django.utils import timezone

from integrations.models import AlertEvent, AlertRule, DeadLetter, Flow, Transaction

logger = logging.getLogger(__name__)

QUIET_PERIOD = dt.timedelta(hours=1)


def alert_raise(*, kind: str, key: str, message: str, value: int | None = None) -> list[AlertEvent]:
    """Record an alert for every enabled rule of ``kind`` whose threshold ``value`` meets,
    unless the same key alerted within the quiet period; delivery happens in a worker."""
    raised = []
    for rule in AlertRule.objects.filter(kind=kind, enabled=True):
        if value is not None and value < rule.threshold:
            continue
        recent = AlertEvent.objects.filter(rule=rule, key=key,
                                           created_at__gte=timezone.now() - QUIET_PERIOD)
        if recent.exists():
            continue
        event = AlertEvent.objects.create(rule=rule, key=key, message=message)
        raised.append(event)
        from integrations.tasks import alert_deliver_task

        alert_deliver_task.send_with_options(args=(event.pk,), tenant_schema=db.schema_name)
    return raised


def alerts_check_dead_letters(*, flow: Flow) -> None:
    open_count = DeadLetter.objects.filter(resolution=DeadLetter.Resolution.OPEN).count()
    alert_raise(kind=AlertRule.Kind.DEAD_LETTERS, key="dead-letters", value=open_count,
                message=f"{open_count} dead letters are waiting; the latest is in "
                        f"{flow.name!r}.")
    recent = list(Transaction.objects.filter(flow=flow).order_by("-started_at")
                  .values_list("status", flat=True)[:50])
    failing = 0
    for status in recent:
        if status != Transaction.Status.FAILED:
            break
        failing += 1
    alert_raise(kind=AlertRule.Kind.FLOW_FAILING, key=f"flow:{flow.pk}", value=failing,
                message=f"{flow.name!r} failed {failing} times in a row.")


USAGE_THRESHOLDS = (80, 100)


def alerts_check_usage(*, used: int, allowance: int | None, added: int = 1) -> None:
    """Alert once when the month's usage crosses 80% and 100% of the plan's allowance.

    ``added`` is how many transactions the caller just counted (a batch counts several at
    once): the alert belongs to the addition that crossed the threshold."""
    if not allowance:
        return
    for percent in USAGE_THRESHOLDS:
        threshold = -(-allowance * percent // 100)
        if used - added < threshold <= used:
            period = timezone.now().strftime("%Y-%m")
            alert_raise(kind=AlertRule.Kind.USAGE, key=f"usage:{period}:{percent}",
                        value=percent,
                        message=f"{used:,} of {allowance:,} monthly transactions used "
                                f"({percent}% of the plan's fair-use allowance).")


ANOMALY_SHOWN = 3   # findings quoted in one anomaly alert


def alerts_check_anomaly(*, flow: Flow, findings: list[str], what: str = "records"
                         ) -> list[AlertEvent]:
    """Alert the anomaly rules that a flow's records (``what="records"``) or its hourly
    volume (``"volume"``) look wrong. Keyed per flow and kind, so a run of odd records in one
    flow alerts once per quiet period rather than once a record; the threshold is not used."""
    if not findings:
        return []
    shown = "; ".join(findings[:ANOMALY_SHOWN])
    more = len(findings) - ANOMALY_SHOWN
    if more > 0:
        shown += f"; and {more} more"
    subject = "a record that looks wrong" if what == "records" else "an unusual volume"
    return alert_raise(kind=AlertRule.Kind.ANOMALY, key=f"anomaly:{what}:{flow.pk}",
                       message=f"{flow.name!r} has {subject}: {shown}")


def alert_deliver(*, alert_id: int) -> AlertEvent:
    alert = AlertEvent.objects.select_related("rule").get(pk=alert_id)
    rule, errors = alert.rule, []
    subject = f"[Clarity Connect] {db.tenant.name}: {rule.get_kind_display()}"
    if rule.emails and not alert.delivered_email:
        try:
            send_mail(subject, alert.message, settings.DEFAULT_FROM_EMAIL, rule.emails)
            alert.delivered_email = True
        except Exception as exc:  # mail servers fail in many ways; record and move on
            errors.append(f"email: {exc}")
    if rule.webhook_url and not alert.delivered_webhook:
        try:
            response = requests.post(rule.webhook_url, timeout=(5, 10), json={
                "tenant": db.tenant.slug, "kind": rule.kind, "key": alert.key,
                "message": alert.message, "created_at": alert.created_at.isoformat()})
            response.raise_for_status()
            alert.delivered_webhook = True
        except requests.RequestException as exc:
            errors.append(f"webhook: {exc}")
    alert.delivery_error = "; ".join(errors)
    alert.save(update_fields=["delivered_email", "delivered_webhook", "delivery_error"])
    return alert


def alert_rule_describe(*, rule: AlertRule) -> str:
    """When the rule sends an alert, in the words a customer would use."""
    threshold = rule.threshold
    if rule.kind == AlertRule.Kind.DEAD_LETTERS:
        noun = "dead letter is" if threshold == 1 else "dead letters are"
        return (f"When {threshold} or more {noun} waiting to be fixed and replayed or "
                "discarded.")
    if rule.kind == AlertRule.Kind.FLOW_FAILING:
        times = "time" if threshold == 1 else "times in a row"
        return f"When a flow fails {threshold} {times}."
    if rule.kind == AlertRule.Kind.CIRCUIT_OPEN:
        return ("When a connection fails so often that Clarity pauses calls to it for a while "
                "(its circuit opens). The threshold is not used.")
    if rule.kind == AlertRule.Kind.USAGE:
        points = [f"{p}%" for p in USAGE_THRESHOLDS if p >= threshold]
        if not points:
            return "Never: usage is checked at 80% and 100% of the allowance."
        return (f"When this month's transactions reach {' and again at '.join(points)} of the "
                "plan's fair-use allowance.")
    if rule.kind == AlertRule.Kind.ANOMALY:
        return ("When a flow with anomaly detection on syncs a record far outside its usual "
                "range (a total, a quantity, a price change), or its records in an hour surge "
                "or drop. The threshold is not used.")
    return rule.get_kind_display()


def alert_rule_create(
    *, kind: str, threshold: int, emails: list[str], webhook_url: str, enabled: bool = True,
) -> AlertRule:
    return AlertRule.objects.create(kind=kind, threshold=threshold, emails=emails,
                                    webhook_url=webhook_url, enabled=enabled)


def alert_rule_update(
    *, rule: AlertRule, kind: str, threshold: int, emails: list[str], webhook_url: str,
    enabled: bool,
) -> AlertRule:
    rule.kind, rule.threshold, rule.emails = kind, threshold, emails
    rule.webhook_url, rule.enabled = webhook_url, enabled
    rule.save(update_fields=["kind", "threshold", "emails", "webhook_url", "enabled"])
    return rule


def alert_rule_set_enabled(*, rule: AlertRule, enabled: bool) -> AlertRule:
    rule.enabled = enabled
    rule.save(update_fields=["enabled"])
    return rule


def alert_rule_delete(*, rule: AlertRule) -> None:
    rule.delete()


def alert_test_send(*, rule: AlertRule, by: str) -> AlertEvent:
    """Deliver a test alert to the rule's recipients now, the way a real one goes out
    (alert_deliver), and return it with what happened. Not through alert_raise: a test is
    wanted even when the rule is disabled or just alerted, and the person waits to see it
    arrive rather than leaving it to a worker."""
    description = alert_rule_describe(rule=rule)
    event = AlertEvent.objects.create(
        rule=rule, key=f"test:{timezone.now():%Y%m%dT%H%M%S.%f}",
        message=f"Test alert sent by {by} from the portal; nothing is wrong. This rule alerts: "
                f"{description[0].lower()}{description[1:]}")
    return alert_deliver(alert_id=event.pk)
