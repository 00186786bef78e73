import json

import pytest
from django.core.exceptions import ValidationError

from integrations.models import ImmutableVersionError, LookupTable, Mapping
from integrations.services.mappings import (
    lookup_table_set,
    mapping_create,
    mapping_preview,
    mapping_rollback,
    mapping_version_create,
    mapping_versions_diff,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def channels(tenant_a) -> LookupTable:
    return lookup_table_set(name="channels", entries={"1": "WEB"})


def document(**fields) -> dict:
    return {
        "format_version": 1,
        "name": "Order to ERP",
        "source": {"system": "brightpearl", "entity": "order"},
        "target": {"system": "test", "entity": "order"},
        "fields": {"OrderRef": "reference", "Channel": {
            "from": "channelId",
            "transform": [{"lookup": {"table": "channels", "default": "WEB"}}]},
            **fields},
    }


def test_new_mapping_starts_at_version_one_and_records_its_systems(tenant_a):
    mapping = mapping_create(name="Orders", document=document(), created_by="a@b.c")
    assert mapping.current_version.number == 1
    assert (mapping.source_system, mapping.target_system) == ("brightpearl", "test")


def test_every_edit_is_a_new_version_that_becomes_current(tenant_a):
    mapping = mapping_create(name="Orders", document=document())
    version = mapping_version_create(mapping=mapping, document=document(Note="reference"))
    mapping.refresh_from_db()
    assert version.number == 2
    assert mapping.current_version == version
    assert mapping.versions.count() == 2


def test_saved_versions_cannot_be_changed(tenant_a):
    version = mapping_create(name="Orders", document=document()).current_version
    version.document = {}
    with pytest.raises(ImmutableVersionError, match="cannot be changed; save a new version"):
        version.save()


def test_rollback_points_at_an_older_version_and_keeps_history(tenant_a):
    mapping = mapping_create(name="Orders", document=document())
    mapping_version_create(mapping=mapping, document=document(Note="reference"))
    mapping_rollback(mapping=mapping, number=1)
    mapping.refresh_from_db()
    assert mapping.current_version.number == 1
    assert mapping.versions.count() == 2


def test_rollback_to_a_missing_version_says_which(tenant_a):
    mapping = mapping_create(name="Orders", document=document())
    with pytest.raises(ValidationError, match="'Orders' has no version 7"):
        mapping_rollback(mapping=mapping, number=7)


def test_diff_lists_added_removed_and_changed_fields(tenant_a):
    mapping = mapping_create(name="Orders", document=document(Note="reference"))
    old = mapping.current_version
    new_doc = document(Customer="parties.customer.contactId")
    new_doc["fields"]["OrderRef"] = "id"
    new = mapping_version_create(mapping=mapping, document=new_doc)

    changes = {(c.path, c.change): (c.before, c.after)
               for c in mapping_versions_diff(old=old, new=new)}

    assert changes == {
        ("fields.Customer", "added"): (None, "parties.customer.contactId"),
        ("fields.Note", "removed"): ("reference", None),
        ("fields.OrderRef", "changed"): ("reference", "id"),
    }


def test_invalid_document_is_refused_naming_the_field_and_rule(tenant_a):
    bad = document(Total={"from": "total", "transform": ["no_such_step"]})
    with pytest.raises(ValidationError) as excinfo:
        mapping_create(name="Broken", document=bad)
    [message] = excinfo.value.message_dict["document"]
    assert message.startswith("fields.Total.transform[0]: unknown transform 'no_such_step'")
    assert not Mapping.objects.filter(name="Broken").exists()


def test_document_naming_a_missing_lookup_table_is_refused(tenant_a):
    bad = document(Region={"from": "x", "transform": [{"lookup": {"table": "regions"}}]})
    with pytest.raises(ValidationError, match="lookup table 'regions' was not supplied"):
        mapping_create(name="Regions", document=bad)


def test_preview_uses_the_tenants_lookup_tables(tenant_a):
    lookup_table_set(name="channels", entries={"3": "EBAY"})
    result = mapping_preview(document=document(), sample={"reference": "R1", "channelId": 3})
    assert result.problems == []
    assert result.record == {"OrderRef": "R1", "Channel": "EBAY"}


def test_preview_of_a_bad_sample_reports_problems_not_a_traceback(tenant_a):
    result = mapping_preview(document=document(), sample=["not", "a", "record"])
    assert result.record is None
    assert result.problems[0]["message"] == "The sample must be a JSON object (a record)."


def test_lookup_table_set_replaces_the_entries(tenant_a):
    lookup_table_set(name="channels", entries={"1": "WEB", "2": "SHOP"})
    table = lookup_table_set(name="channels", entries={"1": "ONLINE"})
    assert dict(table.entries.values_list("key", "value")) == {"1": "ONLINE"}
    assert LookupTable.objects.count() == 1


def test_document_round_trips_through_json(tenant_a):
    mapping = mapping_create(name="Orders", document=document())
    assert json.loads(json.dumps(mapping.current_document)) == document()
