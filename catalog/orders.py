"""Placing orders and moving them through their statuses.

Prices and the total come from the catalog, computed here in Decimal, never from the conversation. Each request
has a deterministic key (session, the turn's update, the cart), so a retried turn finds its order instead of
creating a second one; the pending CRM row is written in the same transaction as the order.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import asyncpg

from catalog.customer_details import point_label
from catalog.texts import Rejected, Text, Texts
from models.orders import (
    TRANSITIONS,
    Order,
    OrderItem,
    OrderLine,
    OrderStatus,
    PaymentMethod,
    Recipient,
)
from models.products import Product
from storage.orders import (
    fetch_order,
    insert_crm_order,
    insert_items,
    insert_order,
    order_id_by_key,
    order_status,
    set_status,
)
from storage.products import products_by_sku, take_from_stock

MAX_QUANTITY = 20


@dataclass(frozen=True)
class PlacedOrder:
    order: Order
    created: bool  # False when this request had already created the order


def merged(lines: Iterable[OrderLine]) -> list[OrderLine]:
    """The cart in a canonical order, the same selection twice counted as one line with both quantities."""
    quantities: dict[tuple[str, str, str | None], int] = {}
    for line in lines:
        key = (line.sku, line.size, line.color)
        quantities[key] = quantities.get(key, 0) + line.quantity
    return [OrderLine(sku, size, color, q) for (sku, size, color), q in sorted(
        quantities.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2] or ""))]


def idempotency_key(session_id: str, update_id: int | None, lines: Iterable[OrderLine]) -> str:
    cart = [[line.sku, line.size, (line.color or "").casefold(), line.quantity] for line in merged(lines)]
    payload = json.dumps({"session": session_id, "update": update_id, "cart": cart}, ensure_ascii=False)
    return "mirt-" + hashlib.sha256(payload.encode()).hexdigest()[:32]


def price_items(products: Mapping[str, Product], lines: Iterable[OrderLine]) -> list[OrderItem]:
    """Each line checked against the catalog and priced for its size; the first problem is raised."""
    items = []
    for line in merged(lines):
        product = products.get(line.sku)
        if product is None:
            raise Rejected(Text.ORDER_PRODUCT_UNKNOWN, sku=line.sku)
        if not product.is_active:
            raise Rejected(Text.ORDER_PRODUCT_INACTIVE, product=product.name)
        if line.size not in product.sizes:
            raise Rejected(Text.ORDER_SIZE_UNAVAILABLE, size=line.size, product=product.name,
                           sizes=", ".join(product.sizes))
        color = _color(product, line.color)
        if not 1 <= line.quantity <= MAX_QUANTITY:
            raise Rejected(Text.ORDER_QUANTITY_INVALID, max=MAX_QUANTITY)
        _check_stock(product, line)
        items.append(OrderItem(product.id, product.sku, product.name, line.size, color, line.quantity,
                               product.price_for(line.size)))
    if not items:
        raise Rejected(Text.ORDER_EMPTY)
    return items


def _check_stock(product: Product, line: OrderLine) -> None:
    """A counted size must have the pieces asked for; the customer hears which sizes are left instead."""
    left = product.stock.get(line.size)
    if left is None or line.quantity <= left:
        return
    if left > 0:
        raise Rejected(Text.ORDER_SIZE_FEW_LEFT, size=line.size, product=product.name, left=left)
    if not product.sizes_in_stock:
        raise Rejected(Text.ORDER_PRODUCT_SOLD_OUT, product=product.name)
    raise Rejected(Text.ORDER_SIZE_SOLD_OUT, size=line.size, product=product.name,
                   sizes=", ".join(product.sizes_in_stock))


def _color(product: Product, asked: str | None) -> str | None:
    """The product's own spelling of the asked colour; a product with colours needs one chosen."""
    if not product.colors:
        return None
    if not asked:
        raise Rejected(Text.ORDER_COLOUR_REQUIRED, product=product.name, colors=", ".join(product.colors))
    for color in product.colors:
        if color.casefold() == asked.strip().casefold():
            return color
    raise Rejected(Text.ORDER_COLOUR_UNAVAILABLE, color=asked, product=product.name,
                   colors=", ".join(product.colors))


def total_of(items: Iterable[OrderItem]) -> Decimal:
    return sum((item.amount for item in items), Decimal("0.00"))


async def place_order(pool: asyncpg.Pool, texts: Texts, *, user_id: str, session_id: str, update_id: int | None,
                      lines: Iterable[OrderLine], recipient: Recipient, payment_method: PaymentMethod,
                      sitniks_chat_id: str | None = None) -> PlacedOrder:
    lines = merged(lines)
    key = idempotency_key(session_id, update_id, lines)
    async with pool.acquire() as conn, conn.transaction():
        existing = await order_id_by_key(conn, key)
        if existing is not None:
            return PlacedOrder(await _order(conn, existing), created=False)
        products = await products_by_sku(conn, {line.sku for line in lines})
        items = price_items(products, lines)
        order_id = await insert_order(
            conn, idempotency_key=key, user_id=user_id, session_id=session_id, total=total_of(items),
            customer_name=recipient.name, customer_phone=recipient.phone, customer_city=recipient.city,
            delivery_address=point_label(recipient.point, texts), point=recipient.point, payment_method=payment_method,
            sitniks_chat_id=sitniks_chat_id,
        )
        if order_id is None:  # the same request, running concurrently, committed first
            return PlacedOrder(await _order(conn, await order_id_by_key(conn, key)), created=False)
        await insert_items(conn, order_id, items)
        await _take_stock(conn, products, items)
        order = await _order(conn, order_id)
        await insert_crm_order(conn, order_id, session_id, key, order_data(order))
    return PlacedOrder(order, created=True)


async def _take_stock(conn: asyncpg.Connection, products: Mapping[str, Product], items: list[OrderItem]) -> None:
    """Counted sizes lose the ordered pieces in the order's transaction, in the cart's canonical order (so two
    orders lock rows in the same order and cannot deadlock). A size another order has just taken raises Rejected,
    which rolls the whole order back."""
    for item in items:
        product = products[item.sku]
        if item.size in product.stock and not await take_from_stock(conn, item.product_id, item.size, item.quantity):
            raise Rejected(Text.ORDER_SIZE_JUST_SOLD, size=item.size, product=item.product_name)


async def change_status(pool: asyncpg.Pool, order_id: int, status: OrderStatus) -> Order:
    """Move an order along new → paid → shipped (or to cancelled); setting the status it has is a no-op."""
    allowed_from = [s for s, targets in TRANSITIONS.items() if status in targets]
    if not await set_status(pool, order_id, status, allowed_from):
        current = await order_status(pool, order_id)
        if current is None:
            raise Rejected(Text.ORDER_NOT_FOUND, order=order_id)
        if current is not status:
            raise Rejected(Text.ORDER_STATUS_REFUSED, order=order_id, current=Text(f"status_{current}"),
                           wanted=Text(f"status_{status}"))
    return await _order(pool, order_id)


async def _order(db: Any, order_id: int | None) -> Order:
    order = await fetch_order(db, order_id) if order_id is not None else None
    if order is None:
        raise Rejected(Text.ORDER_NOT_FOUND, order=order_id)
    return order


def order_data(order: Order) -> dict[str, Any]:
    """The order as the CRM row keeps it; money as decimal strings, never floats."""
    return {
        "order_id": order.id,
        "external_id": order.idempotency_key,
        "user_id": order.user_id,
        "session_id": order.session_id,
        "customer": {"name": order.customer_name, "phone": order.customer_phone, "city": order.customer_city},
        "delivery": {
            "method": "nova_poshta", "address": order.delivery_address,
            "kind": order.point.kind.value if order.point else None,
            "number": order.point.number if order.point else None,
        },
        "payment_method": order.payment_method.value if order.payment_method else None,
        "items": [
            {"product_id": i.product_id, "sku": i.sku, "name": i.product_name, "size": i.size, "color": i.color,
             "quantity": i.quantity, "price": str(i.price), "amount": str(i.amount)}
            for i in order.items
        ],
        "total": str(order.total),
        "currency": "UAH",
    }
