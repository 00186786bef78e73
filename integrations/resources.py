"""django-import-export resources: mappings and lookup tables to and from CSV, JSON, XLSX.

Imports go through the same services as every other write, so an imported mapping is
validated and becomes a new version; nothing existing is overwritten. A confirmed import runs
in the worker as an operation (``services.operations.import_operation_start``), through the
resource ``IMPORT_RESOURCES`` names.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from import_export import fields, resources, widgets

from integrations.models import LookupEntry, LookupTable, Mapping
from integrations.services.mappings import mapping_create, mapping_version_create


class JSONTextWidget(widgets.Widget):
    """A JSON document in one cell; a cell that is not JSON is a row error saying where."""

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Any:
        if isinstance(value, dict):
            return value
        try:
            return json.loads(value or "")
        except ValueError as exc:
            raise ValueError(f"The document is not valid JSON ({exc.msg} at line {exc.lineno}, "
                             f"column {exc.colno}).") from None

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return json.dumps(value, ensure_ascii=False, sort_keys=True) if value else ""


class MappingResource(resources.ModelResource):
    document = fields.Field(attribute="current_document", column_name="document",
                            widget=JSONTextWidget())
    version = fields.Field(column_name="version", readonly=True)

    class Meta:
        model = Mapping
        fields = ("name", "description", "version", "document")
        import_id_fields = ("name",)
        skip_unchanged = False

    def dehydrate_version(self, mapping: Mapping) -> int | None:
        return mapping.current_version.number if mapping.current_version else None

    def import_field(self, field: fields.Field, instance: Any, row: Any, *args: Any,
                     **kwargs: Any) -> None:
        if field.attribute == "current_document":
            instance.imported_document = field.clean(row, **kwargs)
            return
        super().import_field(field, instance, row, *args, **kwargs)

    def save_instance(self, instance: Mapping, is_create: bool, row: Any, **kwargs: Any) -> None:
        document = getattr(instance, "imported_document", None)
        if document is None:
            raise ValidationError("The row has no document.")
        if is_create:
            saved = mapping_create(name=instance.name, document=document,
                                   description=instance.description or "",
                                   comment="Imported")
            instance.pk, instance.current_version = saved.pk, saved.current_version
        elif document != instance.current_document:
            instance.save(update_fields=["description", "updated_at"])
            mapping_version_create(mapping=instance, document=document, comment="Imported")


class TableWidget(widgets.ForeignKeyWidget):
    """Lookup tables by name; importing into a new name creates that table."""

    def __init__(self) -> None:
        super().__init__(LookupTable, field="name")

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> LookupTable | None:
        name = str(value or "").strip()
        if not name:
            raise ValueError("The table name is empty.")
        table = LookupTable(name=name)
        table.full_clean(exclude=["name"] if LookupTable.objects.filter(name=name).exists()
                         else None)
        return LookupTable.objects.get_or_create(name=name)[0]


class LookupEntryResource(resources.ModelResource):
    table = fields.Field(attribute="table", column_name="table", widget=TableWidget())

    class Meta:
        model = LookupEntry
        fields = ("table", "key", "value")
        import_id_fields = ("table", "key")
        skip_unchanged = True
        report_skipped = False


# The resources an import operation may name, by a key kept in the operation (a class path
# from stored data would let a row of JSON choose what code runs).
IMPORT_RESOURCES: dict[str, type[resources.ModelResource]] = {
    "mapping": MappingResource,
    "lookupentry": LookupEntryResource,
}


def import_resource_key(resource_class: type[resources.Resource]) -> str:
    """The key ``IMPORT_RESOURCES`` knows ``resource_class`` by."""
    for key, known in IMPORT_RESOURCES.items():
        if known is resource_class:
            return key
    raise ValueError(f"{resource_class.__name__} is not a resource imports can run through.")
