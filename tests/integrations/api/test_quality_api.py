"""The data-quality API: a flow's settings, and approving or linking records a check held."""

from __future__ import annotations

import pytest

from integrations.models import DeadLetter, RecordLink
from tests.integrations.api.conftest import BETA, api_client, dead_letter_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer_flow(pair):
    return pair.flows.get(key="customer-bc-to-bp")


def _held(flow, external_id: str = "9") -> DeadLetter:
    letter = dead_letter_make(flow, external_id, error_class="HeldForReview")
    DeadLetter.objects.filter(pk=letter.pk).update(problems=[{
        "target_path": "", "source_path": "", "kind": "quality.dedupe", "check": "dedupe",
        "message": "Looks like contact 207.", "data": {"target_id": "207", "candidates": []}}])
    letter.refresh_from_db()
    return letter


def test_a_flows_settings_say_which_checks_apply_and_their_values(order_flow, admin):
    body = api_client(admin).get(f"/api/v1/flows/{order_flow.pk}/quality/").json()

    assert body["applies"] == ["address", "anomaly"]
    assert body["settings"]["anomaly"]["enabled"] is False
    assert body["settings"]["dedupe"]["enabled"] is False


def test_an_admin_turns_a_check_on_and_other_settings_keep_theirs(customer_flow, admin):
    client = api_client(admin)
    client.patch(f"/api/v1/flows/{customer_flow.pk}/quality/",
                 {"address": {"enabled": True}}, format="json")
    answer = client.patch(f"/api/v1/flows/{customer_flow.pk}/quality/",
                          {"dedupe": {"enabled": True, "action": "link"}}, format="json")

    assert answer.status_code == 200
    settings = answer.json()["settings"]
    assert settings["dedupe"]["action"] == "link" and settings["address"]["enabled"] is True


def test_a_bad_setting_is_a_400_naming_it_and_nothing_changes(customer_flow, admin):
    answer = api_client(admin).patch(f"/api/v1/flows/{customer_flow.pk}/quality/",
                                     {"dedupe": {"threshold": 3}}, format="json")

    assert answer.status_code == 400
    assert "dedupe.threshold" in answer.json()["error"]["details"]["quality"][0]
    customer_flow.refresh_from_db()
    assert customer_flow.quality == {}


def test_a_viewer_reads_the_settings_but_cannot_change_them(customer_flow, viewer):
    client = api_client(viewer)
    assert client.get(f"/api/v1/flows/{customer_flow.pk}/quality/").status_code == 200
    answer = client.patch(f"/api/v1/flows/{customer_flow.pk}/quality/",
                          {"dedupe": {"enabled": True}}, format="json")
    assert answer.status_code == 403


def test_another_tenants_flow_is_not_found(customer_flow, admin):
    answer = api_client(admin, host=BETA).get(f"/api/v1/flows/{customer_flow.pk}/quality/")
    assert answer.status_code in (401, 403, 404)


def test_approving_a_held_record_replays_it(customer_flow, admin):
    letter = _held(customer_flow)

    answer = api_client(admin).post(f"/api/v1/dead-letters/{letter.pk}/approve/")

    assert answer.json() == {"count": 1}
    letter.refresh_from_db()
    assert letter.resolution == DeadLetter.Resolution.REPLAYED


def test_approving_a_dead_letter_no_check_held_is_a_400(customer_flow, admin):
    letter = dead_letter_make(customer_flow, "10")

    answer = api_client(admin).post(f"/api/v1/dead-letters/{letter.pk}/approve/")

    assert answer.status_code == 400
    assert "was not held by a data-quality check" in str(answer.json())


def test_linking_a_held_duplicate_to_the_match_replays_it_as_an_update(customer_flow, admin):
    letter = _held(customer_flow)

    answer = api_client(admin).post(f"/api/v1/dead-letters/{letter.pk}/link/",
                                    {"target_id": "207"}, format="json")

    assert answer.json() == {"count": 1}
    assert RecordLink.objects.get(flow=customer_flow, source_id="9").target_id == "207"


def test_linking_to_a_record_the_check_did_not_find_is_a_400(customer_flow, admin):
    letter = _held(customer_flow)

    answer = api_client(admin).post(f"/api/v1/dead-letters/{letter.pk}/link/",
                                    {"target_id": "555"}, format="json")

    assert answer.status_code == 400
    assert "555 is not one of the records" in answer.json()["error"]["details"]["target_id"][0]
    assert not RecordLink.objects.exists()
