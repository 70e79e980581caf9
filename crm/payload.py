"""What our order looks like to Sitniks and what Sitniks' answers mean to us: the one place to adjust field names.

The order body follows the public shape (`shared/spec/sitniks-open-api.md`, from pucha02/salesbox-to-sitniks):
`client {fullname, phone}`, `products [{productVariationId, title, price, quantity, isUpsale}]`, `npDelivery`,
`externalId`, `managerComment`, `payment {amount}`; money as JSON numbers, no field no public body has.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from crm.texts import CrmTexts
from models.products import Product

# Nova Poshta's own names (its API's ServiceType / PayerType / CargoType): branch or parcel locker to the
# customer, who pays the delivery.
NP_DEFAULTS = {"serviceType": "WarehouseWarehouse", "payerType": "Recipient", "cargoType": "Parcel", "seatsAmount": 1}


class Unsendable(Exception):
    """The outbox row's data cannot become an order body (no items, a product the catalog lacks): it never will."""


class Unmapped(Exception):
    """An order line's size has no CRM variation id yet: the order waits until the catalog maps it."""

    def __init__(self, sku: str, product: str, size: str, color: str | None) -> None:
        super().__init__(f"no Sitniks variation for {sku} size {size}" + (f" colour {color}" if color else ""))
        self.sku, self.product, self.size, self.color = sku, product, size, color


def money(amount: Decimal | str) -> int | float:
    """UAH as a JSON number: 1850 for 1850.00, 1850.5 for 1850.50 (two decimals print exactly as a float)."""
    value = Decimal(amount)
    return int(value) if value == value.to_integral_value() else float(value)


def order_lines(order: Mapping[str, Any], catalog: Mapping[str, Product]) -> list[dict[str, Any]]:
    """One product line per item, naming the variation of its size (and colour). Raises Unsendable for data that
    can never be sent, Unmapped for the first line whose size the catalog does not map to a variation."""
    items = order.get("items")
    if not isinstance(items, list) or not items:
        raise Unsendable("the order has no items")
    lines = []
    for item in items:
        try:
            sku, size, color = item["sku"], item["size"], item.get("color")
            price, quantity = money(item["price"]), int(item["quantity"])
        except (KeyError, TypeError, ArithmeticError, ValueError) as exc:
            raise Unsendable(f"an item is incomplete: {type(exc).__name__} {exc}") from None
        product = catalog.get(sku)
        if product is None:
            raise Unsendable(f"product {sku} is not in the catalog")
        variation = product.variation_id(size, color)
        if variation is None:
            raise Unmapped(sku, product.name, size, color)
        lines.append({"productVariationId": variation, "title": str(item.get("name") or product.name),
                      "price": price, "quantity": quantity, "isUpsale": False})
    return lines


def order_payload(order: Mapping[str, Any], lines: list[dict[str, Any]], note: str, nova_poshta: int | None,
                  paid: Decimal | None) -> dict[str, Any]:
    """The POST /open-api/orders body. `order` is crm_orders.order_data (`catalog.orders.order_data`), `lines` from
    `order_lines`, `nova_poshta` the shop's integration id (None: no npDelivery, the note carries the address),
    `paid` the UAH paid before shipping (None: nothing)."""
    customer, delivery = order.get("customer") or {}, order.get("delivery") or {}
    body: dict[str, Any] = {
        "externalId": order["external_id"],
        "client": {"fullname": customer.get("name"), "phone": customer.get("phone")},
        "products": lines,
        "managerComment": note,
    }
    if nova_poshta is not None:
        body["npDelivery"] = {"integrationNovaposhtaId": nova_poshta, "city": customer.get("city"),
                              "department": delivery.get("address"), **NP_DEFAULTS}
    if paid is not None:
        body["payment"] = {"amount": money(paid)}
    return body


def crm_order_id(order: Mapping[str, Any]) -> str | None:
    value = order.get("id")
    return str(value) if value not in (None, "") else None


# Where a ТТН may sit in an order: no public evidence says (orders made with npDelivery likely carry it there). The
# first shipped order's keys are logged once (crm_shipped_order_keys) so a shop can report the real place.
TRACKING_PLACES = (("npDelivery", "ttn"), ("npDelivery", "intDocNumber"), ("npDelivery", "trackingNumber"),
                   ("ttn",), ("trackingNumber",), ("intDocNumber",))


def tracking_number(order: Mapping[str, Any]) -> str | None:
    """Nova Poshta's waybill number (ТТН), from the first of TRACKING_PLACES that has one."""
    for path in TRACKING_PLACES:
        value: Any = order
        for key in path:
            value = value.get(key) if isinstance(value, Mapping) else None
        if value not in (None, ""):
            return str(value)
    return None


def order_keys(order: Mapping[str, Any]) -> dict[str, list[str]]:
    """The keys of an order and of its npDelivery (never the values: they hold the customer's data)."""
    delivery = order.get("npDelivery")
    return {"order": sorted(order), "npDelivery": sorted(delivery) if isinstance(delivery, Mapping) else []}


def chat_username(chat: Mapping[str, Any]) -> str:
    return str(chat.get("userNickName") or "").lstrip("@").casefold()


def chat_id(chat: Mapping[str, Any]) -> str:
    return str(chat["id"])


def manager_name(manager: Mapping[str, Any]) -> str:
    user = manager.get("user") if isinstance(manager.get("user"), Mapping) else {}
    return str(user.get("fullname") or manager.get("fullname") or manager.get("name") or "").strip()


def order_note(texts: CrmTexts, order: Mapping[str, Any], prepayment: Decimal) -> str:
    """The managers' note: our order number, the payment method (and prepayment), the items with their colours
    and the delivery as the customer gave them: what the dialog recorded, readable without the bot."""
    payment = (texts.say("payment_prepayment", prepayment=money(prepayment))
               if order.get("payment_method") == "prepayment" else texts.say("payment_full"))
    items = "; ".join(texts.say("note_item", name=i.get("name"), size=i.get("size"),
                                color=f", {i['color']}" if i.get("color") else "", quantity=i.get("quantity"))
                      for i in order.get("items") or [])
    customer, delivery = order.get("customer") or {}, order.get("delivery") or {}
    return texts.say("note", order=order.get("order_id"), payment=payment, items=items,
                     delivery=", ".join(str(p) for p in (customer.get("city"), delivery.get("address")) if p))


def paid_before_shipping(order: Mapping[str, Any], prepayment: Decimal) -> Decimal | None:
    """UAH the customer pays before shipping: the prepayment, or the whole total when paying in full."""
    method = order.get("payment_method")
    if method == "prepayment":
        return prepayment
    return Decimal(order["total"]) if method == "full" and order.get("total") else None
