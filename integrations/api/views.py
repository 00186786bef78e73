"""The API's views: thin, over the same services the portal and admin use, so plan limits
and every rule apply alike."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.db import connection as db
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from billing.limits import tenant_plan, usage_status
from billing.services import month_start
from integrations.api import filters, serializers
from integrations.mapping.suggest import UnknownTarget, document_suggestions
from integrations.models import Connection, DeadLetter, Flow, IntegrationPair, Transaction
from integrations.selectors import circuit_state, flows_health, pairs_count
from integrations.services.connections import connection_test
from integrations.services.dead_letters import dead_letters_discard, dead_letters_replay
from integrations.services.pairs import flow_run_now, pair_set_status
from integrations.services.polling import flow_backfill
from integrations.suggestion_selectors import suggestion_memory_get


class _Base(viewsets.ReadOnlyModelViewSet):
    # Who may change what (read keys and portal viewers only read) is the default permission
    # classes' business: accounts.api_auth.ApiKeyScope. Filter backends are the defaults too
    # (django-filter, and `?ordering=<field>` or `-<field>`: the cursor pages in that order).
    # Only fields that are never null: a cursor cannot stand on a null.
    ordering_fields = ["id"]
    ordering = ["-id"]


@extend_schema(tags=["pairs"])
class PairViewSet(_Base):
    """Integration pairs: a Brightpearl connection and a partner system's."""

    queryset = IntegrationPair.objects.prefetch_related("flows")
    serializer_class = serializers.PairSerializer
    filterset_class = filters.PairFilter
    ordering_fields = ["id", "name", "created_at"]

    def _set(self, request: Request, status: str) -> Response:
        pair = pair_set_status(pair=self.get_object(), status=status)
        return Response(serializers.PairSerializer(pair).data)

    @extend_schema(request=None, responses=serializers.PairSerializer,
                   summary="Pause a pair: events are still received, processing waits.")
    @action(detail=True, methods=["post"])
    def pause(self, request: Request, pk: str | None = None) -> Response:
        return self._set(request, IntegrationPair.Status.PAUSED)

    @extend_schema(request=None, responses=serializers.PairSerializer,
                   summary="Resume a pair: held events are processed.")
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: str | None = None) -> Response:
        return self._set(request, IntegrationPair.Status.ACTIVE)


@extend_schema(tags=["flows"])
class FlowViewSet(_Base):
    """Flows: one entity in one direction of a pair."""

    queryset = Flow.objects.select_related("mapping__current_version")
    serializer_class = serializers.FlowSerializer
    filterset_class = filters.FlowFilter
    ordering_fields = ["id", "name", "entity"]

    @extend_schema(request=None, responses={202: serializers.ActionSerializer},
                   summary="Poll the flow's source now (polled and scheduled flows).")
    @action(detail=True, methods=["post"])
    def run(self, request: Request, pk: str | None = None) -> Response:
        flow = self.get_object()
        flow_run_now(flow=flow)
        return Response({"detail": f"{flow.name}: checking for changes now."}, status=202)

    @extend_schema(request=serializers.BackfillSerializer,
                   responses={202: serializers.FlowSerializer},
                   summary="Sync everything changed since a date; progress is in `backfill`.",
                   examples=[OpenApiExample("From 1 November", value={"since": "2026-11-01"},
                                            request_only=True)])
    @action(detail=True, methods=["post"])
    def backfill(self, request: Request, pk: str | None = None) -> Response:
        flow = self.get_object()
        form = serializers.BackfillSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        since = dt.datetime.combine(form.validated_data["since"], dt.time(), tzinfo=dt.UTC)
        if since > timezone.now():
            raise ValidationError({"since": ["The date is in the future."]})
        flow_backfill(flow=flow, since=since)
        flow.refresh_from_db()
        return Response(serializers.FlowSerializer(flow).data, status=202)

    @extend_schema(
        parameters=[
            OpenApiParameter("target", str, required=True,
                             description="A target field path: `reference`, "
                                         "`parties.customer.contactId`, `rows[].productId`."),
            OpenApiParameter("sample", str, required=False,
                             description="A source record as JSON, for sample values; "
                                         "without it, the flow's last transaction's."),
        ],
        responses={200: serializers.MappingSuggestionsSerializer},
        summary="Rank source fields for one target field, each with the rule to map it by.")
    @action(detail=True, methods=["get"], url_path="mapping/suggestions")
    def mapping_suggestions(self, request: Request, pk: str | None = None) -> Response:
        flow = self.get_object()
        target = request.query_params.get("target", "").strip()
        if not target:
            raise ValidationError({"target": ["Give the target field's path, e.g. "
                                              "?target=reference."]})
        sample, origin = _suggestion_sample(flow, request.query_params.get("sample"))
        try:
            found = document_suggestions(flow.mapping.current_document or {}, target,
                                         sample=sample, record=(flow.entity,),
                                         memory=suggestion_memory_get())
        except UnknownTarget as exc:
            raise ValidationError({"target": [str(exc)]}) from None
        return Response({"target": target, "sample": origin, "suggestions": [
            {"path": s.path, "score": s.score, "reason": s.reason, "rule": s.rule}
            for s in found]})


def _suggestion_sample(flow: Flow, given: str | None) -> tuple[Any, str]:
    """The source record whose values the suggestions read: the one given, else the flow's
    last transaction's, else none (the source schema's fields only)."""
    if given:
        try:
            sample = json.loads(given)
        except ValueError as exc:
            raise ValidationError({"sample": [f"Not JSON: {exc}."]}) from None
        if not isinstance(sample, dict):
            raise ValidationError({"sample": ["Give a source record as a JSON object."]})
        return sample, "given"
    last = (Transaction.objects.filter(flow=flow, source_record__isnull=False)
            .order_by("-started_at").values_list("source_record", flat=True).first())
    return (last, "last transaction") if isinstance(last, dict) else (None, "none")


@extend_schema(tags=["transactions"])
class TransactionViewSet(_Base):
    """The transaction log: one row per attempt to sync a record."""

    queryset = Transaction.objects.select_related("flow", "event")
    serializer_class = serializers.TransactionSerializer
    filterset_class = filters.TransactionFilter
    ordering_fields = ["id", "started_at", "duration_ms"]

    def get_serializer_class(self) -> type:
        if self.action == "retrieve":
            return serializers.TransactionDetailSerializer
        return serializers.TransactionSerializer


_DEAD_LETTER_FILTER_EXAMPLE = OpenApiExample(
    "Every open dead letter of flow 3 about a missing SKU",
    value={"flow": 3, "error_class": "MissingReference"}, request_only=True)


@extend_schema(tags=["dead letters"])
class DeadLetterViewSet(_Base):
    """Events whose error is permanent or whose retries ran out."""

    queryset = DeadLetter.objects.select_related("flow", "event")
    filterset_class = filters.DeadLetterFilter
    ordering_fields = ["id", "created_at", "attempts"]

    def get_serializer_class(self) -> type:
        if self.action == "retrieve":
            return serializers.DeadLetterDetailSerializer
        return serializers.DeadLetterSerializer

    def _matching(self, request: Request) -> QuerySet[DeadLetter]:
        data = request.data if hasattr(request.data, "keys") else None
        if data is None:
            raise ValidationError({"non_field_errors": ["The body must be a JSON object of "
                                                        "filters."]})
        unknown = set(data) - set(serializers.DeadLetterMatchSerializer().fields)
        if unknown:
            raise ValidationError({name: ["Not a filter of dead letters."]
                                   for name in sorted(unknown)})
        found = filters.DeadLetterFilter(data=data, queryset=DeadLetter.objects.all())
        if not found.is_valid():
            raise ValidationError(found.errors)
        return found.qs

    @extend_schema(request=None, responses=serializers.CountSerializer,
                   summary="Replay one dead letter with the flow's current mapping.")
    @action(detail=True, methods=["post"])
    def replay(self, request: Request, pk: str | None = None) -> Response:
        letter = self.get_object()
        count = dead_letters_replay(letters=DeadLetter.objects.filter(pk=letter.pk),
                                    by=request.user.email)
        return Response({"count": count})

    @extend_schema(request=None, responses=serializers.CountSerializer,
                   summary="Discard one dead letter (it is kept, marked discarded).")
    @action(detail=True, methods=["post"])
    def discard(self, request: Request, pk: str | None = None) -> Response:
        letter = self.get_object()
        count = dead_letters_discard(letters=[letter], by=request.user.email)
        return Response({"count": count})

    @extend_schema(request=serializers.DeadLetterMatchSerializer,
                   responses=serializers.CountSerializer, examples=[_DEAD_LETTER_FILTER_EXAMPLE],
                   operation_id="dead_letters_replay_matching",
                   summary="Replay every open dead letter matching the filter in the body "
                           "(the list's filters; an empty body replays all). Idempotent.")
    @action(detail=False, methods=["post"], url_path="replay")
    def replay_matching(self, request: Request) -> Response:
        return Response({"count": dead_letters_replay(letters=self._matching(request),
                                                      by=request.user.email)})

    @extend_schema(request=serializers.DeadLetterMatchSerializer,
                   responses=serializers.CountSerializer, examples=[_DEAD_LETTER_FILTER_EXAMPLE],
                   operation_id="dead_letters_discard_matching",
                   summary="Discard every open dead letter matching the filter in the body.")
    @action(detail=False, methods=["post"], url_path="discard")
    def discard_matching(self, request: Request) -> Response:
        return Response({"count": dead_letters_discard(letters=self._matching(request),
                                                       by=request.user.email)})


@extend_schema(tags=["connections"])
class ConnectionViewSet(_Base):
    """Connections to external systems. Credentials and webhook secrets are never shown."""

    queryset = Connection.objects.all()
    serializer_class = serializers.ConnectionSerializer
    filterset_class = filters.ConnectionFilter
    ordering_fields = ["id", "name", "system"]

    @extend_schema(responses=serializers.ConnectionSerializer,
                   summary="Health as last checked, and the circuit state.")
    @action(detail=True, methods=["get"])
    def health(self, request: Request, pk: str | None = None) -> Response:
        return Response(serializers.ConnectionSerializer(self.get_object()).data)

    @extend_schema(request=None, responses=serializers.ConnectionTestSerializer,
                   summary="Make one cheap authenticated call now and record the outcome.")
    @action(detail=True, methods=["post"])
    def test(self, request: Request, pk: str | None = None) -> Response:
        connection = self.get_object()
        result = connection_test(connection=connection)
        return Response({"ok": result.ok, "message": result.message,
                         "connection": serializers.ConnectionSerializer(connection).data})


def _usage() -> dict[str, Any]:
    tenant = db.tenant
    usage = usage_status(tenant=tenant)
    plan = tenant_plan(tenant=tenant)
    return {"plan": plan.name if plan else None, "period_start": month_start(timezone.now()),
            "transactions_used": usage.used, "transactions_allowance": usage.allowance,
            "level": usage.level,
            "production_pairs": pairs_count(production=True),
            "production_pairs_allowed": plan.production_pair_limit if plan else None}


@extend_schema(tags=["account"])
class UsageView(APIView):
    """This month's usage against the plan."""

    @extend_schema(responses=serializers.UsageSerializer)
    def get(self, request: Request) -> Response:
        return Response(serializers.UsageSerializer(_usage()).data)


@extend_schema(tags=["account"])
class StatusView(APIView):
    """Per pair and flow: last success, error rate, backlog, open dead letters, circuits."""

    @extend_schema(responses=serializers.StatusSerializer, examples=[OpenApiExample(
        "One shop, its order flow behind by three events",
        response_only=True, value={
            "tenant": "acme", "status": "active",
            "usage": {"plan": "Connect", "period_start": "2026-12-01",
                      "transactions_used": 8120, "transactions_allowance": 10000,
                      "level": "warning", "production_pairs": 1,
                      "production_pairs_allowed": 1},
            "pairs": [{"id": 1, "name": "Web shop", "status": "active",
                       "environment": "production",
                       "circuits": {"brightpearl": "closed", "bigcommerce": "closed"},
                       "flows": [{"id": 3, "key": "sales-order-bc-to-bp",
                                  "name": "Orders: BigCommerce → Brightpearl", "enabled": True,
                                  "last_success_at": "2026-12-03T10:15:02Z",
                                  "error_rate_24h": 0.012, "attempts_24h": 412, "backlog": 3,
                                  "open_dead_letters": 2}]}]})])
    def get(self, request: Request) -> Response:
        now = timezone.now()
        pairs = list(IntegrationPair.objects.select_related("brightpearl", "partner")
                     .prefetch_related(Prefetch("flows", Flow.objects.order_by("pk")))
                     .order_by("pk"))
        health = flows_health(
            flow_ids=[flow.pk for pair in pairs for flow in pair.flows.all()], now=now)
        rows = [{"id": pair.pk, "name": pair.name, "status": pair.status,
                 "environment": pair.environment,
                 "circuits": {c.system: circuit_state(c, now=now)
                              for c in (pair.brightpearl, pair.partner)},
                 "flows": [serializers.flow_health_row(flow, health[flow.pk])
                           for flow in pair.flows.all()]}
                for pair in pairs]
        tenant = db.tenant
        return Response(serializers.StatusSerializer({
            "tenant": tenant.slug, "status": tenant.status, "usage": _usage(), "pairs": rows,
        }).data)


