import pytest
from django.core.management import call_command

from integrations.models import IntegrationPair
from tenants.models import Tenant
from tests.conftest import inside


@pytest.mark.django_db
def test_bootstrap_creates_the_demo_tenant_with_a_sandbox_pair_and_can_run_twice(
    django_db_setup, capsys
):
    call_command("bootstrap")
    call_command("bootstrap")

    demo = Tenant.objects.get(slug="demo")
    with inside(demo):
        assert list(IntegrationPair.objects.values_list("name", flat=True)) == ["Demo web shop"]
    assert "owner@demo.localhost / demo-pass-2026" in capsys.readouterr().out
