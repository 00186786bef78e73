import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django_tenants.utils import schema_context, schema_exists

from accounts.models import User
from billing.models import Subscription
from tenants.models import Domain, Tenant
from tenants.services import tenant_create, tenant_slug_validate
from tests.conftest import TEST_PASSWORD, inside
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_tenant_create_makes_schema_domain_owner_and_trial_subscription(django_db_setup):
    tenant = tenant_create(name="Acme Outdoor", slug="acme-outdoor",
                           owner_email="Boss@Acme.example.com", owner_password=TEST_PASSWORD)

    assert tenant.schema_name == "t_acme_outdoor"
    assert schema_exists(tenant.schema_name)
    assert Domain.objects.get(tenant=tenant, is_primary=True).domain == "acme-outdoor.localhost"
    subscription = Subscription.objects.get(tenant=tenant)
    assert subscription.plan.slug == "connect"
    assert subscription.status == Subscription.Status.TRIALING
    with schema_context(tenant.schema_name):
        owner = User.objects.get()
    assert owner.email == "boss@acme.example.com"
    assert owner.role == User.Role.OWNER
    assert owner.check_password(TEST_PASSWORD)


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("", "Enter a slug"),
        ("ab", "3–30 characters long; 'ab' has 2"),
        ("a" * 31, "has 31"),
        ("Has Space", "may only contain lowercase letters, digits and single hyphens"),
        ("1shop", "must start with a letter"),
        ("shop-", "must not end with a hyphen"),
        ("my--shop", "single hyphens"),
        ("shop_co", "may only contain"),
        ("admin", "'admin' is reserved"),
        ("pg-data", "reserved"),
    ],
)
def test_bad_slug_is_refused_with_a_message_saying_what_is_wrong(slug, message):
    with pytest.raises(ValidationError) as excinfo:
        tenant_slug_validate(slug)
    assert message in excinfo.value.messages[0]


def test_slug_is_normalised_to_lowercase():
    assert tenant_slug_validate("  MyShop ") == "myshop"


def test_taken_slug_is_refused(django_db_setup):
    with pytest.raises(ValidationError) as excinfo:
        tenant_create(name="Another Alpha", slug="alpha", owner_email="x@example.com",
                      owner_password=TEST_PASSWORD)
    assert excinfo.value.message_dict["slug"] == ["Slug 'alpha' is already taken; choose another."]


def test_every_bad_signup_field_is_reported_together_and_nothing_is_created(django_db_setup):
    with pytest.raises(ValidationError) as excinfo:
        tenant_create(name=" ", slug="x", owner_email="not-an-email", owner_password="123",
                      plan="platinum")
    errors = excinfo.value.message_dict
    assert set(errors) == {"name", "slug", "owner_email", "owner_password", "plan"}
    assert errors["plan"] == ["There is no active plan called platinum."]
    assert not Tenant.objects.filter(name=" ").exists()


def test_failure_after_schema_creation_removes_tenant_and_schema(django_db_setup, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(User.objects, "create_user", explode)
    with pytest.raises(RuntimeError, match="disk full"):
        tenant_create(name="Doomed", slug="doomed", owner_email="o@doomed.example.com",
                      owner_password=TEST_PASSWORD)

    assert not Tenant.objects.filter(slug="doomed").exists()
    assert not Domain.objects.filter(domain="doomed.localhost").exists()
    assert not schema_exists("t_doomed")


def test_row_created_in_tenant_a_is_invisible_in_tenant_b(tenant_a, tenant_b):
    UserFactory(email="only-in-a@example.com")
    assert User.objects.filter(email="only-in-a@example.com").exists()

    with inside(tenant_b):
        assert not User.objects.filter(email="only-in-a@example.com").exists()
        assert connection.schema_name == "t_beta"


def test_tenant_owner_lives_in_its_own_schema_not_in_public(tenant_a):
    assert User.objects.filter(email="owner@alpha.example.com").exists()
    with schema_context("public"):
        assert not User.objects.filter(email="owner@alpha.example.com").exists()
