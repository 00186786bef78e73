from __future__ import annotations

from django.db import models
from django_tenants.models import DomainMixin, TenantMixin


class Tenant(TenantMixin):
    """A customer company. Its schema holds its users and integrations."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=30, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)

    # Schemas are created explicitly by tenant_create so a failed sign-up can be rolled back.
    auto_create_schema = False
    auto_drop_schema = True

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.slug})"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def is_public(self) -> bool:
        return self.schema_name == "public"


class Domain(DomainMixin):
    def __str__(self) -> str:
        return self.domain


class PollSchedule(models.Model):
    """Due work across all tenants, so the scheduler's tick costs O(due), not O(tenants).

    One row per polled flow; the scheduler takes due rows with SKIP LOCKED and moves them on.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="poll_schedules")
    flow_id = models.PositiveBigIntegerField()
    interval_s = models.PositiveIntegerField()
    next_run_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "flow_id"],
                                               name="poll_one_row_per_flow")]
        indexes = [models.Index(fields=["next_run_at"], name="poll_due")]

    def __str__(self) -> str:
        return f"{self.tenant.slug} flow {self.flow_id} every {self.interval_s}s"
