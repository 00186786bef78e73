"""factory_boy factories for public-schema rows and tenant users."""

from __future__ import annotations

from decimal import Decimal

import factory
from django.utils import timezone

from accounts.models import User
from billing.models import Plan


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Plan
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"plan-{n}")
    name = factory.LazyAttribute(lambda o: f"Plan {o.slug}")
    price_per_month = Decimal("599.00")
    production_pair_limit = 1
    sandbox_pair_limit = 2
    monthly_transaction_allowance = 1000
    min_poll_interval_seconds = 60
    log_retention_days = 30
    features = factory.LazyFunction(lambda: {"workflow_designer": True})


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    full_name = factory.Faker("name")
    role = User.Role.ADMIN
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


# Tenant-schema rows of the integrations app (create them inside a tenant, e.g. `tenant_a`).

class ConnectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "integrations.Connection"

    name = factory.Sequence(lambda n: f"Connection {n}")
    system = "brightpearl"
    base_url = "http://127.0.0.1:9/nowhere"
    account = "acct"
    auth_type = "api_token"
    credentials = factory.LazyFunction(lambda: {"access_token": "tok-test"})


class MappingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "integrations.Mapping"

    name = factory.Sequence(lambda n: f"Mapping {n}")


class IntegrationPairFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "integrations.IntegrationPair"

    name = factory.Sequence(lambda n: f"Pair {n}")
    template_key = "brightpearl-bigcommerce"
    brightpearl = factory.SubFactory(ConnectionFactory, system="brightpearl")
    partner = factory.SubFactory(ConnectionFactory, system="bigcommerce")


class FlowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "integrations.Flow"

    pair = factory.SubFactory(IntegrationPairFactory)
    key = factory.Sequence(lambda n: f"flow-{n}")
    name = factory.Sequence(lambda n: f"Flow {n}")
    entity = "order"
    source_system = "bigcommerce"
    target_system = "brightpearl"
    trigger = "webhook"
    mapping = factory.SubFactory(MappingFactory)


class InboundEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "integrations.InboundEvent"

    flow = factory.SubFactory(FlowFactory)
    connection = factory.LazyAttribute(lambda o: o.flow.source_connection)
    event_type = "store/order/created"
    external_id = factory.Sequence(lambda n: str(1000 + n))
    dedupe_key = factory.Sequence(lambda n: f"event-{n}")
    status = "done"


class TransactionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "integrations.Transaction"

    flow = factory.SubFactory(FlowFactory)
    source_id = factory.Sequence(lambda n: str(1000 + n))
    status = "success"
    started_at = factory.LazyFunction(timezone.now)


class DeadLetterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "integrations.DeadLetter"

    flow = factory.SubFactory(FlowFactory)
    event = factory.SubFactory(InboundEventFactory, flow=factory.SelfAttribute("..flow"),
                               status="dead")
    error_class = "MissingReference"
    reason = "The SKU is unknown in the target system."
