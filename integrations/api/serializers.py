"""What the API shows of each resource. Read-only, except the inputs of actions; never a
credential or webhook secret."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from integrations.models import Connection, DeadLetter, Flow, IntegrationPair, Transaction
from integrations.redaction import redact
from integrations.selectors import FlowHealth, circuit_state
from integrations.services.dead_letters import dead_letter_hints, flow_hint_facts

# Records are any JSON a system sent or we wrote (an object, and null when there was none).
_NULLABLE_OBJECT = {"nullable": True, "description": "Any JSON value; secrets redacted."}


@extend_schema_field(_NULLABLE_OBJECT)
class RedactedJSONField(serializers.Field):
    """A stored record as JSON, with secrets replaced (``integrations.redaction``)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value: Any) -> Any:
        return redact(value)


class ConnectionSerializer(serializers.ModelSerializer):
    system_name = serializers.CharField(source="get_system_display", read_only=True)
    circuit = serializers.SerializerMethodField(help_text="open: calls are held back.")

    class Meta:
        model = Connection
        fields = ["id", "name", "system", "system_name", "environment", "base_url", "account",
                  "auth_type", "health", "last_checked_at", "last_success_at", "last_error",
                  "circuit", "circuit_open_until", "consecutive_failures", "created_at",
                  "updated_at"]
        read_only_fields = fields

    def get_circuit(self, connection: Connection) -> str:
        return circuit_state(connection)


class ConnectionTestSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    message = serializers.CharField()
    connection = ConnectionSerializer()


class FlowSerializer(serializers.ModelSerializer):
    mapping_version = serializers.SerializerMethodField()
    backfill = serializers.SerializerMethodField(
        help_text="The last backfill: since, started_at, recorded, done, statuses.")

    class Meta:
        model = Flow
        fields = ["id", "pair", "key", "name", "entity", "source_system", "target_system",
                  "trigger", "events", "poll_interval_s", "enabled", "mapping",
                  "mapping_version", "conflict_rule", "quality", "last_polled_at",
                  "backfill", "created_at", "updated_at"]
        read_only_fields = fields

    def get_mapping_version(self, flow: Flow) -> int | None:
        version = flow.mapping.current_version
        return version.number if version else None

    @extend_schema_field({"type": "object", "nullable": True, "additionalProperties": {}})
    def get_backfill(self, flow: Flow) -> dict[str, Any] | None:
        from integrations.services.polling import backfill_progress

        return backfill_progress(flow=flow)


class PairSerializer(serializers.ModelSerializer):
    flows = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = IntegrationPair
        fields = ["id", "name", "template_key", "environment", "status", "brightpearl",
                  "partner", "flows", "created_at", "updated_at"]
        read_only_fields = fields


class TransactionSerializer(serializers.ModelSerializer):
    pair = serializers.IntegerField(source="flow.pair_id", read_only=True)
    entity = serializers.CharField(source="flow.entity", read_only=True)
    external_id = serializers.CharField(source="event.external_id", read_only=True,
                                        default=None)

    class Meta:
        model = Transaction
        fields = ["id", "flow", "pair", "entity", "event", "external_id", "source_id",
                  "target_id", "status", "action", "attempt", "error_class", "message",
                  "started_at", "duration_ms"]
        read_only_fields = fields


class TransactionDetailSerializer(TransactionSerializer):
    source_record = RedactedJSONField()
    target_record = RedactedJSONField()

    class Meta(TransactionSerializer.Meta):
        fields = [*TransactionSerializer.Meta.fields, "source_record", "target_record",
                  "quality"]
        read_only_fields = fields


class HintActionSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="add_lookup_entry, sync_missing_record, "
                                           "change_date_format, edit_mapping, reconnect, "
                                           "replay, approve or discard.")
    params = serializers.DictField(help_text="What the action needs: the lookup table and "
                                             "key, the record's flow and id, the mapping "
                                             "field and the date format that reads it...")


class HintSerializer(serializers.Serializer):
    text = serializers.CharField(help_text="The suggested fix in plain words.")
    field = serializers.CharField(help_text="The target field it is about (may be empty).")
    action = HintActionSerializer(allow_null=True, help_text="The one-click fix, if any.")


class DeadLetterSerializer(serializers.ModelSerializer):
    pair = serializers.IntegerField(source="flow.pair_id", read_only=True)
    external_id = serializers.CharField(source="event.external_id", read_only=True)
    event_type = serializers.CharField(source="event.event_type", read_only=True)
    hints = serializers.SerializerMethodField(help_text="What to do about it, best first.")

    class Meta:
        model = DeadLetter
        fields = ["id", "flow", "pair", "event", "event_type", "external_id", "error_class",
                  "reason", "attempts", "resolution", "created_at", "resolved_at",
                  "resolved_by", "hints"]
        read_only_fields = fields

    @extend_schema_field(HintSerializer(many=True))
    def get_hints(self, letter: DeadLetter) -> list[dict[str, Any]]:
        # One read of each flow's pair per page, not one per dead letter.
        facts = self.context.setdefault("_hint_facts", {})
        if letter.flow_id not in facts:
            facts[letter.flow_id] = flow_hint_facts(flow=letter.flow)
        return [h.as_json() for h in dead_letter_hints(letter=letter,
                                                       facts=facts[letter.flow_id])]


class DeadLetterDetailSerializer(DeadLetterSerializer):
    problems = serializers.JSONField(read_only=True)
    source_record = RedactedJSONField()
    mapped_record = RedactedJSONField()

    class Meta(DeadLetterSerializer.Meta):
        fields = [*DeadLetterSerializer.Meta.fields, "problems", "source_record",
                  "mapped_record"]
        read_only_fields = fields


class BackfillSerializer(serializers.Serializer):
    since = serializers.DateField(help_text="Sync every source record changed since this day "
                                            "(YYYY-MM-DD, UTC).")


class DeadLetterMatchSerializer(serializers.Serializer):
    """The body of a bulk replay or discard: the list's filters; none matches every one."""

    flow = serializers.IntegerField(required=False, help_text="The flow's id.")
    pair = serializers.IntegerField(required=False, help_text="The pair's id.")
    resolution = serializers.ChoiceField(choices=DeadLetter.Resolution.choices, required=False)
    error_class = serializers.CharField(required=False)
    external_id = serializers.CharField(required=False, help_text="The source record's id.")
    created_after = serializers.DateTimeField(required=False)
    created_before = serializers.DateTimeField(required=False)


class CountSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="How many dead letters this changed.")


class ActionSerializer(serializers.Serializer):
    detail = serializers.CharField()


class FlowHealthSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    key = serializers.CharField()
    name = serializers.CharField()
    enabled = serializers.BooleanField()
    last_success_at = serializers.DateTimeField(allow_null=True)
    error_rate_24h = serializers.FloatField(allow_null=True, help_text=(
        "Failed or retried attempts over all attempts in the last 24 h; null without any."))
    attempts_24h = serializers.IntegerField()
    backlog = serializers.IntegerField(help_text="Events waiting, being processed or retrying.")
    open_dead_letters = serializers.IntegerField()


class PairHealthSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    status = serializers.CharField()
    environment = serializers.CharField()
    circuits = serializers.DictField(child=serializers.CharField(),
                                     help_text="Per system of the pair: open or closed.")
    flows = FlowHealthSerializer(many=True)


class UsageSerializer(serializers.Serializer):
    plan = serializers.CharField(allow_null=True)
    period_start = serializers.DateField()
    transactions_used = serializers.IntegerField()
    transactions_allowance = serializers.IntegerField(allow_null=True,
                                                      help_text="null: unlimited.")
    level = serializers.ChoiceField(choices=["ok", "warning", "over"], help_text=(
        "warning from 80 %; over past 100 %: syncs go on (fair use), Clarity gets in touch."))
    production_pairs = serializers.IntegerField()
    production_pairs_allowed = serializers.IntegerField(allow_null=True)


class StatusSerializer(serializers.Serializer):
    tenant = serializers.CharField()
    status = serializers.CharField()
    usage = UsageSerializer()
    pairs = PairHealthSerializer(many=True)


def flow_health_row(flow: Flow, health: FlowHealth) -> dict[str, Any]:
    return {"id": flow.pk, "key": flow.key, "name": flow.name, "enabled": flow.enabled,
            "last_success_at": health.last_success_at, "error_rate_24h": health.error_rate_24h,
            "attempts_24h": health.attempts_24h, "backlog": health.backlog,
            "open_dead_letters": health.open_dead_letters}


class MappingSuggestionSerializer(serializers.Serializer):
    path = serializers.CharField(help_text="The source path suggested (`parties.customer."
                                           "contactId`; `$root.…` reads the record from a line).")
    score = serializers.FloatField(help_text="0–1: name, type and sample value together.")
    reason = serializers.CharField(help_text="Why, in a few words.")
    rule = serializers.JSONField(help_text="The rule to put at the target field: the path with "
                                           "its likely transform (a date format, to_int, a "
                                           "lookup, a concat), as the mapping engine reads it.")


class MappingSuggestionsSerializer(serializers.Serializer):
    target = serializers.CharField(help_text="The target field asked about.")
    sample = serializers.CharField(help_text="Where the sample values came from: `given`, "
                                             "`last transaction` or `none` (schema only).")
    suggestions = MappingSuggestionSerializer(many=True)
