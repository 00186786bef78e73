"""The portal's mapping editor: field rules, draft, preview, versions, diff and rollback."""

from __future__ import annotations

import html
import json

import pytest
from django.test import Client

from integrations.models import Flow, Mapping, MappingVersion
from integrations.services.connections import connection_create
from integrations.services.mappings import mapping_version_create
from integrations.services.pairs import pair_create_from_template
from integrations.services.runtime import compiled_mapping
from tests.connections import bigcommerce_connection, brightpearl_connection

pytestmark = pytest.mark.django_db

CONTACT_FLOW = "customer-bp-to-bc"      # Brightpearl contact -> BigCommerce v3 customer
ORDER_FLOW = "sales-order-bc-to-bp"     # BigCommerce order -> Brightpearl sales order
CONTACT = {"firstName": "Ann", "lastName": "Berg", "organisation": {"jobTitle": "Buyer"},
           "communication": {"emails": {"PRI": {"email": " Ann@Example.COM "}}},
           "postalAddresses": {"DEL": {"addressLine1": "1 High St", "addressLine3": "Leeds",
                                       "postalCode": "LS1 1AA", "countryIsoCode": "GBR"}}}


def _pair(bp_url: str = "http://127.0.0.1:9/brightpearl", bc_url: str = "http://127.0.0.1:9/bc"):
    brightpearl = connection_create(
        name="Brightpearl", system="brightpearl", base_url=bp_url, account="acme",
        auth_type="private_app", credentials={"private_app_ref": "app", "account_token": "t"})
    bigcommerce = connection_create(
        name="BigCommerce", system="bigcommerce", base_url=bc_url, account="store",
        auth_type="api_token", credentials={"store_hash": "store", "access_token": "t"})
    return pair_create_from_template(name="Shop", template_key="brightpearl-bigcommerce",
                                     brightpearl=brightpearl, partner=bigcommerce)


@pytest.fixture
def flow(tenant_a) -> Flow:
    return _pair().flows.get(key=CONTACT_FLOW)


def _url(flow: Flow, page: str = "") -> str:
    return f"/flows/{flow.pk}/mapping/{page}"


def _field(client: Client, flow: Flow, path: str, **data: str):
    return client.post(_url(flow, "field/"), {"field": path, **data})


def _page(client: Client, flow: Flow) -> str:
    return html.unescape(client.get(_url(flow)).content.decode())


def test_editor_lists_the_target_fields_with_their_rules(editor, flow):
    page = _page(editor, flow)
    assert '<code title="email">email</code>' in page
    assert "<code>communication.emails.PRI.email</code>" in page  # email's source path
    assert '<code class="step">trim</code><code class="step">lower</code>' in page
    assert "first non-empty of: firstName, organisation.name" in page  # first_name's rule
    assert '<code title="notes">notes</code>' in page and "not mapped" in page
    assert '<code title="addresses[].postal_code">postal_code</code>' in page  # a line's part


def test_unmapped_required_field_is_highlighted(editor, flow):
    document = flow.mapping.current_document
    del document["fields"]["last_name"]
    # A version saved before the target schema required the field (not through the checks).
    version = MappingVersion.objects.create(mapping=flow.mapping, number=2, document=document)
    Mapping.objects.filter(pk=flow.mapping_id).update(current_version=version)

    page = _page(editor, flow)
    assert 'id="f-last-name" class="missing' in page
    assert "Required by bigcommerce but not mapped: " in page
    assert "requires 'last_name' but it is not mapped" in page


def test_saving_a_field_change_creates_the_next_version_and_keeps_the_previous(editor, flow):
    before = flow.mapping.current_document
    changed = _field(editor, flow, "notes", mode="source", source_field="organisation.jobTitle")
    assert changed.status_code == 302
    assert flow.mapping.versions.count() == 1  # only the draft has it so far

    saved = editor.post(_url(flow, "save/"), {"comment": "Job title as notes", "base": 1})

    assert saved.status_code == 302
    mapping = Mapping.objects.get(pk=flow.mapping_id)
    assert mapping.current_version.number == 2
    assert mapping.current_version.comment == "Job title as notes"
    assert mapping.current_document["fields"]["notes"] == {"from": "organisation.jobTitle"}
    assert mapping.versions.get(number=1).document == before
    assert "Saved as version 2" in _page(editor, flow)


def test_flows_run_the_saved_version(editor, flow):
    before = compiled_mapping(Flow.objects.get(pk=flow.pk)).apply(CONTACT)
    assert before.ok and "notes" not in before.record

    _field(editor, flow, "notes", mode="source", source_field="organisation.jobTitle")
    editor.post(_url(flow, "save/"), {"comment": "Notes", "base": 1})

    result = compiled_mapping(Flow.objects.get(pk=flow.pk)).apply(CONTACT)
    assert result.record["notes"] == "Buyer"


def test_lookup_default_and_steps_are_saved_into_the_rule(editor, flow):
    _field(editor, flow, "company", mode="expression", expression="organisation.name",
           lookup_table="countries_iso2", lookup_on_miss="keep", default="Private",
           transforms='["trim", {"truncate": 40}]')
    editor.post(_url(flow, "save/"), {"comment": "Company", "base": 1})
    rule = Mapping.objects.get(pk=flow.mapping_id).current_document["fields"]["company"]
    assert rule == {"from": "organisation.name", "default": "Private", "transform": [
        {"lookup": {"table": "countries_iso2", "on_miss": "keep"}}, "trim", {"truncate": 40}]}


def test_invalid_expression_shows_the_compilers_message_and_saves_nothing(editor, flow):
    response = _field(editor, flow, "notes", mode="expression", expression="orderRows[?")

    page = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert "'orderRows[?' is not a valid JMESPath expression" in page
    assert 'value="orderRows[?"' in page  # what was typed is kept
    assert "Unsaved draft" not in _page(editor, flow)
    nothing = editor.post(_url(flow, "save/"), {"comment": "x", "base": 1}, follow=True)
    assert "Nothing to save" in nothing.content.decode()
    assert flow.mapping.versions.count() == 1


def test_inline_edit_form_comes_back_with_the_error_in_place(editor, flow):
    response = editor.post(_url(flow, "field/"), {
        "field": "notes", "mode": "expression", "expression": "a[?"}, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert page.startswith('<tr class="editing"')
    assert "is not a valid JMESPath expression" in page


def test_unknown_transform_step_is_refused_naming_it(editor, flow):
    response = _field(editor, flow, "notes", mode="source", source_field="firstName",
                      transforms='["uppercase"]')
    assert "unknown transform &#x27;uppercase&#x27;" in response.content.decode()


def test_steps_that_are_not_json_say_so(editor, flow):
    response = _field(editor, flow, "notes", mode="source", source_field="firstName",
                      transforms="[upper")
    assert "This is not valid JSON" in response.content.decode()


def test_save_without_a_comment_keeps_the_draft(editor, flow):
    _field(editor, flow, "notes", mode="source", source_field="firstName")
    response = editor.post(_url(flow, "save/"), {"comment": "", "base": 1})
    page = response.content.decode()
    assert response.status_code == 200
    assert "This field is required." in page and "Unsaved draft" in page
    assert flow.mapping.versions.count() == 1


def test_saving_a_draft_over_a_newer_version_asks_first(editor, flow):
    _field(editor, flow, "notes", mode="source", source_field="firstName")
    mapping_version_create(mapping=flow.mapping, document=flow.mapping.current_document,
                           created_by="colleague@example.com", comment="Theirs")
    response = editor.post(_url(flow, "save/"), {"comment": "Mine", "base": 1})
    assert "Version 2 was saved (by colleague@example.com)" in response.content.decode()
    assert flow.mapping.versions.count() == 2
    editor.post(_url(flow, "save/"), {"comment": "Mine", "base": 1, "overwrite": "on"})
    assert flow.mapping.versions.count() == 3


def test_discarding_the_draft_shows_the_current_version_again(editor, flow):
    _field(editor, flow, "notes", mode="source", source_field="firstName")
    editor.post(_url(flow, "discard/"))
    assert "Unsaved draft" not in _page(editor, flow)


def test_unmapped_field_shows_a_suggestion_that_maps_it_in_one_click(editor, flow):
    page = _page(editor, flow)
    row = page[page.index('id="f-customer-group-id"'):]
    row = row[:row.index("</tr>")]
    assert "<code" in row and "contactGroupId" in row and "Use this" in row

    _field(editor, flow, "customer_group_id", mode="source", source_field="contactGroupId")
    assert "Unsaved draft" in _page(editor, flow)


def test_a_field_of_each_line_is_changed_inside_its_lines_rule(editor, tenant_a):
    order_flow = _pair().flows.get(key=ORDER_FLOW)
    _field(editor, order_flow, "rows[].nominalCode", mode="constant", constant="4000")
    editor.post(_url(order_flow, "save/"), {"comment": "One nominal code", "base": 1})
    rows = Mapping.objects.get(pk=order_flow.mapping_id).current_document["fields"]["rows"]
    assert rows["fields"]["nominalCode"] == {"const": "4000"}
    assert rows["each"] == "[products, shipping_addresses][]"


def test_pasted_record_is_mapped_by_the_draft(editor, flow):
    _field(editor, flow, "notes", mode="source", source_field="organisation.jobTitle")
    response = editor.post(_url(flow, "preview/"), {"source": "paste",
                                                    "sample": json.dumps(CONTACT)},
                           HTTP_HX_REQUEST="true")
    page = html.unescape(response.content.decode())
    assert '"email": "ann@example.com"' in page
    assert '"notes": "Buyer"' in page
    assert "your draft (from v1)" in page


def test_pasted_invalid_json_says_so(editor, flow):
    response = editor.post(_url(flow, "preview/"), {"source": "paste", "sample": "{not json"})
    page = response.content.decode()
    assert "This is not valid JSON: Expecting property name enclosed in double quotes" in page
    assert "Mapped record" not in page


def test_preview_problems_name_the_target_field(editor, flow):
    response = editor.post(_url(flow, "preview/"), {"source": "paste", "sample": json.dumps(
        {"firstName": "Ann", "lastName": "Berg"})}, HTTP_HX_REQUEST="true")
    page = html.unescape(response.content.decode())
    assert "this record would not be sent" in page
    assert '<a href="#f-email"><code>email</code></a>' in page


def test_failed_fetch_says_why_in_plain_words(editor, flow):
    response = editor.post(_url(flow, "preview/"), {"source": "fetch"}, HTTP_HX_REQUEST="true")
    page = html.unescape(response.content.decode())
    assert "Could not reach Brightpearl at 127.0.0.1:9" in page


def test_version_history_lists_number_comment_author_and_date(editor, flow):
    mapping_version_create(mapping=flow.mapping, document=flow.mapping.current_document,
                           created_by="ann@example.com", comment="Tidy up")
    page = editor.get(_url(flow, "versions/")).content.decode()
    assert "v2" in page and "Tidy up" in page and "ann@example.com" in page
    assert "Brightpearl + BigCommerce template" in page
    assert '<span class="badge">current</span>' in page


def test_diff_shows_the_changed_field(editor, flow):
    document = flow.mapping.current_document
    document["fields"]["company"] = "organisation.jobTitle"
    mapping_version_create(mapping=flow.mapping, document=document, comment="Job title")

    page = html.unescape(editor.get(_url(flow, "diff/"), {"old": 1, "new": 2}).content.decode())

    assert "Changes from v1 to v2" in page
    assert '<tr class="change-changed">\n  <td><code>company</code>' in page
    assert '"organisation.name"' in page and '"organisation.jobTitle"' in page
    assert "<code>email</code>" not in page  # unchanged fields are not listed


def test_rollback_asks_for_confirmation_then_makes_the_older_version_current(editor, flow):
    document = flow.mapping.current_document
    document["fields"]["notes"] = "firstName"
    mapping_version_create(mapping=flow.mapping, document=document, comment="Notes")

    asked = editor.post(_url(flow, "versions/1/rollback/"))
    assert "Roll back to v1?" in asked.content.decode()
    assert Mapping.objects.get(pk=flow.mapping_id).current_version.number == 2

    editor.post(_url(flow, "versions/1/rollback/"), {"confirm": "yes"})
    mapping = Mapping.objects.get(pk=flow.mapping_id)
    assert mapping.current_version.number == 1
    assert mapping.versions.count() == 2
    assert "notes" not in compiled_mapping(Flow.objects.get(pk=flow.pk)).apply(CONTACT).record


def test_rollback_is_post_only(editor, flow):
    assert editor.get(_url(flow, "versions/1/rollback/")).status_code == 405


def test_viewer_sees_the_rules_read_only(viewer, flow):
    page = _page(viewer, flow)
    assert "<code>communication.emails.PRI.email</code>" in page
    assert "Edit</a>" not in page and "Use this" not in page


def test_viewer_cannot_change_a_field(viewer, flow):
    assert _field(viewer, flow, "notes", mode="source", source_field="firstName"
                  ).status_code == 403


def test_viewer_cannot_save_a_version(viewer, flow):
    response = viewer.post(_url(flow, "save/"), {"comment": "x", "base": 1})
    assert response.status_code == 403
    assert flow.mapping.versions.count() == 1


def test_viewer_cannot_roll_back(viewer, flow):
    mapping_version_create(mapping=flow.mapping, document=flow.mapping.current_document)
    response = viewer.post(_url(flow, "versions/1/rollback/"), {"confirm": "yes"})
    assert response.status_code == 403
    assert Mapping.objects.get(pk=flow.mapping_id).current_version.number == 2


def test_preview_of_a_real_sandbox_record_returns_the_mapped_record(editor, tenant_a,
                                                                     new_account):
    bp_account = new_account("brightpearl", seed={"customers": 2})
    pair = pair_create_from_template(
        name="Sandbox shop", template_key="brightpearl-bigcommerce",
        brightpearl=brightpearl_connection(bp_account),
        partner=bigcommerce_connection(new_account("bigcommerce")))
    contact_flow = pair.flows.get(key=CONTACT_FLOW)

    response = editor.post(_url(contact_flow, "preview/"), {"source": "fetch"},
                           HTTP_HX_REQUEST="true")

    page = html.unescape(response.content.decode())
    assert "Fetched from Brightpearl" in page, page
    output = page[page.index('id="preview-output">') + len('id="preview-output">'):]
    mapped = json.loads(output[:output.index("</pre>")])
    assert "@" in mapped["email"] and mapped["first_name"] and mapped["last_name"]
    # The record's keys now feed the source field lists.
    assert "Field lists use the last record: Fetched from Brightpearl" in _page(editor,
                                                                                contact_flow)
