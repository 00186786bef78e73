"""Getting started: from two connections to a live pair, one step at a time.

Every step's tick is read from real rows (connections, their last test, pairs), never from
the session, so someone can leave halfway and find their place again, and a colleague sees
the same progress. The connection steps reuse the connection pages with a ``next`` address
that brings the browser back here, OAuth consent included.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from billing.limits import LimitExceeded
from integrations.catalog import SYSTEMS, SystemInfo
from integrations.connectors.registry import credential_fields
from integrations.forms import PairReviewForm
from integrations.models import Connection, Flow, IntegrationPair
from integrations.pair_templates import PairTemplate, template_get, template_list
from integrations.selectors import pair_allowances
from integrations.services.pairs import GoLive, pair_go_live

BRIGHTPEARL = Connection.System.BRIGHTPEARL
# Where a full plan sends people. A path, not reverse("billing"): the billing pages are
# another part of the portal and this page must not fail while they are deployed apart.
BILLING_PATH = "/billing/"


@dataclass
class Step:
    number: int
    title: str
    done: bool
    current: bool = False


@dataclass
class ConnectOption:
    auth_type: str
    label: str
    oauth: bool


@dataclass
class PartnerChoice:
    info: SystemInfo
    options: list[ConnectOption]
    templates: list[PairTemplate]


@dataclass
class Progress:
    wizard_url: str
    brightpearl: Connection | None
    brightpearl_options: list[ConnectOption]
    partners: list[PartnerChoice]
    partner: PartnerChoice | None
    partner_connection: Connection | None
    pairs: list[IntegrationPair]
    steps: list[Step] = field(default_factory=list)


def signed_in(connection: Connection | None) -> bool:
    """Whether the connection has what it needs to call the system (OAuth: a token)."""
    if connection is None:
        return False
    return connection.auth_type != Connection.AuthType.OAUTH2_CODE or bool(connection.token)


def best_connection(system: str) -> Connection | None:
    """The connection the wizard works with: tested OK first, then signed in, then newest."""
    candidates = list(Connection.objects.filter(system=system))
    if not candidates:
        return None
    return max(candidates, key=lambda c: (c.health == Connection.Health.OK, signed_in(c),
                                          c.updated_at))


def connect_options(system: str) -> list[ConnectOption]:
    info, fields = SYSTEMS[system], credential_fields(system)
    options = []
    for auth_type in info.auth_types:
        if auth_type not in fields:
            continue
        label = info.auth_labels.get(auth_type) or Connection.AuthType(auth_type).label
        oauth = auth_type == Connection.AuthType.OAUTH2_CODE
        if oauth and auth_type not in info.auth_labels:
            label = f"Sign in with {info.label}"
        options.append(ConnectOption(auth_type=auth_type, label=label, oauth=oauth))
    return options


def _partners() -> list[PartnerChoice]:
    by_system: dict[str, list[PairTemplate]] = {}
    for template in template_list():
        by_system.setdefault(template.partner, []).append(template)
    return [PartnerChoice(info=SYSTEMS[system], options=connect_options(system),
                          templates=templates) for system, templates in by_system.items()]


def progress(*, partner_system: str | None = None) -> Progress:
    partners = _partners()
    known = {choice.info.system: choice for choice in partners}
    if partner_system not in known:
        # Resuming: the partner of the newest pair, else of the newest partner connection.
        latest_pair = IntegrationPair.objects.select_related("partner").order_by(
            "-created_at").first()
        latest = Connection.objects.exclude(system=BRIGHTPEARL).order_by("-created_at").first()
        partner_system = (latest_pair.partner.system if latest_pair
                          else latest.system if latest else None)
    partner = known.get(partner_system or "")
    url = reverse("onboarding")
    if partner:
        url += "?" + urlencode({"partner": partner.info.system})
    brightpearl = best_connection(BRIGHTPEARL)
    partner_connection = best_connection(partner.info.system) if partner else None
    pairs = list(IntegrationPair.objects.filter(partner__system=partner.info.system)
                 .order_by("name")) if partner else []
    tested = all(c is not None and c.health == Connection.Health.OK
                 for c in (brightpearl, partner_connection))
    state = Progress(wizard_url=url, brightpearl=brightpearl,
                     brightpearl_options=connect_options(BRIGHTPEARL), partners=partners,
                     partner=partner, partner_connection=partner_connection, pairs=pairs)
    live = bool(pairs)
    state.steps = [
        Step(1, "Connect Brightpearl", signed_in(brightpearl)),
        Step(2, f"Connect {partner.info.label}" if partner else "Connect your other system",
             signed_in(partner_connection)),
        Step(3, "Test both connections", tested),
        Step(4, "Choose a pair template", live),
        Step(5, "Review flows and environment", live),
        Step(6, "Go live", live),
    ]
    _mark_current(state.steps)
    return state


def _mark_current(steps: list[Step], number: int | None = None) -> None:
    pending = [step for step in steps if not step.done]
    current = number or (pending[0].number if pending else None)
    for step in steps:
        step.current = step.number == current


@require_http_methods(["GET"])
@login_required
def onboarding(request: HttpRequest) -> HttpResponse:
    state = progress(partner_system=request.GET.get("partner"))
    returned = None
    if request.GET.get("connection", "").isdigit():
        returned = Connection.objects.filter(pk=request.GET["connection"]).first()
    return render(request, "portal/onboarding/wizard.html", {
        "state": state, "steps": state.steps, "returned": returned,
        "oauth_error": request.GET.get("oauth_error", ""),
        "connected": request.GET.get("connected") == "1",
    })


def _unused_name(base: str) -> str:
    taken = set(IntegrationPair.objects.filter(name__startswith=base)
                .values_list("name", flat=True))
    name, n = base, 2
    while name in taken:
        name, n = f"{base} {n}", n + 1
    return name


def _flow_rows(template: PairTemplate, form: PairReviewForm) -> list[dict[str, Any]]:
    if form.is_bound and form.data.get("flows_reviewed") == "1":
        ticked = set(form.data.getlist("flows"))
    else:
        ticked = {f.key for f in template.flows if f.enabled_by_default}
    rows = []
    for flow in template.flows:
        trigger = Flow.Trigger(flow.trigger).label
        if flow.poll_interval_s:
            minutes, seconds = divmod(flow.poll_interval_s, 60)
            trigger += f", every {minutes} min" if not seconds else \
                f", every {flow.poll_interval_s} s"
        rows.append({
            "key": flow.key, "name": flow.name, "ticked": flow.key in ticked,
            "entity": flow.entity.replace("_", " "),
            "direction": f"{SYSTEMS[flow.source].label} → {SYSTEMS[flow.target].label}",
            "trigger": trigger, "events": flow.events, "description": flow.description,
            "default": flow.enabled_by_default,
        })
    return rows


def _report(request: HttpRequest, outcome: GoLive) -> None:
    pair = outcome.pair
    if outcome.left_off:
        messages.success(request, f"{pair.name} is live with {len(outcome.enabled)} of "
                                  f"{len(outcome.enabled) + len(outcome.left_off)} flows; left "
                                  f"off: {', '.join(outcome.left_off)}.")
    else:
        messages.success(request, f"{pair.name} is live with {len(outcome.enabled)} flows.")
    registered = outcome.webhooks.registered
    if registered:
        noun = "event" if len(registered) == 1 else "events"
        messages.success(request, f"Subscribed to {len(registered)} webhook {noun}: "
                                  f"{', '.join(registered)}.")
    for event, reason in outcome.webhooks.failed.items():
        messages.error(request, f"Could not subscribe to {event} ({reason.rstrip('.')}); "
                                "retry with “Subscribe to webhooks” on this page.")


def review(request: HttpRequest, template: PairTemplate, *, wizard: bool) -> HttpResponse:
    """Review a template's flows and go live: the wizard's steps 5 and 6, and "New
    integration". Anyone may look; only editors may create (and only by POST)."""
    if request.method == "POST" and not request.user.can_edit:
        raise PermissionDenied("Viewers can only look; ask an owner or admin to go live.")
    initial: dict[str, Any] = {"name": _unused_name(template.name)}
    for name, system in (("brightpearl", BRIGHTPEARL), ("partner", template.partner)):
        best = best_connection(system)
        if best is not None:
            initial[name] = best.pk
    form = PairReviewForm(request.POST or None, template=template, initial=initial)
    limit_reached = False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            outcome = pair_go_live(
                name=data["name"], template_key=template.key, brightpearl=data["brightpearl"],
                partner=data["partner"], environment=data["environment"],
                enabled_flows=data["flows"], created_by=request.user.email)
        except LimitExceeded as exc:
            form.add_error(None, exc.reason)
            limit_reached = True
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
            for name, problems in errors.items():
                form.add_error(name if name in form.fields else None, problems)
        else:
            _report(request, outcome)
            return redirect("pair_detail", pk=outcome.pair.pk)
    context: dict[str, Any] = {
        "form": form, "template": template, "flows": _flow_rows(template, form),
        "allowances": pair_allowances(), "limit_reached": limit_reached,
        "billing_path": BILLING_PATH, "wizard": wizard,
        "partner_info": SYSTEMS[template.partner],
        "has_brightpearl": Connection.objects.filter(system=BRIGHTPEARL).exists(),
        "has_partner": Connection.objects.filter(system=template.partner).exists(),
    }
    if wizard:
        state = progress(partner_system=template.partner)
        state.steps[3].done = True
        _mark_current(state.steps, 5)
        context.update(state=state, steps=state.steps)
        return render(request, "portal/onboarding/review.html", context)
    return render(request, "portal/pairs/form.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def onboarding_review(request: HttpRequest, template_key: str) -> HttpResponse:
    try:
        template = template_get(template_key)
    except LookupError:
        raise Http404(f"No pair template {template_key!r}.") from None
    return review(request, template, wizard=True)
