"""The portal's filters of the transaction log and the dead letters.

They extend the API's FilterSets (integrations.api.filters), so a filter means the same in the
portal, in the API and in a bulk operation's stored parameters: the portal adds day-based
ranges, free-text search and choices of pairs and flows by name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import django_filters
from django import forms
from django.db import connection as db
from django.db.models import Q, QuerySet

from billing.limits import can_view_logs_since
from integrations.api import filters as api_filters
from integrations.models import DeadLetter, Flow, IntegrationPair, Transaction

_NO_SUCH_FLOW = {"invalid_choice": "There is no such flow; choose one from the list."}
_NO_SUCH_PAIR = {"invalid_choice": "There is no such integration; choose one from the list."}
_DAY_HELP = "YYYY-MM-DD (UTC)."


def _day_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


class _DayRangeForm(forms.Form):
    """Dates come from date inputs, or typed by hand into the address: say which is wrong."""

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return data


class TransactionLogForm(_DayRangeForm):
    def clean_date_from(self) -> dt.date | None:
        day = self.cleaned_data.get("date_from")
        if day:
            decision = can_view_logs_since(tenant=db.tenant, since=_midnight(day))
            if not decision:
                raise forms.ValidationError(decision.reason)
        return day


def _flows() -> QuerySet[Flow]:
    return Flow.objects.select_related("pair").order_by("pair__name", "name")


class _PortalFilters(django_filters.FilterSet):
    """What both portal logs add to their API filters: a pair and a flow chosen by name, and
    a range of days on ``date_field``."""

    date_field = "created_at"

    pair = django_filters.ModelChoiceFilter(
        field_name="flow__pair", queryset=IntegrationPair.objects.order_by("name"),
        label="Integration", empty_label="All integrations", error_messages=_NO_SUCH_PAIR)
    flow = django_filters.ModelChoiceFilter(
        field_name="flow", queryset=_flows(), empty_label="All flows",
        error_messages=_NO_SUCH_FLOW)
    date_from = django_filters.DateFilter(method="_from", label="From", help_text=_DAY_HELP,
                                          widget=_day_input())
    date_to = django_filters.DateFilter(method="_to", label="To", help_text=_DAY_HELP,
                                        widget=_day_input())

    def _from(self, queryset: QuerySet[Any], name: str, value: dt.date) -> QuerySet[Any]:
        return queryset.filter(**{f"{self.date_field}__gte": _midnight(value)})

    def _to(self, queryset: QuerySet[Any], name: str, value: dt.date) -> QuerySet[Any]:
        return queryset.filter(**{f"{self.date_field}__lt":
                                  _midnight(value + dt.timedelta(days=1))})


class TransactionLogFilter(_PortalFilters, api_filters.TransactionFilter):
    date_field = "started_at"

    status = django_filters.ChoiceFilter(choices=Transaction.Status.choices,
                                         empty_label="Any status")
    q = django_filters.CharFilter(method="_search", label="Search",
                                  help_text="A source or target id, or words of the message.")

    class Meta(api_filters.TransactionFilter.Meta):
        form = TransactionLogForm
        fields = [*api_filters.TransactionFilter.Meta.fields, "date_from", "date_to", "q"]

    def _search(self, queryset: QuerySet[Transaction], name: str, value: str
                ) -> QuerySet[Transaction]:
        text = value.strip()
        if not text:
            return queryset
        return queryset.filter(Q(source_id=text) | Q(target_id=text)
                               | Q(message__icontains=text))


class DeadLetterLogFilter(_PortalFilters, api_filters.DeadLetterFilter):
    resolution = django_filters.ChoiceFilter(choices=DeadLetter.Resolution.choices,
                                             empty_label="Any")
    error_class = django_filters.CharFilter(
        label="Error class", widget=forms.TextInput(attrs={"list": "error-classes"}))
    external_id = django_filters.CharFilter(field_name="event__external_id", label="Record id",
                                            help_text="The source record's id.")

    class Meta(api_filters.DeadLetterFilter.Meta):
        form = _DayRangeForm
        fields = [*api_filters.DeadLetterFilter.Meta.fields, "date_from", "date_to"]


# The filters a bulk operation keeps, to find the same dead letters again in the worker.
DEAD_LETTER_FILTER_FIELDS = tuple(DeadLetterLogFilter.base_filters)


def dead_letter_filter_params(data: Mapping[str, Any]) -> dict[str, str]:
    """The dead-letter filters in ``data`` that are set, as plain strings (query or POST)."""
    return {name: str(data.get(name)) for name in DEAD_LETTER_FILTER_FIELDS
            if data.get(name) not in (None, "")}
