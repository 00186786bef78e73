"""The product's data, in each tenant's schema."""

from __future__ import annotations

import secrets
from typing import Any

from django.db import models

from integrations import crypto
from integrations.fields import EncryptedJSONField


def _new_webhook_secret() -> str:
    return crypto.encrypt_text(secrets.token_urlsafe(32))


class Connection(models.Model):
    """One account in one external system, with its credentials encrypted at rest."""

    class System(models.TextChoices):
        BRIGHTPEARL = "brightpearl", "Brightpearl"
        INFOR = "infor", "Infor (ION API / M3)"
        SYSPRO = "syspro", "SYSPRO"
        SALESFORCE = "salesforce", "Salesforce"
        BIGCOMMERCE = "bigcommerce", "BigCommerce"
        DYNAMICS_GP = "dynamics_gp", "Microsoft Dynamics GP"

    class Environment(models.TextChoices):
        SANDBOX = "sandbox", "Sandbox"
        PRODUCTION = "production", "Production"

    class AuthType(models.TextChoices):
        OAUTH2_CODE = "oauth2_code", "OAuth 2.0 (authorization code)"
        OAUTH2_CLIENT_CREDENTIALS = "oauth2_client_credentials", "OAuth 2.0 (client credentials)"
        OAUTH2_PASSWORD = "oauth2_password", "OAuth 2.0 (ION API service account)"
        PRIVATE_APP = "private_app", "Private app token"
        API_TOKEN = "api_token", "API token"
        SESSION = "session", "Operator logon (session)"
        BASIC = "basic", "User name and password"

    class Health(models.TextChoices):
        UNKNOWN = "unknown", "Not checked yet"
        OK = "ok", "Connected"
        FAILING = "failing", "Failing"

    name = models.CharField(max_length=120)
    system = models.CharField(max_length=20, choices=System.choices)
    environment = models.CharField(max_length=12, choices=Environment.choices,
                                   default=Environment.SANDBOX)
    base_url = models.URLField(max_length=300, help_text="The system's API base URL.")
    account = models.CharField(
        max_length=120, blank=True,
        help_text="Account code, store hash, org id, ION tenant or company.",
    )
    settings = models.JSONField(default=dict, blank=True,
                                help_text="Non-secret options, e.g. API version or warehouse.")
    auth_type = models.CharField(max_length=32, choices=AuthType.choices)
    credentials = EncryptedJSONField(help_text="Client secrets, keys, passwords.")
    token = EncryptedJSONField(help_text="Access and refresh tokens or session ids.")
    token_expires_at = models.DateTimeField(null=True, blank=True)
    webhook_secret_encrypted = models.TextField(default=_new_webhook_secret, editable=False)
    health = models.CharField(max_length=10, choices=Health.choices, default=Health.UNKNOWN)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # Circuit breaker: after repeated transient failures the connection's flows pause until a
    # probe succeeds (see integrations.services.circuit).
    circuit_open_until = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["name"], name="connection_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_system_display()}, {self.get_environment_display()})"

    @property
    def webhook_secret(self) -> str:
        return crypto.decrypt_text(self.webhook_secret_encrypted)

    def credential_hints(self) -> dict[str, str]:
        """Masked credentials for pages and API responses: keys with the last characters."""
        return {key: crypto.mask(str(value)) for key, value in sorted(self.credentials.items())}

    def public_summary(self) -> dict[str, Any]:
        return {
            "id": self.pk, "name": self.name, "system": self.system,
            "environment": self.environment, "base_url": self.base_url, "account": self.account,
            "auth_type": self.auth_type, "health": self.health,
            "credentials": self.credential_hints(), "has_token": bool(self.token),
        }


class ImmutableVersionError(Exception):
    """Mapping versions are history: change a mapping by saving a new version."""


class Mapping(models.Model):
    """A named mapping; its content lives in immutable versions, one of which is current."""

    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    source_system = models.CharField(max_length=40, blank=True)
    source_entity = models.CharField(max_length=80, blank=True)
    target_system = models.CharField(max_length=40, blank=True)
    target_entity = models.CharField(max_length=80, blank=True)
    current_version = models.ForeignKey(
        "MappingVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="The version flows run; roll back by pointing at an older one.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def current_document(self) -> dict[str, Any] | None:
        return self.current_version.document if self.current_version else None


class DocumentVersion(models.Model):
    """One numbered version of a document (a mapping's, a flow's steps); history, never
    edited: a change is a new version."""

    number = models.PositiveIntegerField()
    document = models.JSONField()
    comment = models.CharField(max_length=300, blank=True)
    created_by = models.CharField(max_length=254, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.owner_name()} v{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ImmutableVersionError(
                f"Version {self.number} of {self.owner_name()!r} cannot be changed; save a new "
                "version instead.")
        super().save(*args, **kwargs)

    def owner_name(self) -> str:
        raise NotImplementedError


class MappingVersion(DocumentVersion):
    mapping = models.ForeignKey(Mapping, on_delete=models.CASCADE, related_name="versions")

    class Meta:
        ordering = ["mapping", "-number"]
        constraints = [models.UniqueConstraint(fields=["mapping", "number"],
                                               name="mapping_version_unique_number")]

    def owner_name(self) -> str:
        return self.mapping.name


class LookupTable(models.Model):
    """A code translation table (channel → sales channel code, payment method → GL account)."""

    name = models.SlugField(max_length=80, unique=True, allow_unicode=False,
                            help_text="The name mapping documents use in lookup steps.")
    description = models.CharField(max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class LookupEntry(models.Model):
    table = models.ForeignKey(LookupTable, on_delete=models.CASCADE, related_name="entries")
    key = models.CharField(max_length=200)
    value = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["table", "key"]
        verbose_name_plural = "lookup entries"
        constraints = [models.UniqueConstraint(fields=["table", "key"],
                                               name="lookup_entry_unique_key")]

    def __str__(self) -> str:
        return f"{self.table.name}: {self.key} → {self.value}"


class IntegrationPair(models.Model):
    """Brightpearl plus one partner system, created from a pair template."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"

    name = models.CharField(max_length=200, unique=True)
    template_key = models.CharField(max_length=80)
    template_version = models.PositiveIntegerField(default=1)
    brightpearl = models.ForeignKey(Connection, on_delete=models.PROTECT, related_name="+")
    partner = models.ForeignKey(Connection, on_delete=models.PROTECT, related_name="+")
    environment = models.CharField(max_length=12, choices=Connection.Environment.choices,
                                   default=Connection.Environment.SANDBOX)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def connection_for(self, system: str) -> Connection:
        if self.brightpearl.system == system:
            return self.brightpearl
        if self.partner.system == system:
            return self.partner
        raise ValueError(f"Pair {self.name!r} has no {system} connection.")


class Flow(models.Model):
    """One entity in one direction, with its trigger and the mapping it runs."""

    class Trigger(models.TextChoices):
        WEBHOOK = "webhook", "Webhook (real time)"
        POLL = "poll", "Poll for changes"
        SCHEDULE = "schedule", "Schedule"

    class ConflictRule(models.TextChoices):
        SOURCE_WINS = "source_wins", "This flow's source wins"
        NEWEST_WINS = "newest_wins", "Newest change wins"

    pair = models.ForeignKey(IntegrationPair, on_delete=models.CASCADE, related_name="flows")
    key = models.SlugField(max_length=80)
    name = models.CharField(max_length=200)
    entity = models.CharField(max_length=40)
    source_system = models.CharField(max_length=20, choices=Connection.System.choices)
    target_system = models.CharField(max_length=20, choices=Connection.System.choices)
    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    events = models.JSONField(default=list, blank=True)
    poll_interval_s = models.PositiveIntegerField(null=True, blank=True)
    enabled = models.BooleanField(default=True)
    mapping = models.ForeignKey(Mapping, on_delete=models.PROTECT, related_name="flows")
    follow_ups = models.JSONField(default=list, blank=True)
    # The step document the flow runs (integrations/workflow/); none: the fixed pipeline,
    # checks → the flow's mapping → its follow-ups, as the flow's fields say.
    steps_version = models.ForeignKey(
        "FlowStepsVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="The steps the flow runs; roll back by pointing at an older version.")
    depends_on = models.JSONField(default=list, blank=True)
    conflict_rule = models.CharField(max_length=12, choices=ConflictRule.choices,
                                     default=ConflictRule.SOURCE_WINS)
    natural_key = models.CharField(max_length=200, blank=True)
    # Data-quality checks this flow runs (address cleansing, duplicate and anomaly detection)
    # and their settings; missing keys take the defaults in services/quality.py.
    quality = models.JSONField(default=dict, blank=True)
    # Poller high-water mark: {"since": ISO time, "cursor": system cursor}.
    poll_state = models.JSONField(default=dict, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["pair", "key"]
        constraints = [models.UniqueConstraint(fields=["pair", "key"], name="flow_unique_key")]

    def __str__(self) -> str:
        return f"{self.pair.name}: {self.name}"

    @property
    def source_connection(self) -> Connection:
        return self.pair.connection_for(self.source_system)

    @property
    def target_connection(self) -> Connection:
        return self.pair.connection_for(self.target_system)

    @property
    def is_running(self) -> bool:
        return self.enabled and self.pair.status == IntegrationPair.Status.ACTIVE


class FlowStepsVersion(DocumentVersion):
    """One saved version of a flow's step document."""

    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="step_versions")

    class Meta:
        ordering = ["flow", "-number"]
        constraints = [models.UniqueConstraint(fields=["flow", "number"],
                                               name="flow_steps_version_unique_number")]

    def owner_name(self) -> str:
        return f"{self.flow.name}: steps"


class InboundEvent(models.Model):
    """A received webhook or polled change, stored before it is acknowledged.

    The worker consumes these; ``dedupe_key`` makes a repeated delivery a no-op.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        PROCESSING = "processing", "Processing"
        RETRYING = "retrying", "Retrying"
        DONE = "done", "Delivered"
        SKIPPED = "skipped", "Skipped"
        DEAD = "dead", "Dead letter"
        UNROUTED = "unrouted", "No flow takes it"

    # Every delivery inserts a row here, many a second naming the same flow and connection: a
    # database foreign key would lock those two parent rows (FOR KEY SHARE) in every insert, and
    # concurrent inserts then share the locks through multixacts, which ingest waited on. Django
    # still cascades deletes (it collects them itself); the ingest statement only names flows
    # it has just read. No index of their own either, one fewer to update per delivery:
    # (flow, external_id) serves flow lookups, and events are never looked up by connection
    # (only a connection's rare deletion scans for them).
    flow = models.ForeignKey(Flow, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="inbound_events", db_constraint=False, db_index=False)
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="+",
                                   db_constraint=False, db_index=False)
    origin = models.CharField(max_length=10, default="webhook")   # webhook / poll / replay / manual
    event_type = models.CharField(max_length=120)
    external_id = models.CharField(max_length=200)
    dedupe_key = models.CharField(max_length=200, unique=True)
    payload = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="event_due"),
            models.Index(fields=["flow", "external_id"], name="event_flow_record"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.external_id} ({self.status})"


class RecordLink(models.Model):
    """Source id ↔ target id for one flow, and a hash of what was last written.

    Makes writes idempotent (update, never duplicate) and suppresses echoes in two-way sync.
    """

    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="links")
    source_id = models.CharField(max_length=200)
    target_id = models.CharField(max_length=200)
    natural_key = models.CharField(max_length=200, blank=True)
    payload_hash = models.CharField(max_length=64, blank=True)
    last_synced_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["flow", "source_id"],
                                               name="link_unique_source")]
        indexes = [models.Index(fields=["flow", "target_id"], name="link_flow_target")]

    def __str__(self) -> str:
        return f"{self.source_id} → {self.target_id}"


class Transaction(models.Model):
    """The transaction log: one row per processing attempt."""

    class Status(models.TextChoices):
        SUCCESS = "success", "Success"
        SKIPPED = "skipped", "Skipped"
        RETRYING = "retrying", "Failed, will retry"
        FAILED = "failed", "Failed"

    class Action(models.TextChoices):
        CREATE = "create", "Created"
        UPDATE = "update", "Updated"
        NONE = "none", "Nothing written"

    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="transactions")
    event = models.ForeignKey(InboundEvent, null=True, on_delete=models.SET_NULL,
                              related_name="transactions")
    source_id = models.CharField(max_length=200)
    target_id = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices)
    action = models.CharField(max_length=10, choices=Action.choices, default=Action.NONE)
    attempt = models.PositiveIntegerField(default=1)
    error_class = models.CharField(max_length=60, blank=True)
    message = models.TextField(blank=True)
    source_record = models.JSONField(null=True, blank=True)
    target_record = models.JSONField(null=True, blank=True)
    # What the data-quality checks changed or found: [{check, message, path, before, after}].
    quality = models.JSONField(null=True, blank=True)
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["flow", "-started_at"], name="tx_flow_time"),
                   models.Index(fields=["status", "-started_at"], name="tx_status_time"),
                   models.Index(fields=["source_id"], name="tx_source")]

    def __str__(self) -> str:
        return f"{self.flow_id}:{self.source_id} {self.status}"


class DeadLetter(models.Model):
    """An event whose error is permanent or whose retries ran out, waiting for a person."""

    class Resolution(models.TextChoices):
        OPEN = "open", "Open"
        REPLAYED = "replayed", "Replayed"
        DISCARDED = "discarded", "Discarded"

    event = models.OneToOneField(InboundEvent, on_delete=models.CASCADE, related_name="dead_letter")
    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="dead_letters")
    error_class = models.CharField(max_length=60)
    reason = models.TextField()
    problems = models.JSONField(default=list, blank=True)
    source_record = models.JSONField(null=True, blank=True)
    mapped_record = models.JSONField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    resolution = models.CharField(max_length=10, choices=Resolution.choices,
                                  default=Resolution.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.CharField(max_length=254, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["resolution", "flow"], name="dead_open_flow")]

    def __str__(self) -> str:
        return f"{self.error_class}: {self.reason[:60]}"


class FlowStat(models.Model):
    """What a flow's records usually look like, learnt as they sync: one row per metric
    (order total, line quantity, price, hourly volume) and segment (a channel, a product).
    ``state`` is the estimator's own (counts, means, recent values): see services/quality."""

    flow = models.ForeignKey(Flow, on_delete=models.CASCADE, related_name="stats")
    metric = models.CharField(max_length=40)
    segment = models.CharField(max_length=200, blank=True)
    state = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["flow", "metric", "segment"],
                                               name="flowstat_unique")]

    def __str__(self) -> str:
        return f"{self.flow_id}:{self.metric}:{self.segment}"


class AlertRule(models.Model):
    class Kind(models.TextChoices):
        DEAD_LETTERS = "dead_letters", "Open dead letters above a threshold"
        FLOW_FAILING = "flow_failing", "A flow keeps failing"
        CIRCUIT_OPEN = "circuit_open", "A connection's circuit opened"
        USAGE = "usage", "Monthly usage past a share of the plan"
        ANOMALY = "anomaly", "A record or the volume of a flow looks wrong"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    threshold = models.PositiveIntegerField(
        default=1, help_text="Dead letters: count. Flow failing: failures in a row. Usage: %.")
    emails = models.JSONField(default=list, blank=True)
    webhook_url = models.URLField(blank=True)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.threshold})"


class AlertEvent(models.Model):
    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="events")
    key = models.CharField(max_length=200, help_text="What the alert is about; repeats of one "
                                                     "key within the quiet period are not sent.")
    message = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_email = models.BooleanField(default=False)
    delivered_webhook = models.BooleanField(default=False)
    delivery_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["rule", "key", "-created_at"], name="alert_rule_key")]

    def __str__(self) -> str:
        return self.message[:80]


class Operation(models.Model):
    """A long operation a person started (bulk replay or discard, backfill, import), with its
    progress, so the portal can show how far it got and what came of it."""

    class Kind(models.TextChoices):
        REPLAY = "replay", "Replay dead letters"
        DISCARD = "discard", "Discard dead letters"
        BACKFILL = "backfill", "Backfill"
        IMPORT = "import", "Import"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    label = models.CharField(max_length=300, blank=True,
                             help_text="What it works on, in words: the filter or the flow.")
    # What the worker needs to carry on: the filter, and how far it got (a keyset cursor).
    params = models.JSONField(default=dict, blank=True)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    created_by = models.CharField(max_length=254, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int:
        if not self.total:
            return 100 if self.is_finished else 0
        return min(100, (self.done + self.failed) * 100 // self.total)
