"""The portal's alert pages and the settings hub."""

from __future__ import annotations

import html

import pytest
from django.core import mail

from billing.models import Plan
from integrations.models import AlertEvent, AlertRule
from tests.factories import PlanFactory

pytestmark = pytest.mark.django_db



def _text(response) -> str:
    return html.unescape(response.content.decode())


def _rule(**fields) -> AlertRule:
    return AlertRule.objects.create(**{"kind": AlertRule.Kind.DEAD_LETTERS, "threshold": 5,
                                       "emails": ["ops@example.com"], **fields})


def _form(**fields) -> dict:
    return {"kind": "dead_letters", "threshold": "3", "emails": "", "webhook_url": "",
            "enabled": "on", **fields}


def test_alert_list_describes_each_rule_in_plain_words(editor):
    _rule(threshold=5)
    _rule(kind=AlertRule.Kind.FLOW_FAILING, threshold=1)
    _rule(kind=AlertRule.Kind.USAGE, threshold=90)
    page = _text(editor.get("/alerts/"))
    assert "When 5 or more dead letters are waiting to be fixed and replayed or discarded." in page
    assert "When a flow fails 1 time." in page
    assert ("When this month's transactions reach 100% of the plan's fair-use allowance."
            in page)


def test_editor_creates_a_rule_with_emails_and_a_webhook(editor):
    response = editor.post("/alerts/new/", _form(
        emails="ops@example.com, Oncall@Example.com\nops@example.com",
        webhook_url="https://hooks.example.com/clarity"), follow=True)
    assert "Alert rule “Open dead letters above a threshold” created." in _text(response)
    rule = AlertRule.objects.get()
    assert rule.emails == ["ops@example.com", "oncall@example.com"]
    assert (rule.kind, rule.threshold, rule.enabled) == ("dead_letters", 3, True)
    assert rule.webhook_url == "https://hooks.example.com/clarity"


def test_invalid_email_is_shown_and_nothing_is_saved(editor):
    response = editor.post("/alerts/new/", _form(emails="ops@example.com, bob@, not an email"))
    page = _text(response)
    assert response.status_code == 400
    assert "“bob@”, “not”, “an”, “email” are not valid email addresses." in page
    assert "ops@example.com, bob@, not an email" in page  # what was typed is kept
    assert not AlertRule.objects.exists()


def test_a_rule_needs_at_least_one_recipient(editor):
    response = editor.post("/alerts/new/", _form())
    assert "Add at least one recipient: an email address or a webhook URL." in _text(response)
    assert not AlertRule.objects.exists()


def test_webhook_must_be_an_http_address(editor):
    response = editor.post("/alerts/new/", _form(webhook_url="ftp://files.example.com/x"))
    assert "Enter a web address starting with http:// or https://." in _text(response)
    assert not AlertRule.objects.exists()


def test_usage_threshold_above_one_hundred_percent_is_refused(editor):
    response = editor.post("/alerts/new/", _form(kind="usage", threshold="120",
                                                 emails="ops@example.com"))
    assert "a higher threshold would never alert" in _text(response)
    assert not AlertRule.objects.exists()


def test_webhook_alerts_need_a_plan_that_includes_them(editor, tenant_a):
    subscription = tenant_a.subscription
    subscription.plan = PlanFactory(slug="no-webhooks", features={})
    subscription.save()
    response = editor.post("/alerts/new/", _form(webhook_url="https://hooks.example.com/x"))
    assert "Alerts to a webhook URL is not included in the Plan no-webhooks plan" in (
        _text(response))
    assert not AlertRule.objects.exists()
    subscription.plan = Plan.objects.get(slug="connect")
    subscription.save()


def test_editor_changes_a_rule(editor):
    rule = _rule()
    editor.post(f"/alerts/{rule.pk}/", _form(kind="flow_failing", threshold="4",
                                             emails="team@example.com", enabled=""))
    rule.refresh_from_db()
    assert (rule.kind, rule.threshold, rule.emails, rule.enabled) == (
        "flow_failing", 4, ["team@example.com"], False)


def test_editor_disables_and_enables_a_rule(editor):
    rule = _rule()
    editor.post(f"/alerts/{rule.pk}/toggle/")
    rule.refresh_from_db()
    assert not rule.enabled
    editor.post(f"/alerts/{rule.pk}/toggle/")
    rule.refresh_from_db()
    assert rule.enabled


def test_delete_asks_first_then_removes_the_rule(editor):
    rule = _rule()
    assert "Delete rule" in _text(editor.get(f"/alerts/{rule.pk}/delete/"))
    assert AlertRule.objects.filter(pk=rule.pk).exists()
    editor.post(f"/alerts/{rule.pk}/delete/")
    assert not AlertRule.objects.filter(pk=rule.pk).exists()


def test_test_alert_is_emailed_to_the_rules_recipients(editor):
    rule = _rule(emails=["ops@example.com", "oncall@example.com"])
    response = editor.post(f"/alerts/{rule.pk}/test/", follow=True)
    assert "Test alert emailed to ops@example.com, oncall@example.com." in _text(response)
    assert mail.outbox[-1].to == ["ops@example.com", "oncall@example.com"]
    assert mail.outbox[-1].subject == (
        "[Clarity Connect] Alpha Retail: Open dead letters above a threshold")
    assert "Test alert sent by" in mail.outbox[-1].body
    event = AlertEvent.objects.get(rule=rule)
    assert event.delivered_email and not event.delivery_error


def test_test_alert_is_posted_to_the_webhook(editor, webhook_receiver):
    rule = _rule(emails=[], webhook_url=f"{webhook_receiver.url}/alerts")
    response = editor.post(f"/alerts/{rule.pk}/test/", follow=True)
    assert f"Test alert posted to {webhook_receiver.url}/alerts." in _text(response)
    [received] = webhook_receiver.wait_for(1)
    assert (received.method, received.path) == ("POST", "/alerts")
    body = received.json()
    assert (body["tenant"], body["kind"]) == ("alpha", "dead_letters")
    assert body["message"].startswith("Test alert sent by")
    assert "Webhook delivered" in _text(editor.get("/alerts/"))


def test_failed_test_webhook_reports_why_and_is_recorded(editor, webhook_receiver):
    webhook_receiver.respond_with(500)
    rule = _rule(webhook_url=f"{webhook_receiver.url}/alerts")
    page = _text(editor.post(f"/alerts/{rule.pk}/test/", follow=True))
    assert "The test alert could not be fully delivered: webhook: 500 Server Error" in page
    assert "It was emailed to ops@example.com." in page
    event = AlertEvent.objects.get(rule=rule)
    assert event.delivered_email and not event.delivered_webhook
    assert "Webhook not delivered" in _text(editor.get("/alerts/"))


def test_viewer_sees_rules_but_cannot_change_or_test_them(viewer):
    rule = _rule()
    page = _text(viewer.get("/alerts/"))
    assert "Only owners and admins can change alert rules." in page
    assert "Send a test alert" not in page
    assert viewer.get("/alerts/new/").status_code == 403
    assert viewer.post("/alerts/new/", _form(emails="x@example.com")).status_code == 403
    assert viewer.post(f"/alerts/{rule.pk}/", _form(emails="x@example.com")).status_code == 403
    assert viewer.post(f"/alerts/{rule.pk}/toggle/").status_code == 403
    assert viewer.post(f"/alerts/{rule.pk}/test/").status_code == 403
    assert viewer.post(f"/alerts/{rule.pk}/delete/").status_code == 403
    rule.refresh_from_db()
    assert rule.enabled and rule.threshold == 5
    assert not mail.outbox


def test_settings_hub_links_every_settings_page_and_names_the_tenant(viewer, tenant_a):
    page = _text(viewer.get("/settings/"))
    assert "Alpha Retail" in page
    assert f"<code>{tenant_a.get_primary_domain().domain}</code>" in page
    assert "Clarity Connect · Trial" in page
    for href in ('href="/alerts/"', 'href="/api-keys/"', 'href="/team/"', 'href="/billing/"'):
        assert href in page
