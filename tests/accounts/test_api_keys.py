"""Per-tenant API keys: made and revoked in the portal, checked on every /api/v1/ request."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.db import connection as db
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import ApiKey, User
from accounts.services import api_key_create, api_key_revoke
from integrations.models import InboundEvent
from tests.conftest import TEST_PASSWORD, inside
from tests.factories import UserFactory
from tests.integrations.sync.conftest import bc_pair  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

ALPHA = "alpha.localhost"
BETA = "beta.localhost"
ECHO = "/api/v1/test-echo/"


@pytest.fixture(autouse=True)
def _echo_urls(settings) -> None:
    settings.ROOT_URLCONF = "tests.accounts.api_urls"


def _key(scope: str = ApiKey.Scope.READ_WRITE) -> tuple[ApiKey, str]:
    return api_key_create(name="Dashboard", scope=scope, created_by="owner@alpha.example.com")


def _call(method: str, plain_key: str, *, host: str = ALPHA, keyword: str = "Bearer"):
    return getattr(Client(), method)(ECHO, HTTP_HOST=host,
                                     HTTP_AUTHORIZATION=f"{keyword} {plain_key}")


def _editor(role: str = User.Role.ADMIN) -> Client:
    client = Client(HTTP_HOST=ALPHA)
    client.force_login(UserFactory(role=role))
    return client


def test_a_created_key_authenticates_a_get(tenant_a):
    api_key, plain_key = _key()
    response = _call("get", plain_key)
    assert response.status_code == 200
    assert api_key.prefix in response.json()["user"]


def test_the_api_key_keyword_is_accepted_as_well_as_bearer(tenant_a):
    _, plain_key = _key()
    assert _call("get", plain_key, keyword="Api-Key").status_code == 200


def test_keys_start_with_the_clarity_marker(tenant_a):
    _, plain_key = _key()
    assert plain_key.startswith("cc_")


def test_a_read_key_is_refused_on_post_saying_it_is_read_only(tenant_a):
    _, plain_key = _key(ApiKey.Scope.READ)
    response = _call("post", plain_key)
    assert response.status_code == 403
    assert "read-only" in response.content.decode()


def test_a_read_write_key_may_post(tenant_a):
    _, plain_key = _key(ApiKey.Scope.READ_WRITE)
    assert _call("post", plain_key).status_code == 201


def test_a_revoked_key_is_refused(tenant_a):
    api_key, plain_key = _key()
    api_key_revoke(api_key=api_key, by="owner@alpha.example.com")
    response = _call("get", plain_key)
    assert response.status_code == 401
    assert "This API key was revoked." in response.content.decode()


def test_an_expired_key_is_refused(tenant_a):
    api_key, plain_key = _key()
    ApiKey.objects.filter(pk=api_key.pk).update(expiry_date=timezone.now() - timedelta(days=1))
    response = _call("get", plain_key)
    assert response.status_code == 401
    assert "expired" in response.content.decode()


def test_an_unknown_key_is_refused(tenant_a):
    response = _call("get", "cc_nothere.0123456789abcdef0123456789abcdef")
    assert response.status_code == 401
    assert "Unknown API key." in response.content.decode()


def test_a_known_prefix_with_the_wrong_secret_is_unknown(tenant_a):
    api_key, _ = _key()
    response = _call("get", f"{api_key.prefix}.wrong-secret")
    assert response.status_code == 401
    assert "Unknown API key." in response.content.decode()


def test_no_credentials_get_a_401_with_a_bearer_challenge(tenant_a):
    response = Client().get(ECHO, HTTP_HOST=ALPHA)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_tenant_a_key_is_refused_on_tenant_b_domain(tenant_a, tenant_b):
    _, plain_key = _key()
    response = _call("get", plain_key, host=BETA)
    assert response.status_code == 401
    assert "Unknown API key." in response.content.decode()


def test_the_key_is_stored_hashed_never_in_plain(tenant_a):
    api_key, plain_key = _key()
    secret = plain_key.partition(".")[2]
    with db.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_apikey WHERE prefix = %s", [api_key.prefix])
        row = " ".join(str(value) for value in cursor.fetchone())
    assert secret not in row
    assert api_key.hashed_key.startswith("sha512$$")


def test_use_is_recorded_at_most_once_a_minute(tenant_a):
    api_key, plain_key = _key()
    _call("get", plain_key)
    first = ApiKey.objects.get(pk=api_key.pk).last_used_at
    _call("get", plain_key)
    assert first is not None
    assert ApiKey.objects.get(pk=api_key.pk).last_used_at == first


def test_a_portal_session_may_use_the_api(tenant_a):
    assert _editor().post(ECHO).status_code == 201


def test_a_viewer_session_may_only_read_the_api(tenant_a):
    viewer = _editor(User.Role.VIEWER)
    assert viewer.get(ECHO).status_code == 200
    assert viewer.post(ECHO).status_code == 403


def test_a_client_over_its_rate_gets_429(tenant_a, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {"api_client": "2/min"}}
    _, plain_key = _key()
    statuses = [_call("get", plain_key).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_one_clients_rate_does_not_throttle_another(tenant_a, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                               "DEFAULT_THROTTLE_RATES": {"api_client": "1/min"}}
    _, busy = _key()
    _, other = _key()
    _call("get", busy)
    assert _call("get", busy).status_code == 429
    assert _call("get", other).status_code == 200


def test_the_portal_shows_a_new_key_once_and_lists_it(tenant_a):
    editor = _editor()
    created = editor.post("/api-keys/new/", {"name": "Warehouse", "scope": "read"})
    page = created.content.decode()
    api_key = ApiKey.objects.get(name="Warehouse")
    plain_key = page.split('id="api-key" style="word-break:break-all">')[1].split("<")[0]
    assert "will not be shown again" in page
    assert ApiKey.objects.get_from_key(plain_key) == api_key
    listing = editor.get("/api-keys/").content.decode()
    assert api_key.prefix in listing
    assert plain_key not in listing


def test_a_viewer_cannot_create_a_key(tenant_a):
    response = _editor(User.Role.VIEWER).post("/api-keys/new/", {"name": "X", "scope": "read"})
    assert response.status_code == 403
    assert not ApiKey.objects.exists()


def test_revoking_in_the_portal_asks_first_then_refuses_the_key(tenant_a):
    api_key, plain_key = _key()
    editor = _editor()
    confirm = editor.get(f"/api-keys/{api_key.prefix}/revoke/")
    assert "This cannot be undone." in confirm.content.decode()
    assert not ApiKey.objects.get(pk=api_key.pk).revoked
    editor.post(f"/api-keys/{api_key.prefix}/revoke/")
    assert ApiKey.objects.get(pk=api_key.pk).revoked
    assert _call("get", plain_key).status_code == 401


@pytest.fixture
def staff_client(tenant_a) -> Client:
    client = Client(HTTP_HOST="localhost")
    # Staff and their sessions live in the public schema.
    with schema_context("public"):
        User.objects.create_superuser("root@clarity.example.com", TEST_PASSWORD)
        client.login(username="root@clarity.example.com", password=TEST_PASSWORD)
    return client


def test_staff_revoke_a_tenants_key_from_its_data_admin(staff_client, tenant_a):
    api_key, _ = _key()
    db.set_schema_to_public()
    url = "/admin/tenant/alpha/accounts/apikey/"

    assert api_key.prefix in staff_client.get(url).content.decode()
    staff_client.post(url, {"action": "revoke_keys", "_selected_action": [api_key.pk]})

    with inside(tenant_a):
        assert ApiKey.objects.get(pk=api_key.pk).revoked_by == "root@clarity.example.com"



def test_staff_create_a_key_in_the_data_admin_and_see_it_once(staff_client, tenant_a):
    db.set_schema_to_public()
    answer = staff_client.post("/admin/tenant/alpha/accounts/apikey/add/",
                               {"name": "ERP bridge", "scope": "read"}, follow=True)

    page = answer.content.decode()
    shown = re.search(r"(cc_[A-Za-z0-9]+\.[A-Za-z0-9]+)", page)
    assert shown, page[:2000]
    with inside(tenant_a):
        api_key = ApiKey.objects.get(name="ERP bridge")
        assert api_key.created_by == "root@clarity.example.com"
        assert api_key.scope == "read"
        assert shown.group(1) not in api_key.hashed_key
    again = staff_client.get(f"/admin/tenant/alpha/accounts/apikey/{api_key.pk}/change/")
    assert shown.group(1) not in again.content.decode()

def _deliver(pair: dict, order_id: int):
    connection = pair["pair"].partner
    body = json.dumps({"store_id": "1001", "producer": "stores/abc",
                       "scope": "store/order/created", "data": {"type": "order", "id": order_id},
                       "hash": f"h{order_id}", "created_at": 1_700_000_000}).encode()
    db.set_schema_to_public()
    return Client().post(f"/api/v1/webhooks/bigcommerce/{connection.pk}/", body,
                         content_type="application/json", HTTP_HOST=ALPHA,
                         HTTP_X_CLARITY_WEBHOOK_SECRET=connection.webhook_secret)


@pytest.fixture
def fresh_webhook_counters() -> None:
    """Connection ids restart with each test database while Redis keeps this minute's counts:
    a run right after another would find its connection's count already used up."""
    from config.redis import redis_client
    from integrations.views.webhooks import webhook_rate_forget

    client = redis_client()
    for key in client.scan_iter("webhook-rate:*"):
        client.delete(key)
    webhook_rate_forget()


def test_a_webhook_connection_over_its_rate_gets_429_and_nothing_is_stored(
        bc_pair, settings, tenant_a, fresh_webhook_counters):  # noqa: F811
    settings.WEBHOOK_RATE_PER_MIN = 1
    assert _deliver(bc_pair, 901).status_code == 202
    response = _deliver(bc_pair, 902)

    assert response.status_code == 429
    error = response.json()["error"]
    assert error["code"] == "throttled"
    assert int(response["Retry-After"]) == error["details"]["retry_after_s"] > 0
    with inside(tenant_a):
        assert not InboundEvent.objects.filter(external_id="902").exists()


def test_a_key_made_in_the_portal_can_expire_on_a_chosen_day(tenant_a):
    _editor().post("/api-keys/new/", {"name": "Audit", "scope": "read",
                                      "expires_on": "2099-01-31"})
    assert ApiKey.objects.get(name="Audit").expiry_date.isoformat() == "2099-01-31T00:00:00+00:00"


def test_an_expiry_day_in_the_past_is_refused_and_no_key_is_made(tenant_a):
    response = _editor().post("/api-keys/new/", {"name": "Old", "scope": "read",
                                                 "expires_on": "2020-01-01"})
    assert "Choose a day after today" in response.content.decode()
    assert not ApiKey.objects.filter(name="Old").exists()
