"""factory_boy factories for public-schema rows and tenant users."""

from __future__ import annotations

from decimal import Decimal

import factory

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
