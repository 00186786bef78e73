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


class MappingVersion(models.Model):
    mapping = models.ForeignKey(Mapping, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    document = models.JSONField()
    comment = models.CharField(max_length=300, blank=True)
    created_by = models.CharField(max_length=254, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["mapping", "-number"]
        constraints = [models.UniqueConstraint(fields=["mapping", "number"],
                                               name="mapping_version_unique_number")]

    def __str__(self) -> str:
        return f"{self.mapping.name} v{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ImmutableVersionError(
                f"Version {self.number} of {self.mapping.name!r} cannot be changed; save a new "
                "version instead.")
        super().save(*args, **kwargs)


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
