"""Live lookup tables: read per record, so a compiled mapping sees rows added later."""

from collections.abc import Iterator

from integrations.mapping import LiveTable, compile_mapping


class GrowingTable(LiveTable):
    def __init__(self) -> None:
        self.rows: dict[str, str] = {}

    def get(self, key, default=None):
        return self.rows.get(key, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


DOCUMENT = {"format_version": 1, "fields": {
    "ProductId": {"from": "sku", "transform": [{"lookup": {"table": "products"}}]}}}


def test_compiled_mapping_sees_entries_added_to_a_live_table_after_compiling():
    table = GrowingTable()
    mapping = compile_mapping(DOCUMENT, lookups={"products": table}, schema=None)
    assert [p.kind for p in mapping.apply({"sku": "A-1"}).problems] == ["lookup"]

    table.rows["A-1"] = "1001"

    assert mapping.apply({"sku": "A-1"}).record == {"ProductId": "1001"}
