import pytest
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from accounts.models import User
from integrations.models import Connection, DeadLetter, Operation
from tests.conftest import TEST_PASSWORD, inside
from tests.factories import DeadLetterFactory, FlowFactory, TransactionFactory, UserFactory

pytestmark = pytest.mark.django_db

PUBLIC = "localhost"
DATA = "/admin/tenant/alpha/integrations"


def _staff(email: str, *, superuser: bool) -> User:
    with schema_context("public"):
        if superuser:
            return User.objects.create_superuser(email, TEST_PASSWORD)
        return User.objects.create_user(email, TEST_PASSWORD, is_staff=True)


@pytest.fixture
def superuser_client(client, django_db_setup):
    _staff("root@clarity.example.com", superuser=True)
    client.login(username="root@clarity.example.com", password=TEST_PASSWORD)
    return client


def _connection(tenant, name: str) -> Connection:
    with inside(tenant):
        return Connection.objects.create(
            name=name, system="bigcommerce", base_url="http://127.0.0.1:8100/bigcommerce",
            account="store1", auth_type="api_token",
            credentials={"store_hash": "store1", "access_token": "tok_secret_value_123"})


def test_staff_see_a_tenants_connections_in_its_data_admin(superuser_client, tenant_a, tenant_b):
    _connection(tenant_a, "Alpha store")
    _connection(tenant_b, "Beta store")
    connection.set_schema_to_public()

    page = superuser_client.get("/admin/tenant/alpha/integrations/connection/",
                                HTTP_HOST=PUBLIC).content.decode()

    assert "Alpha store" in page
    assert "Beta store" not in page


def test_connection_page_shows_masked_credentials_only(superuser_client, tenant_a):
    saved = _connection(tenant_a, "Alpha store")
    connection.set_schema_to_public()

    page = superuser_client.get(f"/admin/tenant/alpha/integrations/connection/{saved.pk}/change/",
                                HTTP_HOST=PUBLIC).content.decode()

    assert "tok_secret_value_123" not in page
    assert "••••_123" in page


def test_links_in_the_tenant_data_admin_stay_in_that_tenant(superuser_client, tenant_a):
    page = superuser_client.get("/admin/tenant/alpha/", HTTP_HOST=PUBLIC).content.decode()
    assert 'href="/admin/tenant/alpha/integrations/connection/"' in page
    assert "Alpha Retail" in page


def test_unknown_tenant_slug_is_404(superuser_client):
    assert superuser_client.get("/admin/tenant/nobody/", HTTP_HOST=PUBLIC).status_code == 404


def test_staff_without_superuser_rights_are_sent_to_login(client, tenant_a):
    _staff("helpdesk@clarity.example.com", superuser=False)
    client.login(username="helpdesk@clarity.example.com", password=TEST_PASSWORD)
    response = client.get("/admin/tenant/alpha/", HTTP_HOST=PUBLIC)
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_anonymous_visitors_cannot_open_tenant_data(client, tenant_a):
    response = client.get("/admin/tenant/alpha/integrations/connection/", HTTP_HOST=PUBLIC)
    assert response.status_code == 302


def test_tenant_data_admin_is_not_served_on_tenant_domains(superuser_client, tenant_a):
    response = superuser_client.get("/admin/tenant/alpha/", HTTP_HOST="alpha.localhost")
    assert response.status_code == 404


def test_request_leaves_the_connection_on_the_public_schema(superuser_client, tenant_a):
    superuser_client.get("/admin/tenant/alpha/", HTTP_HOST=PUBLIC)
    assert connection.schema_name == "public"


# The read-only window onto a tenant's running integration.

SECRET_RECORD = {"id": 7, "customer": {"name": "Ada Lovelace", "password": "hunter2-secret"},
                 "card_number": "4111111111111111"}


def test_staff_see_a_tenants_pairs_with_their_flows(superuser_client, tenant_a):
    flow = FlowFactory(name="Sales orders: BigCommerce → Brightpearl", pair__name="Web shop")
    connection.set_schema_to_public()

    pairs = superuser_client.get(f"{DATA}/integrationpair/", HTTP_HOST=PUBLIC).content.decode()
    page = superuser_client.get(f"{DATA}/integrationpair/{flow.pair_id}/change/",
                                HTTP_HOST=PUBLIC).content.decode()

    assert "Web shop" in pairs
    assert "Sales orders: BigCommerce → Brightpearl" in page
    assert f'href="{DATA}/flow/{flow.pk}/change/"' in page


@pytest.mark.parametrize("model", ["integrationpair", "flow", "transaction", "deadletter",
                                   "inboundevent"])
def test_pairs_flows_and_logs_cannot_be_added_changed_or_deleted(superuser_client, tenant_a,
                                                                  model):
    letter = DeadLetterFactory()
    TransactionFactory(flow=letter.flow, event=letter.event)
    pk = {"integrationpair": letter.flow.pair_id, "flow": letter.flow_id,
          "transaction": letter.flow.transactions.get().pk, "deadletter": letter.pk,
          "inboundevent": letter.event_id}[model]
    connection.set_schema_to_public()

    view = superuser_client.get(f"{DATA}/{model}/{pk}/change/", HTTP_HOST=PUBLIC)
    assert view.status_code == 200
    assert 'name="_save"' not in view.content.decode()
    assert superuser_client.get(f"{DATA}/{model}/add/", HTTP_HOST=PUBLIC).status_code == 403
    assert superuser_client.post(f"{DATA}/{model}/{pk}/change/", {},
                                 HTTP_HOST=PUBLIC).status_code == 403
    assert superuser_client.post(f"{DATA}/{model}/{pk}/delete/", {"post": "yes"},
                                 HTTP_HOST=PUBLIC).status_code == 403
    with inside(tenant_a):
        assert DeadLetter.objects.filter(pk=letter.pk).exists()


def test_transaction_records_are_shown_redacted(superuser_client, tenant_a):
    tx = TransactionFactory(source_record=SECRET_RECORD, target_record={"token": "tok-9"})
    connection.set_schema_to_public()

    page = superuser_client.get(f"{DATA}/transaction/{tx.pk}/change/",
                                HTTP_HOST=PUBLIC).content.decode()

    assert "Ada Lovelace" in page
    assert "[redacted]" in page
    for secret in ("hunter2-secret", "4111111111111111", "tok-9"):
        assert secret not in page


def test_dead_letter_and_inbound_event_records_are_shown_redacted(superuser_client, tenant_a):
    letter = DeadLetterFactory(source_record=SECRET_RECORD, mapped_record=SECRET_RECORD,
                               event__payload=SECRET_RECORD)
    connection.set_schema_to_public()

    for url in (f"{DATA}/deadletter/{letter.pk}/change/",
                f"{DATA}/inboundevent/{letter.event_id}/change/"):
        page = superuser_client.get(url, HTTP_HOST=PUBLIC).content.decode()
        assert "[redacted]" in page, url
        assert "hunter2-secret" not in page and "4111111111111111" not in page, url


def test_transaction_log_is_searched_and_filtered(superuser_client, tenant_a):
    TransactionFactory(source_id="ORDER-1001", status="success")
    TransactionFactory(source_id="ORDER-2002", status="failed", message="SKU unknown")
    connection.set_schema_to_public()

    found = superuser_client.get(f"{DATA}/transaction/?q=ORDER-2002",
                                 HTTP_HOST=PUBLIC).content.decode()
    failed = superuser_client.get(f"{DATA}/transaction/?status__exact=failed",
                                  HTTP_HOST=PUBLIC).content.decode()

    assert "ORDER-2002" in found and "ORDER-1001" not in found
    assert "ORDER-2002" in failed and "ORDER-1001" not in failed


def test_dead_letters_are_filtered_by_resolution(superuser_client, tenant_a):
    DeadLetterFactory(reason="Still waiting for a fix")
    DeadLetterFactory(reason="Replayed already", resolution="replayed")
    connection.set_schema_to_public()

    page = superuser_client.get(f"{DATA}/deadletter/?resolution__exact=open",
                                HTTP_HOST=PUBLIC).content.decode()

    assert "Still waiting for a fix" in page
    assert "Replayed already" not in page


def test_another_tenants_transactions_are_not_shown(superuser_client, tenant_a, tenant_b):
    TransactionFactory(source_id="ALPHA-1")
    with inside(tenant_b):
        TransactionFactory(source_id="BETA-1")
    connection.set_schema_to_public()

    page = superuser_client.get(f"{DATA}/transaction/", HTTP_HOST=PUBLIC).content.decode()

    assert "ALPHA-1" in page
    assert "BETA-1" not in page


def test_mappings_and_lookup_entries_offer_import_and_export_in_the_tenant(superuser_client,
                                                                            tenant_a):
    for model in ("mapping", "lookupentry"):
        page = superuser_client.get(f"{DATA}/{model}/", HTTP_HOST=PUBLIC).content.decode()
        assert f"href='{DATA}/{model}/import/'" in page, model
        assert f'href="{DATA}/{model}/export/' in page, model


# Tenant users never reach the staff admin.

def _tenant_superuser(tenant) -> User:
    """A tenant owner whose row, in their own schema, has the staff flags set by mistake."""
    with inside(tenant):
        return UserFactory(email="owner-staff@alpha.example.com", role=User.Role.OWNER,
                           is_staff=True, is_superuser=True)


def test_admin_is_not_served_on_a_tenant_domain_even_to_a_tenant_superuser(tenant_a):
    client = Client(HTTP_HOST="alpha.localhost")
    client.force_login(_tenant_superuser(tenant_a))

    for path in ("/admin/", "/admin/login/", "/admin/tenants/tenant/", "/admin/tenant/alpha/",
                 "/admin/tenant/alpha/integrations/transaction/"):
        assert client.get(path).status_code == 404, path


def test_a_tenant_users_password_does_not_sign_in_to_the_staff_admin(client, tenant_a):
    user = _tenant_superuser(tenant_a)
    connection.set_schema_to_public()

    response = client.post("/admin/login/?next=/admin/", {
        "username": user.email, "password": TEST_PASSWORD}, HTTP_HOST=PUBLIC)

    assert response.status_code == 200
    assert "Please enter the correct email" in response.content.decode()
    assert client.get("/admin/", HTTP_HOST=PUBLIC).status_code == 302


def test_a_tenant_session_is_no_session_on_the_public_site(tenant_a):
    tenant_client = Client(HTTP_HOST="alpha.localhost")
    tenant_client.force_login(_tenant_superuser(tenant_a))
    session_id = tenant_client.cookies["sessionid"].value
    connection.set_schema_to_public()
    public = Client(HTTP_HOST=PUBLIC)
    public.cookies["sessionid"] = session_id

    for path in ("/admin/", "/admin/tenant/alpha/"):
        response = public.get(path)
        assert response.status_code == 302, path
        assert "/login/" in response["Location"], path


def test_staff_see_a_tenants_operations_read_only(superuser_client, tenant_a):
    Operation.objects.create(kind=Operation.Kind.REPLAY, label="Replay 3 dead letters",
                             total=3, done=3, status=Operation.Status.DONE,
                             created_by="owner@alpha.example.com")
    page = superuser_client.get("/admin/tenant/alpha/integrations/operation/",
                                HTTP_HOST=PUBLIC)
    assert page.status_code == 200
    assert "Replay 3 dead letters" in page.content.decode()
    assert superuser_client.get("/admin/tenant/alpha/integrations/operation/add/",
                                HTTP_HOST=PUBLIC).status_code == 403


def test_staff_see_the_steps_a_flow_runs_and_its_step_versions(superuser_client, tenant_a):
    from integrations.services.steps import flow_default_document, flow_steps_save

    flow = FlowFactory(name="Orders")
    with inside(tenant_a):
        document = flow_default_document(flow)
        document["steps"].insert(0, {"id": "no-tests", "kind": "filter", "name": "No tests",
                                     "skip": {"from": "reference", "starts_with": "TEST"}})
        flow_steps_save(flow=flow, document=document, created_by="ops@alpha.example.com",
                        comment="skip test orders")
    connection.set_schema_to_public()

    page = superuser_client.get(f"{DATA}/flow/{flow.pk}/change/", HTTP_HOST=PUBLIC
                                ).content.decode()
    listing = superuser_client.get(f"{DATA}/flow/", HTTP_HOST=PUBLIC).content.decode()

    assert "no-tests" in page
    assert "skip test orders" in page
    assert ">v1<" in listing
