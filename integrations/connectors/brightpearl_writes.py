"""Brightpearl writes: ``upsert`` per entity and the follow-ups the seeds describe.

What Brightpearl lets us change, and what it does not:

- orders (SO, SC, PO): create = order POST then one POST per row. Update = status (PUT
  ``…/status``) and header fields by JSON-Patch; rows and the customer/supplier cannot be
  changed once the order exists — a differing update is refused with ``ValidationFailed``.
- products: create POST; update PUT with ``If-Match: <version>`` (read first; one retry on a
  version race); ``priceLists`` are written through product-price per list.
- contacts (customers, suppliers): create POST after their postal addresses; update by
  JSON-Patch. Postal addresses are never edited in place: a changed one is created anew and the
  contact pointed at it (old addresses may be on past orders).
- inventory: a signed stock correction, from an absolute ``onHand`` or given corrections.
- goods-out notes (shipments): create for an order; update shipping/tracking (PUT) and mark
  shipped (event ``SHW``). Notes cannot be deleted or re-opened here.
- goods-in notes (goods receipts): create against a purchase order (one warehouse per note);
  stock is received at once. A received note is not changed here (Brightpearl corrects one
  with a separate goods-in correction).
- customer payments and journals: create only — posted accounting cannot be edited.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from integrations.connectors.base import WriteResult
from integrations.connectors.brightpearl_search import id_set_format
from integrations.connectors.errors import (
    ConfigurationError,
    NotFound,
    TransientError,
    ValidationFailed,
)

ORDER_TYPES = {"sales_order": "SO", "credit_note": "SC", "purchase_order": "PO"}
READ_ONLY_KEYS = {"id", "contactId", "createdOn", "updatedOn", "createdById", "version",
                  "postalAddresses", "priceLists", "_key"}
ORDER_PATCHABLE = ("reference", "externalRef", "placedOn", "priceListId", "warehouseId")
ADDRESS_KEYS = ("addressLine1", "addressLine2", "addressLine3", "addressLine4", "postalCode",
                "countryIsoCode")
SHIPPED = "SHW"
DEFAULT_STOCK_REASON = "Stock level synchronised by Clarity Connect"


class BrightpearlWrites:
    """Mixed into ``BrightpearlConnector``; relies on its ``call`` and ``get``."""

    system = "brightpearl"

    if TYPE_CHECKING:
        def call(self, method: str, path: str, **kwargs: Any) -> Any: ...
        def get(self, entity: str, external_id: str) -> dict[str, Any]: ...

    def upsert(self, entity: str, record: dict[str, Any], *,
               external_id: str | None = None) -> WriteResult:
        if entity in ORDER_TYPES:
            if external_id:
                return self._order_update(entity, external_id, record)
            return self._order_create(entity, record)
        if entity == "product":
            return self._product_upsert(record, external_id)
        if entity in ("customer", "supplier"):
            return self._contact_upsert(entity, record, external_id)
        if entity == "inventory":
            return self.inventory_set(record, product_id=external_id)
        if entity == "shipment":
            return self._shipment_upsert(record, external_id)
        if entity == "goods_receipt":
            self._create_only(entity, external_id, "a received goods-in note cannot be "
                              "changed; post a goods-in correction in Brightpearl instead")
            order_id = record.get("orderId")
            if not order_id:
                raise ValidationFailed("orderId (the purchase order) is required to create a "
                                       "goods-in note.", field="orderId", system=self.system)
            body = {k: v for k, v in record.items()
                    if k not in {"orderId", "goodsNoteId", "order"} | READ_ONLY_KEYS}
            note_id = self.goods_in_note_create(order_id, body=body)
            return WriteResult(note_id, True)
        if entity == "payment":
            self._create_only(entity, external_id, "a posted customer payment cannot be "
                              "changed; post a reversing payment instead")
            return self.payment_create(record)
        if entity == "journal":
            self._create_only(entity, external_id, "a posted journal cannot be changed; post a "
                              "reversing journal instead")
            return self.journal_post(record)
        raise ConfigurationError(f"Brightpearl cannot write {entity!r} records here.",
                                 system=self.system)

    def _create_only(self, entity: str, external_id: str | None, why: str) -> None:
        if external_id:
            raise ValidationFailed(f"Brightpearl {entity} {external_id} already exists and "
                                   f"{why}.", system=self.system, code="update_unsupported")

    # --- orders -------------------------------------------------------------------------------
    def _order_create(self, entity: str, record: dict[str, Any]) -> WriteResult:
        type_code = ORDER_TYPES[entity]
        given = record.get("orderTypeCode")
        if given and given != type_code:
            raise ValidationFailed(f"A {entity} is orderTypeCode {type_code}, not {given}.",
                                   field="orderTypeCode", system=self.system)
        body = {k: v for k, v in record.items()
                if k not in {"rows", "orderRows", "orderId"} | READ_ONLY_KEYS}
        body["orderTypeCode"] = type_code
        rows = _rows_of(record)
        order_id = str(self.call("POST", "order-service/order", json=body))
        for index, row in enumerate(rows):
            try:
                self.call("POST", f"order-service/order/{order_id}/row", json=row)
            except ValidationFailed as exc:
                # The order exists without all its rows: say which, so nobody re-creates it.
                exc.message = (f"Order {order_id} was created but row {index + 1} of "
                               f"{len(rows)} was refused: {exc.message}")
                exc.field = f"rows[{index}].{exc.field}" if exc.field else f"rows[{index}]"
                exc.detail = {"order_id": order_id, "rows_written": index}
                raise
        return WriteResult(order_id, True)

    def _order_update(self, entity: str, order_id: str, record: dict[str, Any]) -> WriteResult:
        current = self.get(entity, order_id)
        rows = _rows_of(record)
        if rows and _row_keys(rows) != _row_keys(list(current.get("orderRows", {}).values())):
            raise ValidationFailed(f"The rows of Brightpearl order {order_id} differ, and "
                                   "Brightpearl order rows cannot be changed once the order "
                                   "exists.", field="rows", system=self.system,
                                   code="update_unsupported")
        party = "supplier" if ORDER_TYPES[entity] == "PO" else "customer"
        wanted_contact = ((record.get("parties") or {}).get(party) or {}).get("contactId")
        current_contact = ((current.get("parties") or {}).get(party) or {}).get("contactId")
        if wanted_contact and str(wanted_contact) != str(current_contact):
            raise ValidationFailed(f"Brightpearl order {order_id} belongs to contact "
                                   f"{current_contact}; the {party} of an order cannot be "
                                   "changed.", field=f"parties.{party}.contactId",
                                   system=self.system, code="update_unsupported")
        status = ((record.get("orderStatus") or {}).get("orderStatusId")
                  or record.get("statusId") or record.get("orderStatusId"))
        if status and str(status) != str(current["orderStatus"]["orderStatusId"]):
            self.order_status_set(order_id, int(status))
        operations = [
            {"op": "replace" if key in current else "add", "path": f"/{key}",
             "value": record[key]}
            for key in ORDER_PATCHABLE
            if key in record and record[key] != current.get(key)
        ]
        delivery = record.get("delivery") or {}
        if "shippingMethodId" in delivery and delivery["shippingMethodId"] != (
                current.get("delivery") or {}).get("shippingMethodId"):
            operations.append({"op": "replace", "path": "/delivery/shippingMethodId",
                               "value": delivery["shippingMethodId"]})
        if operations:
            self.call("PATCH", f"order-service/order/{order_id}", json=operations)
        return WriteResult(str(order_id), False)

    def order_status_set(self, order_id: str | int, status_id: int, *, note: str = "",
                         public: bool = False) -> None:
        """Move an order to another status (e.g. after the other system accepted it)."""
        body: dict[str, Any] = {"orderStatusId": int(status_id)}
        if note:
            body["orderNote"] = {"text": note, "isPublic": public}
        self.call("PUT", f"order-service/order/{order_id}/status", json=body)

    # --- products -----------------------------------------------------------------------------
    def _product_upsert(self, record: dict[str, Any], external_id: str | None) -> WriteResult:
        body = {k: v for k, v in record.items() if k not in READ_ONLY_KEYS}
        prices = record.get("priceLists") or []
        if not external_id:
            product_id = str(self.call("POST", "product-service/product", json=body))
            created = True
        else:
            product_id, created = str(external_id), False
            for attempt in (1, 2):
                version = self.get("product", product_id)["version"]
                try:
                    self.call("PUT", f"product-service/product/{product_id}", json=body,
                              headers={"If-Match": str(version)})
                    break
                except TransientError as exc:
                    # 412: someone changed the product since we read its version.
                    if attempt == 2 or exc.status != 412:
                        raise
        for entry in prices:
            self.product_price_set(product_id, int(entry["priceListId"]),
                                   entry.get("quantityPrice") or {})
        return WriteResult(product_id, created)

    def product_price_set(self, product_id: str | int, price_list_id: int,
                          quantity_price: dict[str, Any] | float | str) -> None:
        """Set a product's price on one price list (``{"1": "9.99"}`` or just ``9.99``)."""
        if not isinstance(quantity_price, dict):
            quantity_price = {"1": str(quantity_price)}
        self.call("PUT", f"product-service/product-price/{product_id}/price-list/"
                         f"{price_list_id}", json={"quantityPrice": quantity_price})

    # --- contacts -----------------------------------------------------------------------------
    def _contact_upsert(self, entity: str, record: dict[str, Any],
                        external_id: str | None) -> WriteResult:
        wanted_addresses = record.get("postalAddresses") or {}
        body = {k: v for k, v in record.items() if k not in READ_ONLY_KEYS}
        if entity == "supplier":
            body["relationshipToAccount"] = {**(body.get("relationshipToAccount") or {}),
                                             "isSupplier": True}
        if not external_id:
            address_ids = self._addresses_create(wanted_addresses)
            if address_ids:
                body["postAddressIds"] = {**(body.get("postAddressIds") or {}), **address_ids}
            contact_id = self.call("POST", "contact-service/contact", json=body)
            return WriteResult(str(contact_id), True)
        current = self.get(entity, external_id)
        have = current.get("postalAddresses") or {}
        changed = {kind: address for kind, address in wanted_addresses.items()
                   if not _same_address(address, have.get(kind) or {})}
        if changed:
            body["postAddressIds"] = {**(body.get("postAddressIds") or {}),
                                      **self._addresses_create(changed)}
        operations = json_patch_ops(current, body)
        if operations:
            self.call("PATCH", f"contact-service/contact/{external_id}", json=operations)
        return WriteResult(str(external_id), False)

    def _addresses_create(self, addresses: dict[str, dict[str, Any]]) -> dict[str, int]:
        """Create each distinct address once; answer ``{DEF|BIL|DEL: addressId}``."""
        made: list[tuple[dict[str, Any], int]] = []
        ids: dict[str, int] = {}
        for kind, address in addresses.items():
            clean = {k: v for k, v in address.items() if k not in ("addressId", "_key")}
            existing = next((i for a, i in made if _same_address(a, clean)), None)
            if existing is None:
                existing = int(self.call("POST", "contact-service/postal-address", json=clean))
                made.append((clean, existing))
            ids[kind] = existing
        return ids

    def postal_address_create(self, address: dict[str, Any]) -> str:
        return str(self.call("POST", "contact-service/postal-address", json=address))

    # --- inventory ----------------------------------------------------------------------------
    def inventory_set(self, record: dict[str, Any], *,
                      product_id: str | None = None) -> WriteResult:
        """Bring stock to ``onHand`` in ``warehouseId`` (or post ``corrections`` as given)."""
        warehouse_id = record.get("warehouseId")
        if not warehouse_id:
            raise ValidationFailed("warehouseId is required for a Brightpearl stock "
                                   "correction.", field="warehouseId", system=self.system)
        if record.get("corrections"):
            ids = self.stock_correct(int(warehouse_id), record["corrections"])
            target = product_id or str(record["corrections"][0].get("productId", ""))
            return WriteResult(target, False, {"movement_ids": ids})
        product = product_id or record.get("productId")
        wanted = record.get("onHand", record.get("quantity"))
        if not product or wanted is None:
            raise ValidationFailed("productId and onHand are required to set a stock level.",
                                   field="onHand" if product else "productId",
                                   system=self.system)
        try:
            level = self.get("inventory", str(product))
        except NotFound as exc:
            raise ValidationFailed(f"Brightpearl product {product} does not exist.",
                                   field="productId", system=self.system) from exc
        have = int((level.get("warehouses") or {}).get(str(warehouse_id), {}).get("onHand", 0))
        delta = int(wanted) - have
        ids: list[Any] = []
        if delta:
            correction: dict[str, Any] = {
                "productId": int(product), "quantity": delta,
                "reason": record.get("reason") or DEFAULT_STOCK_REASON,
            }
            for key in ("locationId", "cost"):
                if record.get(key) is not None:
                    correction[key] = record[key]
            ids = self.stock_correct(int(warehouse_id), [correction])
        return WriteResult(str(product), False, {"delta": delta, "movement_ids": ids})

    def stock_correct(self, warehouse_id: int, corrections: list[dict[str, Any]]) -> list[Any]:
        """Post signed stock corrections to one warehouse; answers the movement ids."""
        answer = self.call("POST", f"warehouse-service/warehouse/{warehouse_id}/stock-correction",
                           json={"corrections": corrections})
        return list(answer) if isinstance(answer, list) else [answer]

    # --- goods-out notes (shipments) ----------------------------------------------------------
    def _shipment_upsert(self, record: dict[str, Any], external_id: str | None) -> WriteResult:
        created = not external_id
        if created:
            order_id = record.get("orderId")
            if not order_id:
                raise ValidationFailed("orderId is required to create a goods-out note.",
                                       field="orderId", system=self.system)
            body = {k: v for k, v in record.items()
                    if k not in ("orderId", "shipping", "shipped", "status")}
            note_ids = self.goods_out_note_create(order_id, body=body)
        else:
            note_ids = [str(external_id)]
        shipping = record.get("shipping") or {}
        if shipping:
            for note_id in note_ids:
                self.call("PUT", f"warehouse-service/goods-note/goods-out/{note_id}",
                          json={"shipping": shipping})
        shipped = record.get("shipped") or (record.get("status") or {}).get("shipped")
        if shipped:
            self.goods_out_note_event(note_ids, SHIPPED,
                                      occurred=(record.get("status") or {}).get("shippedOn"))
        return WriteResult(note_ids[0], created, {"goods_out_note_ids": note_ids})

    def goods_out_note_create(self, order_id: str | int, *, warehouse_id: int | None = None,
                              body: dict[str, Any] | None = None) -> list[str]:
        """Create goods-out notes for a sales order (the whole order from one warehouse when
        no ``warehouses`` are given: the order's own warehouse unless ``warehouse_id``)."""
        payload = dict(body or {})
        if not payload.get("warehouses"):
            if warehouse_id is None:
                warehouse_id = int(self.get("sales_order", str(order_id))["warehouseId"])
            payload["warehouses"] = [{"warehouseId": int(warehouse_id)}]
        answer = self.call("POST", f"warehouse-service/order/{order_id}/goods-note/goods-out",
                           json=payload)
        return [str(i) for i in (answer if isinstance(answer, list) else [answer])]

    def goods_out_note_event(self, note_ids: list[str] | str, event_code: str, *,
                             occurred: str | None = None) -> None:
        """Post PRI (printed), PIC (picked), PAC (packed) or SHW (shipped) to notes."""
        ids = [note_ids] if isinstance(note_ids, str) else note_ids
        when = occurred or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        self.call("POST", f"warehouse-service/goods-note/goods-out/{id_set_format(ids)}/event",
                  json={"events": [{"eventCode": event_code, "occured": when}]})

    def goods_out_note_ship(self, note_id: str, *, tracking: str = "",
                            shipping_method_id: int | None = None, boxes: int | None = None,
                            weight: float | None = None, shipped_at: str | None = None) -> None:
        """Record tracking on a goods-out note, then mark it shipped (stock leaves)."""
        self.shipment_tracking_set(note_id, tracking=tracking,
                                   shipping_method_id=shipping_method_id, boxes=boxes,
                                   weight=weight)
        self.goods_out_note_event([note_id], SHIPPED, occurred=shipped_at)

    def shipment_tracking_set(self, note_id: str, *, tracking: str = "",
                              shipping_method_id: int | None = None, boxes: int | None = None,
                              weight: float | None = None) -> None:
        shipping: dict[str, Any] = {}
        if tracking:
            shipping["reference"] = tracking
        for key, value in (("shippingMethodId", shipping_method_id), ("boxes", boxes),
                           ("weight", weight)):
            if value is not None:
                shipping[key] = value
        if shipping:
            self.call("PUT", f"warehouse-service/goods-note/goods-out/{note_id}",
                      json={"shipping": shipping})

    # --- goods-in notes (goods receipts) -------------------------------------------------------
    def goods_in_note_create(self, order_id: str | int, *, warehouse_id: int | None = None,
                             goods_moved: list[dict[str, Any]] | None = None,
                             received_on: str | None = None, reference: str = "",
                             body: dict[str, Any] | None = None) -> str:
        """Receive stock against a purchase order; answers the new goods-in note's id.

        Without ``goods_moved`` (or ``body["goodsMoved"]``) everything still to receive on the
        order is received, each row at its purchase price, into the order's own warehouse
        unless ``warehouse_id`` is given."""
        payload: dict[str, Any] = {"transfer": False, **(body or {})}
        if goods_moved is not None:
            payload["goodsMoved"] = goods_moved
        order: dict[str, Any] | None = None
        if not payload.get("goodsMoved") or not (warehouse_id or payload.get("warehouseId")):
            order = self.get("purchase_order", str(order_id))
        if not payload.get("goodsMoved"):
            assert order is not None
            payload["goodsMoved"] = self._goods_still_to_receive(order)
            if not payload["goodsMoved"]:
                raise ValidationFailed(f"Purchase order {order_id} has nothing left to "
                                       "receive.", field="goodsMoved", system=self.system,
                                       code="nothing_to_receive")
        if warehouse_id is not None:
            payload["warehouseId"] = int(warehouse_id)
        elif not payload.get("warehouseId"):
            assert order is not None
            payload["warehouseId"] = int(order["warehouseId"])
        if received_on:
            payload["receivedOn"] = received_on
        if reference:
            payload["userBatchReference"] = reference
        answer = self.call("POST", f"warehouse-service/order/{order_id}/goods-note/goods-in",
                           json=payload)
        # Brightpearl answers with the (first) new note's id.
        return str(answer[0] if isinstance(answer, list) else answer)

    def _goods_still_to_receive(self, order: dict[str, Any]) -> list[dict[str, Any]]:
        received: dict[str, int] = {}
        try:
            notes = self.call("GET", f"warehouse-service/order/{order['id']}/goods-note/goods-in")
        except NotFound:
            notes = {}
        for note in (notes or {}).values():
            for moved in note.get("goodsMoved") or []:
                row = str(moved.get("purchaseOrderRowId"))
                received[row] = received.get(row, 0) + int(moved.get("quantity") or 0)
        currency = (order.get("currency") or {}).get("orderCurrencyCode")
        moves = []
        for row_id, row in (order.get("orderRows") or {}).items():
            left = int(float((row.get("quantity") or {}).get("magnitude") or 0)) - received.get(
                str(row_id), 0)
            if not row.get("productId") or left <= 0:
                continue
            move: dict[str, Any] = {"productId": int(row["productId"]),
                                    "purchaseOrderRowId": int(row_id), "quantity": left}
            price = (row.get("productPrice") or {}).get("value")
            if price is not None:
                move["productValue"] = {"currency": currency, "value": price}
            moves.append(move)
        return moves

    # --- accounting ---------------------------------------------------------------------------
    def payment_create(self, record: dict[str, Any]) -> WriteResult:
        """Post a customer payment (RECEIPT against an order; sets its payment status)."""
        body = {k: v for k, v in record.items() if k not in ("paymentId", "journalId")}
        return WriteResult(str(self.call("POST", "accounting-service/customer-payment",
                                         json=body)), True)

    def journal_post(self, record: dict[str, Any]) -> WriteResult:
        """Post a balanced journal (debits = credits, date in an open period)."""
        return WriteResult(str(self.call("POST", "accounting-service/journal-entry",
                                         json=record)), True)


def _rows_of(record: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows to write: ``rows[]``, or ``orderRows`` as read from another Brightpearl order."""
    if record.get("rows"):
        return list(record["rows"])
    rows = []
    for row in (record.get("orderRows") or {}).values():
        value = row.get("rowValue") or {}
        rows.append({k: v for k, v in {
            "productId": row.get("productId") or None,
            "productName": row.get("productName"),
            "quantity": {"magnitude": (row.get("quantity") or {}).get("magnitude")},
            "rowValue": {"taxCode": value.get("taxCode"),
                         "rowNet": {"value": (value.get("rowNet") or {}).get("value")},
                         "rowTax": {"value": (value.get("rowTax") or {}).get("value")}},
            "nominalCode": row.get("nominalCode"),
        }.items() if v is not None})
    return rows


def _row_keys(rows: list[dict[str, Any]]) -> list[tuple[int, float, float]]:
    keys = []
    for row in rows:
        value = row.get("rowValue") or {}
        keys.append((int(row.get("productId") or 0),
                     round(float((row.get("quantity") or {}).get("magnitude") or 0), 4),
                     round(float((value.get("rowNet") or {}).get("value") or 0), 2)))
    return sorted(keys)


def _same_address(a: dict[str, Any], b: dict[str, Any]) -> bool:
    def norm(address: dict[str, Any], key: str) -> str:
        value = str(address.get(key) or "").strip().upper()
        # Brightpearl stores ISO-3 countries; compare on the first two letters (where they
        # differ, e.g. IE/IRL, the address only counts as changed and is created again).
        return value[:2] if key == "countryIsoCode" else value

    return all(norm(a, k) == norm(b, k) for k in ADDRESS_KEYS if k in a)


def json_patch_ops(current: dict[str, Any], wanted: dict[str, Any],
                   prefix: str = "") -> list[dict[str, Any]]:
    """JSON-Patch operations that bring ``current`` to carry every value of ``wanted``."""
    operations: list[dict[str, Any]] = []
    for key, value in wanted.items():
        if not prefix and key in READ_ONLY_KEYS:
            continue
        path = f"{prefix}/{str(key).replace('~', '~0').replace('/', '~1')}"
        if key not in current:
            operations.append({"op": "add", "path": path, "value": value})
        elif isinstance(value, dict) and isinstance(current[key], dict):
            operations.extend(json_patch_ops(current[key], value, path))
        elif value != current[key]:
            operations.append({"op": "replace", "path": path, "value": value})
    return operations
