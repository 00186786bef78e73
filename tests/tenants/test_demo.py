"""manage.py tenants_demo: many demo tenants with sandbox pairs, once."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from integrations.models import Flow, IntegrationPair
from tenants.models import PollSchedule, Tenant
from tests.conftest import inside

pytestmark = pytest.mark.django_db


def _demo(count: int, prefix: str = "tdemo") -> str:
    connection.set_schema_to_public()
    out = StringIO()
    call_command("tenants_demo", count=count, prefix=prefix, stdout=out)
    return out.getvalue()


def test_tenants_demo_creates_each_tenant_with_both_pairs_and_their_flows():
    _demo(2)

    tenants = list(Tenant.objects.filter(slug__startswith="tdemo-").order_by("slug"))
    assert [t.slug for t in tenants] == ["tdemo-0001", "tdemo-0002"]
    for tenant in tenants:
        with inside(tenant):
            assert set(IntegrationPair.objects.values_list("name", flat=True)) == {
                "Demo web shop", "Demo ERP"}
            polled = Flow.objects.filter(trigger=Flow.Trigger.POLL).count()
            assert Flow.objects.count() > polled > 0
            assert all(url.startswith("http://") for url in
                       IntegrationPair.objects.values_list("brightpearl__base_url", flat=True))
        assert PollSchedule.objects.filter(tenant=tenant).count() == polled


def test_tenants_demo_run_again_skips_what_exists_and_adds_only_the_new_ones():
    _demo(1)

    output = _demo(2)

    assert "1 created, 0 completed, 1 skipped" in output
    assert Tenant.objects.filter(slug__startswith="tdemo-").count() == 2
    with inside(Tenant.objects.get(slug="tdemo-0001")):
        assert IntegrationPair.objects.count() == 2


def test_tenants_demo_refuses_a_prefix_that_makes_invalid_slugs():
    with pytest.raises(CommandError, match="--prefix 'Bad_Prefix'"):
        _demo(1, prefix="Bad_Prefix")
