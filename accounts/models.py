"""Users and API keys. The same models live in every schema: staff in public, customers (and
their API keys) in their tenant's."""

from __future__ import annotations

import hashlib
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.crypto import get_random_string
from rest_framework_api_key.crypto import KeyGenerator
from rest_framework_api_key.models import AbstractAPIKey, BaseAPIKeyManager

API_KEY_MARKER = "cc_"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("Users need an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        ADMIN = "admin", "Admin"
        VIEWER = "viewer", "Viewer"

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    # Portal role inside a tenant; staff users in the public schema ignore it.
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.ADMIN)
    is_staff = models.BooleanField(
        default=False, help_text="Can log in to the Clarity staff admin (public schema only)."
    )
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def can_edit(self) -> bool:
        return self.role in {self.Role.OWNER, self.Role.ADMIN}


class ApiKeyGenerator(KeyGenerator):
    # "cc_" marks our keys in logs and secret scanners; the library keeps the text before
    # the first "." as the looked-up prefix, so the marker is part of it.
    def get_prefix(self) -> str:
        return f"{API_KEY_MARKER}{get_random_string(self.prefix_length)}"


class ApiKeyManager(BaseAPIKeyManager):
    key_generator = ApiKeyGenerator()


class ApiKey(AbstractAPIKey):
    """A tenant's key for the REST API. It lives in the tenant's schema, so a key is only
    ever found on its own tenant's domain. Only a hash of the key is stored."""

    class Scope(models.TextChoices):
        READ = "read", "Read only"
        READ_WRITE = "read_write", "Read and write"

    # Room for the "cc_" marker in front of the library's 8 random characters.
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    scope = models.CharField(max_length=16, choices=Scope.choices, default=Scope.READ)
    # Emails, not foreign keys: the record of who made or revoked a key outlives the user.
    created_by = models.CharField(max_length=254, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.CharField(max_length=254, blank=True)
    # Updated at most every API_KEY_USED_EVERY so a busy client is not one write per request.
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = ApiKeyManager()

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "API key"
        verbose_name_plural = "API keys"

    @property
    def can_write(self) -> bool:
        return self.scope == self.Scope.READ_WRITE


def invitation_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Invitation(models.Model):
    """An emailed invitation to join the tenant's team with a role.

    Only a hash of the token is stored: the link in the email is the only copy, so a database
    dump cannot be used to join. Resending makes a new token, which ends the old link.
    """

    email = models.EmailField()
    role = models.CharField(max_length=16, choices=User.Role.choices, default=User.Role.VIEWER)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="invitations_sent")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One open invitation per address: a second would leave two live links with
            # possibly different roles.
            models.UniqueConstraint(fields=["email"],
                                    condition=models.Q(accepted_at__isnull=True,
                                                       cancelled_at__isnull=True),
                                    name="invitation_one_open_per_email"),
        ]

    def __str__(self) -> str:
        return f"{self.email} as {self.get_role_display()}"

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.cancelled_at is None

    @property
    def has_expired(self) -> bool:
        return timezone.now() >= self.expires_at
