"""Query parameters of the list endpoints (django-filter), documented in the schema."""

from __future__ import annotations

import datetime as dt

import django_filters
from django.core.exceptions import ValidationError
from django.db import connection as db
from django.db.models import Q, QuerySet
from django_filters.fields import IsoDateTimeField

from billing.limits import can_view_logs_since, ensure
from integrations.models import Connection, DeadLetter, Flow, IntegrationPair, Transaction


class _UtcDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time, as UTC: PostgreSQL refuses offsets past ±15:59 (ISO allows
    ±23:59), and a date-time that cannot be expressed in UTC is an input error, not a 500."""

    def to_python(self, value: object) -> dt.datetime | None:
        parsed = super().to_python(value)
        if parsed is None:
            return None
        try:
            return parsed.astimezone(dt.UTC) if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
        except (OverflowError, ValueError) as exc:
            raise ValidationError("Enter a date-time that exists in UTC.",
                                  code="invalid") from exc


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = _UtcDateTimeField


class FlowFilter(django_filters.FilterSet):
    pair = django_filters.NumberFilter(field_name="pair_id", help_text="The pair's id.")
    entity = django_filters.CharFilter(help_text="e.g. sales_order, product, customer.")
    enabled = django_filters.BooleanFilter()
    trigger = django_filters.ChoiceFilter(choices=Flow.Trigger.choices)

    class Meta:
        model = Flow
        fields = ["pair", "entity", "enabled", "trigger"]


class TransactionFilter(django_filters.FilterSet):
    flow = django_filters.NumberFilter(field_name="flow_id", help_text="The flow's id.")
    pair = django_filters.NumberFilter(field_name="flow__pair_id", help_text="The pair's id.")
    status = django_filters.ChoiceFilter(choices=Transaction.Status.choices)
    entity = django_filters.CharFilter(field_name="flow__entity",
                                       help_text="The flow's entity, e.g. sales_order.")
    external_id = django_filters.CharFilter(
        method="_external_id", help_text="The record's id in either system (source or target).")
    started_after = UtcDateTimeFilter(
        method="_started_after",
        help_text="ISO 8601 date-time; no earlier than the plan's log retention allows.")
    started_before = UtcDateTimeFilter(field_name="started_at", lookup_expr="lt",
                                       help_text="ISO 8601 date-time.")

    class Meta:
        model = Transaction
        fields = ["flow", "pair", "status", "entity", "external_id", "started_after",
                  "started_before"]

    def _external_id(self, queryset: QuerySet[Transaction], name: str, value: str
                     ) -> QuerySet[Transaction]:
        return queryset.filter(Q(source_id=value) | Q(target_id=value))

    def _started_after(self, queryset: QuerySet[Transaction], name: str, value: dt.datetime
                       ) -> QuerySet[Transaction]:
        # Older entries may still exist until the periodic purge: asking for them is refused.
        ensure(can_view_logs_since(tenant=db.tenant, since=value))
        return queryset.filter(started_at__gte=value)


class DeadLetterFilter(django_filters.FilterSet):
    flow = django_filters.NumberFilter(field_name="flow_id", help_text="The flow's id.")
    pair = django_filters.NumberFilter(field_name="flow__pair_id", help_text="The pair's id.")
    resolution = django_filters.ChoiceFilter(choices=DeadLetter.Resolution.choices,
                                             help_text="open (default for bulk replay), "
                                                       "replayed or discarded.")
    error_class = django_filters.CharFilter(help_text="e.g. MappingError, ValidationFailed.")
    external_id = django_filters.CharFilter(field_name="event__external_id",
                                            help_text="The source record's id.")
    created_after = UtcDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UtcDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = DeadLetter
        fields = ["flow", "pair", "resolution", "error_class", "external_id", "created_after",
                  "created_before"]


class ConnectionFilter(django_filters.FilterSet):
    system = django_filters.ChoiceFilter(choices=Connection.System.choices)
    environment = django_filters.ChoiceFilter(choices=Connection.Environment.choices)

    class Meta:
        model = Connection
        fields = ["system", "environment"]


class PairFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=IntegrationPair.Status.choices)
    environment = django_filters.ChoiceFilter(choices=Connection.Environment.choices)

    class Meta:
        model = IntegrationPair
        fields = ["status", "environment"]
