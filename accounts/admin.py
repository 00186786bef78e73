from typing import Any

import rest_framework_api_key.admin  # noqa: F401  (registers the model unregistered below)
from axes.admin import AccessAttemptAdmin as AxesAccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db.models import QuerySet
from django.http import HttpRequest
from rest_framework_api_key.models import APIKey as LibraryAPIKey

from accounts.models import ApiKey, Invitation, User
from accounts.services import api_key_create, api_key_revoke
from config.tenant_admin import TenantModelAdmin, tenant_data_site

# The library registers its own concrete key model, whose public-schema table is never used
# (keys are accounts.ApiKey, in tenant schemas): importing its admin first makes the
# unregister independent of the order the apps are discovered in.
admin.site.unregister(LibraryAPIKey)


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    ordering = ("email",)
    list_display = ("email", "full_name", "role", "is_staff", "is_active", "last_login")
    list_filter = ("is_staff", "is_superuser", "is_active", "role")
    search_fields = ("email", "full_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("full_name", "role")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups",
                                    "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "usable_password",
                                                              "password1", "password2")}),)


# Keys live in tenant schemas only, so they are managed in the staff admin's tenant data
# section (/admin/tenant/<slug>/), not the public one (whose table is always empty).
@admin.register(ApiKey, site=tenant_data_site)
class ApiKeyAdmin(TenantModelAdmin):
    list_display = ("name", "prefix", "scope", "created", "created_by", "last_used_at",
                    "revoked", "expiry_date")
    list_filter = ("scope", "revoked")
    search_fields = ("name", "prefix", "created_by")
    fields = ("name", "prefix", "scope", "expiry_date", "created", "created_by",
              "last_used_at", "revoked", "revoked_at", "revoked_by", "hashed_key")
    readonly_fields = ("prefix", "created", "created_by", "last_used_at", "revoked",
                       "revoked_at", "revoked_by", "hashed_key")
    actions = ["revoke_keys"]

    add_fields = ("name", "scope", "expiry_date")

    def get_fields(self, request: HttpRequest, obj: ApiKey | None = None) -> tuple[str, ...]:
        return self.fields if obj is not None else self.add_fields

    def get_readonly_fields(self, request: HttpRequest, obj: ApiKey | None = None
                            ) -> tuple[str, ...]:
        return self.readonly_fields if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: ApiKey, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        # Made through the service, which returns the plain key once: staff see it in this
        # one message (to hand to the customer) and nobody can see it again.
        api_key, plain_key = api_key_create(name=obj.name, scope=obj.scope,
                                            created_by=request.user.email,
                                            expiry_date=obj.expiry_date)
        obj.pk, obj.prefix = api_key.pk, api_key.prefix
        self.message_user(request, f"API key {api_key.name!r}: {plain_key} — copy it now; it "
                                   "is stored hashed and will not be shown again.",
                          level=messages.WARNING)

    @admin.action(description="Revoke selected API keys")
    def revoke_keys(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        keys = [key for key in queryset if not key.revoked]
        for key in keys:
            api_key_revoke(api_key=key, by=request.user.email)
        self.message_user(request, f"Revoked {len(keys)} API key(s).")


@admin.register(Invitation, site=tenant_data_site)
class InvitationAdmin(TenantModelAdmin):
    """Read-only: invitations are made and ended by the tenant's owners and admins, whose
    rules (who may grant which role) the portal enforces."""

    list_display = ("email", "role", "invited_by", "created_at", "expires_at", "accepted_at",
                    "cancelled_at")
    list_filter = ("role",)
    search_fields = ("email",)
    readonly_fields = list_display

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Invitation | None = None) -> bool:
        return False


# A tenant's failed sign-ins are counted in its own schema: staff unlock a customer by
# deleting the attempt here (the public admin's list holds only staff sign-ins).
@admin.register(AccessAttempt, site=tenant_data_site)
class TenantAccessAttemptAdmin(TenantModelAdmin, AxesAccessAttemptAdmin):
    pass
