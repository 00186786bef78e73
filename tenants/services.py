"""Writes for tenants: sign-up creates the tenant, its schema, domain, owner and subscription."""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.validators import validate_email
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django_tenants.utils import get_public_schema_name, schema_context, schema_exists

from accounts.models import User
from billing.models import Plan
from billing.services import subscription_create
from tenants.models import Domain, Tenant
from tenants.schemas import schema_clone, schema_snapshot_forget
from tenants.selectors import tenant_domain

logger = logging.getLogger(__name__)

SLUG_MIN, SLUG_MAX = 3, 30
_SLUG_RE = re.compile(r"^[a-z][a-z0-9-]*[a-z0-9]$")
# Subdomains we serve ourselves or that would confuse customers and PostgreSQL.
RESERVED_SLUGS = frozenset(
    {
        "admin", "api", "app", "billing", "clarity", "docs", "help", "mail", "media", "pg",
        "public", "sandbox", "sandboxes", "signup", "smtp", "static", "status", "support",
        "www",
    }
)


def tenant_slug_validate(slug: str) -> str:
    """Return the normalised slug or raise ``ValidationError`` saying exactly what is wrong."""
    normalised = (slug or "").strip().lower()
    if not normalised:
        raise ValidationError("Enter a slug: 3–30 lowercase letters, digits or hyphens.",
                              code="required")
    if not SLUG_MIN <= len(normalised) <= SLUG_MAX:
        raise ValidationError(
            f"Slug must be {SLUG_MIN}–{SLUG_MAX} characters long; {normalised!r} has "
            f"{len(normalised)}.",
            code="length",
        )
    if not _SLUG_RE.match(normalised) or "--" in normalised:
        raise ValidationError(
            f"Slug {normalised!r} may only contain lowercase letters, digits and single hyphens, "
            "must start with a letter and must not end with a hyphen.",
            code="invalid",
        )
    if normalised in RESERVED_SLUGS or normalised.startswith("pg-"):
        raise ValidationError(f"Slug {normalised!r} is reserved; choose another.", code="reserved")
    if Tenant.objects.filter(slug=normalised).exists():
        raise ValidationError(f"Slug {normalised!r} is already taken; choose another.",
                              code="taken")
    return normalised


def _schema_name_for(slug: str) -> str:
    # Hyphens are not allowed in unquoted PostgreSQL identifiers; slugs never contain "_",
    # so the mapping is one-to-one.
    return "t_" + slug.replace("-", "_")


# Arbitrary, fixed: one process at a time migrates the template (two would both try to apply
# the same migration).
_TEMPLATE_LOCK_KEY = 7_302_114_552


@contextlib.contextmanager
def _template_lock() -> Iterator[None]:
    # On a connection of its own: migrate_schemas closes the default connection after each
    # schema, which would release a session lock taken on it.
    lock = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with lock.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [_TEMPLATE_LOCK_KEY])
        yield
    finally:
        lock.close()


def _template_migrate(*, verbosity: int) -> str:
    template = settings.TENANT_BASE_SCHEMA
    if not schema_exists(template):
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA "{template}"')
    call_command("migrate_schemas", tenant=True, schema_name=template, interactive=False,
                 verbosity=verbosity)
    connection.set_schema_to_public()
    schema_snapshot_forget(template=template)
    return template


def tenant_template_sync(*, verbosity: int = 0) -> str:
    """Create the template schema if missing and apply every tenant migration it lacks.

    New tenants are copies of it (``tenant_schema_create``, ``tenants.schemas``): tables,
    indexes, sequences and rows (the migrations recorded, content types, permissions) in one
    round trip instead of a run of every migration. No tenant row points at it, so it is never
    served and ``migrate_schemas`` does not see it; it is migrated here: before the first clone
    in each process, and by ``manage.py tenant_template`` after ``migrate_schemas``.
    """
    with _template_lock():
        return _template_migrate(verbosity=verbosity)


# Templates this process has migrated with its own code's migrations. New migrations arrive
# with new code, i.e. new processes, so one migrate per process and template is enough.
_templates_current: set[str] = set()


def tenant_schema_create(*, tenant: Tenant) -> None:
    """The tenant's schema, as a copy of the template schema.

    The template is migrated first (once per process: new migrations come with a restart), so
    a clone never lacks a migration it is recorded as having.
    """
    template = settings.TENANT_BASE_SCHEMA
    if template not in _templates_current or not schema_exists(template):
        tenant_template_sync()
        _templates_current.add(template)
    schema_clone(template=template, dest=tenant.schema_name)
    connection.set_schema_to_public()


@dataclass(frozen=True)
class SignupInput:
    name: str
    slug: str
    owner_email: str
    owner_password: str
    owner_name: str
    plan: Plan


def tenant_signup_validate(
    *,
    name: str,
    slug: str,
    owner_email: str,
    owner_password: str,
    owner_name: str = "",
    plan: Plan | str = Plan.DEFAULT_SLUG,
) -> SignupInput:
    """Check every sign-up input; raise one ``ValidationError`` per field, keyed by field."""
    errors: dict[str, list[str]] = {}
    cleaned_slug = ""
    try:
        cleaned_slug = tenant_slug_validate(slug)
    except ValidationError as exc:
        errors["slug"] = exc.messages
    name = (name or "").strip()
    if not name:
        errors["name"] = ["Enter the company name."]
    email = User.objects.normalize_email((owner_email or "").strip()).lower()
    try:
        validate_email(email)
    except ValidationError:
        errors["owner_email"] = [f"{email!r} is not a valid email address."]
    try:
        validate_password(owner_password, user=User(email=email, full_name=owner_name))
    except ValidationError as exc:
        errors["owner_password"] = exc.messages
    plan_obj = plan if isinstance(plan, Plan) else (
        Plan.objects.filter(slug=plan, is_active=True).first()
    )
    if plan_obj is None or not plan_obj.is_active:
        errors["plan"] = [f"There is no active plan called {plan!s}."]
    if errors:
        raise ValidationError(errors)
    assert plan_obj is not None
    return SignupInput(name=name, slug=cleaned_slug, owner_email=email,
                       owner_password=owner_password, owner_name=owner_name.strip(),
                       plan=plan_obj)


def tenant_create(
    *,
    name: str,
    slug: str,
    owner_email: str,
    owner_password: str,
    owner_name: str = "",
    plan: Plan | str = Plan.DEFAULT_SLUG,
    trial_days: int | None = None,
) -> Tenant:
    """Create tenant, schema, domain, owner user and subscription, or nothing at all.

    Every input is checked before anything is written; if a later step fails the schema is
    dropped and the public rows are removed.
    """
    signup = tenant_signup_validate(name=name, slug=slug, owner_email=owner_email,
                                    owner_password=owner_password, owner_name=owner_name,
                                    plan=plan)
    with transaction.atomic():
        tenant = Tenant.objects.create(
            schema_name=_schema_name_for(signup.slug), name=signup.name, slug=signup.slug
        )
        Domain.objects.create(tenant=tenant, domain=tenant_domain(slug=signup.slug),
                              is_primary=True)
        subscription_create(tenant=tenant, plan=signup.plan, trial_days=trial_days)
    try:
        tenant_schema_create(tenant=tenant)
        with schema_context(tenant.schema_name):
            User.objects.create_user(
                email=signup.owner_email, password=signup.owner_password,
                full_name=signup.owner_name, role=User.Role.OWNER,
            )
    except Exception:
        logger.exception("Creating tenant %s failed; removing it.", signup.slug)
        if connection.in_atomic_block:
            # Inside a caller's transaction the migration's deferred FK checks are still
            # pending, and PostgreSQL refuses to drop tables with pending trigger events.
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        connection.set_schema_to_public()
        tenant.delete(force_drop=True)
        raise
    return tenant


def tenant_set_status(*, tenant: Tenant, status: Tenant.Status) -> Tenant:
    tenant.status = status
    tenant.save(update_fields=["status"])
    return tenant


def public_tenant_ensure(*, domain: str) -> Tenant:
    """The public schema's tenant row and domain, which django-tenants routes the site by."""
    public, _ = Tenant.objects.get_or_create(
        schema_name=get_public_schema_name(),
        defaults={"name": "Clarity Connect", "slug": "public"},
    )
    Domain.objects.get_or_create(domain=domain, defaults={"tenant": public, "is_primary": True})
    return public
