"""The portal's step editor: the page, saving a version, test runs, versions, compare, rollback."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest
from django.test import Client

from integrations.models import Flow, FlowStepsVersion
from integrations.services.steps import flow_steps_document, flow_steps_save
from tests.integrations.test_mapping_editor import CONTACT, CONTACT_FLOW, _pair

pytestmark = pytest.mark.django_db

SKIP_BUYERS = {"id": "no-buyers", "kind": "filter", "name": "No buyers",
               "skip": {"from": "organisation.jobTitle", "eq": "Buyer"},
               "reason": "buyers are set up by hand"}


@pytest.fixture
def flow(tenant_a) -> Flow:
    return _pair().flows.get(key=CONTACT_FLOW)


def _with_filter(flow: Flow, step: dict[str, Any] = SKIP_BUYERS) -> dict[str, Any]:
    document = flow_steps_document(flow)
    return {**document, "steps": [step, *document["steps"]]}


def _config(client: Client, flow: Flow) -> dict[str, Any]:
    page = client.get(f"/flows/{flow.pk}/steps/").content.decode()
    found = re.search(r'<script id="steps-config" type="application/json">(.*?)</script>', page,
                      re.S)
    assert found, "the editor page carries its configuration"
    return json.loads(html.unescape(found.group(1)))


def _save(client: Client, flow: Flow, document: Any, *, base: int = 1, **extra: str):
    text = document if isinstance(document, str) else json.dumps(document)
    return client.post(f"/flows/{flow.pk}/steps/save/",
                       {"document": text, "base": str(base), **extra})


def _test(client: Client, flow: Flow, document: dict[str, Any], sample: Any):
    return client.post(f"/flows/{flow.pk}/steps/test/", {
        "document": json.dumps(document), "source": "paste", "sample": json.dumps(sample)})


def test_editor_page_hands_the_script_the_flows_document_and_its_pickers(editor, flow):
    config = _config(editor, flow)
    assert config["document"] == flow.steps_version.document
    assert config["base"] == 1 and config["readonly"] is False
    assert config["systems"]["source"]["label"] == "Brightpearl"
    assert "customer" in config["systems"]["target"]["entities"]
    assert "organisation.jobTitle" in [f["path"] for f in config["fields"]["source"]]
    assert any(f["path"] == "email" for f in config["fields"]["target"])
    assert flow.mapping.name in [m["name"] for m in config["mappings"]]
    assert config["checks"]["address"] == {"name": "Address cleansing", "applies": True,
                                           "enabled": False}


def test_editor_page_serves_its_drag_and_drop_library_from_our_static_files(editor, flow):
    page = editor.get(f"/flows/{flow.pk}/steps/").content.decode()
    scripts = re.findall(r'<script src="([^"]+)"', page)
    assert "/static/vendor/sortable-1.15.7.min.js" in scripts
    assert "/static/portal/steps.js" in scripts
    assert not [s for s in scripts if s.startswith(("http:", "https:", "//"))]


def test_without_javascript_the_page_shows_the_steps_as_json(editor, flow):
    page = html.unescape(editor.get(f"/flows/{flow.pk}/steps/").content.decode())
    shown = re.search(r'<noscript>.*?<pre class="json">(.*?)</pre></noscript>', page, re.S)
    assert shown and json.loads(shown.group(1)) == flow.steps_version.document


def test_a_viewer_sees_the_steps_read_only_and_cannot_save(viewer, flow):
    config = _config(viewer, flow)
    assert config["readonly"] is True
    assert 'id="steps-save-form"' not in viewer.get(f"/flows/{flow.pk}/steps/").content.decode()
    assert _save(viewer, flow, _with_filter(flow)).status_code == 403
    assert flow.step_versions.count() == 1


def test_saving_a_changed_document_makes_it_the_next_current_version(editor, flow):
    response = _save(editor, flow, _with_filter(flow), comment="Skip buyers")

    assert response.status_code == 200, response.content
    assert response.json() == {"version": 2, "redirect": f"/flows/{flow.pk}/steps/"}
    flow.refresh_from_db()
    assert (flow.steps_version.number, flow.steps_version.comment) == (2, "Skip buyers")
    assert flow.steps_version.document["steps"][0] == SKIP_BUYERS
    assert flow.steps_version.created_by.endswith("@example.com")
    assert "Saved as version 2" in editor.get(f"/flows/{flow.pk}/steps/").content.decode()


def test_a_document_with_mistakes_is_refused_with_each_named_by_its_step(editor, flow):
    broken = _with_filter(flow, {"id": "no-buyers", "kind": "filter",
                                 "skip": {"from": "organisation.jobTitle", "eqq": "Buyer"}})
    broken["steps"].append({"id": "late", "kind": "validate", "rules": []})

    response = _save(editor, flow, broken)

    assert response.status_code == 400
    body = response.json()
    assert body["message"] == "The steps have 2 mistakes; nothing was saved."
    steps = {p["step"]: p for p in body["problems"]}
    assert steps["no-buyers"]["where"] == "steps[0].skip"
    assert "exactly one operator" in steps["no-buyers"]["message"]
    assert "late" in steps
    assert flow.step_versions.count() == 1


def test_steps_that_are_not_json_are_refused_saying_where(editor, flow):
    response = _save(editor, flow, '{"steps": [')
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["problems"][0]["message"]
    assert flow.step_versions.count() == 1


def test_saving_over_a_version_saved_since_the_editor_opened_asks_first(editor, flow):
    mine = _with_filter(flow, {**SKIP_BUYERS, "reason": "mine"})
    flow_steps_save(flow=flow, document=_with_filter(flow), created_by="ann@example.com")

    refused = _save(editor, flow, mine, base=1)
    assert refused.status_code == 409
    assert "Version 2 was saved (by ann@example.com)" in refused.json()["message"]

    forced = _save(editor, flow, mine, base=1, overwrite="on")
    assert forced.status_code == 200
    assert Flow.objects.get(pk=flow.pk).steps_version.document == mine


def test_saving_the_current_steps_again_saves_nothing(editor, flow):
    response = _save(editor, flow, flow.steps_version.document)
    assert response.status_code == 400
    assert response.json()["message"] == "Nothing to save: these are the steps of version 1."


def test_a_test_run_of_a_skipping_filter_says_which_step_skipped_and_why(editor, flow):
    result = _test(editor, flow, _with_filter(flow), CONTACT).json()

    assert result["outcome"] == "skip"
    assert result["message"] == ("Skipped by Step 'No buyers' (filter): buyers are set up by "
                                 "hand.")
    assert [t["step"] for t in result["trace"]] == ["no-buyers"]
    assert result["trace"][0]["input"]["firstName"] == "Ann"
    assert flow.step_versions.count() == 1


def test_a_test_run_of_a_passing_record_shows_what_would_be_written(editor, flow):
    other = {**CONTACT, "organisation": {"jobTitle": "Owner"}}

    result = _test(editor, flow, _with_filter(flow), other).json()

    assert result["outcome"] == "write", result
    assert result["message"] == "Would create a customer record in BigCommerce."
    assert result["record"]["email"] == "ann@example.com"
    assert result["trace"][0]["decision"] == "passed"
    assert result["origin"] == "Pasted"


def test_a_viewer_can_test_run_steps(viewer, flow):
    assert _test(viewer, flow, _with_filter(flow), CONTACT).json()["outcome"] == "skip"


def test_a_test_run_that_cannot_fetch_its_record_says_why(editor, flow):
    response = editor.post(f"/flows/{flow.pk}/steps/test/", {
        "document": json.dumps(_with_filter(flow)), "source": "fetch", "record_id": "207"})
    assert response.status_code == 400
    assert response.json()["outcome"] == "no-sample"
    assert response.json()["message"]


def test_a_test_run_without_a_pasted_record_asks_for_one(editor, flow):
    response = editor.post(f"/flows/{flow.pk}/steps/test/", {
        "document": json.dumps(_with_filter(flow)), "source": "paste", "sample": ""})
    assert response.status_code == 400
    assert response.json()["problems"][0] == {
        "where": "sample", "step": "", "message": "Paste the source record as JSON."}


def test_versions_page_lists_every_version_with_the_current_one_marked(editor, flow):
    flow_steps_save(flow=flow, document=_with_filter(flow), comment="Skip buyers")
    page = html.unescape(editor.get(f"/flows/{flow.pk}/steps/versions/").content.decode())
    assert '<tr class="current">\n  <td>v2 <span class="badge">current</span>' in page
    assert "Skip buyers" in page
    assert "Roll back to v1…" in page


def test_compare_shows_the_steps_added_between_two_versions(editor, flow):
    flow_steps_save(flow=flow, document=_with_filter(flow))
    page = html.unescape(editor.get(f"/flows/{flow.pk}/steps/compare/?old=1&new=2")
                         .content.decode())
    assert '<tr class="change-added"><td><code>no-buyers</code>' in page
    assert "<code>steps[0]</code>" in page


def test_compare_of_a_version_that_does_not_exist_is_not_found(editor, flow):
    assert editor.get(f"/flows/{flow.pk}/steps/compare/?old=9").status_code == 404


def test_rollback_asks_first_then_makes_the_old_version_current(editor, flow):
    flow_steps_save(flow=flow, document=_with_filter(flow))
    url = f"/flows/{flow.pk}/steps/versions/1/rollback/"

    asked = html.unescape(editor.post(url).content.decode())
    assert "Roll the steps back to v1?" in asked and "no-buyers" in asked
    assert Flow.objects.get(pk=flow.pk).steps_version.number == 2

    done = editor.post(url, {"confirm": "yes"}, follow=True)
    assert Flow.objects.get(pk=flow.pk).steps_version.number == 1
    assert "Version 1 of the steps is current again" in done.content.decode()
    assert FlowStepsVersion.objects.filter(flow=flow).count() == 2


def test_a_viewer_cannot_roll_back(viewer, flow):
    flow_steps_save(flow=flow, document=_with_filter(flow))
    assert viewer.post(f"/flows/{flow.pk}/steps/versions/1/rollback/",
                       {"confirm": "yes"}).status_code == 403


def test_the_pair_page_links_each_flow_to_its_steps(editor, flow):
    page = editor.get(f"/integrations/{flow.pair_id}/").content.decode()
    assert f'<a href="/flows/{flow.pk}/steps/">v1 · Steps</a>' in page
