"""What our order looks like to Sitniks and what Sitniks' answers mean to us: the one place to adjust field names.

Money goes as decimal strings ("1850.00"), never floats, exactly as the catalog computed it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crm.texts import CrmTexts

SOURCE = "telegram"


def order_payload(order: Mapping[str, Any], crm_products: Mapping[str, str], note: str) -> dict[str, Any]:
    """`order` is the crm_orders.order_data of `catalog.orders.order_data`; `crm_products` maps sku → CRM id."""
    customer, delivery = order.get("customer") or {}, order.get("delivery") or {}
    return {
        "externalId": order["external_id"],
        "source": SOURCE,
        "client": {"fullName": customer.get("name"), "phone": customer.get("phone")},
        "delivery": {
            "service": "nova_poshta",
            "city": customer.get("city"),
            "warehouseType": delivery.get("kind"),
            "warehouseNumber": delivery.get("number"),
            "address": delivery.get("address"),
        },
        "products": [
            {"productId": crm_products.get(item["sku"]), "sku": item["sku"], "title": item["name"],
             "size": item.get("size"), "color": item.get("color"), "quantity": item["quantity"],
             "price": item["price"]}
            for item in order.get("items") or []
        ],
        "totalPrice": order["total"],
        "currency": order.get("currency", "UAH"),
        "paymentMethod": order.get("payment_method"),
        "comment": note,
    }


def order_note(texts: CrmTexts, order: Mapping[str, Any], prepayment: str) -> str:
    payment = (texts.say("payment_prepayment", prepayment=prepayment) if order.get("payment_method") == "prepayment"
               else texts.say("payment_full"))
    return texts.say("note", order=order.get("order_id"), payment=payment)


def crm_order_id(order: Mapping[str, Any]) -> str | None:
    value = order.get("id")
    return str(value) if value not in (None, "") else None


def status_title(order: Mapping[str, Any], statuses: Mapping[str, str]) -> str | None:
    """The order's status title: {"status": {"title": …}}, {"status": "…"} or {"statusId": …} looked up in
    `statuses` (id → title, from GET /open-api/orders/statuses)."""
    status = order.get("status")
    if isinstance(status, Mapping):
        title = status.get("title") or status.get("name")
        return str(title) if title else None
    if isinstance(status, str) and status:
        return status
    if order.get("statusId") is not None:
        return statuses.get(str(order["statusId"]))
    return None


def needs_status_list(order: Mapping[str, Any]) -> bool:
    return not order.get("status") and order.get("statusId") is not None


def status_titles(statuses: list[dict[str, Any]]) -> dict[str, str]:
    return {str(s["id"]): str(s.get("title") or s.get("name")) for s in statuses if s.get("id") is not None}


def tracking_number(order: Mapping[str, Any]) -> str | None:
    """Nova Poshta's waybill number (ТТН), wherever the account puts it."""
    delivery = order.get("delivery") if isinstance(order.get("delivery"), Mapping) else {}
    for value in (order.get("ttn"), order.get("trackingNumber"), delivery.get("ttn"), delivery.get("trackingNumber")):
        if value:
            return str(value)
    return None


def chat_username(chat: Mapping[str, Any]) -> str:
    return str(chat.get("userNickName") or chat.get("username") or "").lstrip("@").casefold()


def chat_id(chat: Mapping[str, Any]) -> str:
    return str(chat["id"])


def manager_name(manager: Mapping[str, Any]) -> str:
    user = manager.get("user") if isinstance(manager.get("user"), Mapping) else {}
    return str(user.get("fullname") or manager.get("fullname") or manager.get("name") or "").strip()
