"""Orders in Postgres: the order, its items (name and price snapshotted), and its pending CRM row."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import asyncpg

from models.delivery import DeliveryPoint, PointKind
from models.orders import Order, OrderItem, OrderStatus, PaymentMethod

Executor = asyncpg.Connection | asyncpg.Pool


async def order_id_by_key(db: Executor, idempotency_key: str) -> int | None:
    return await db.fetchval("SELECT id FROM orders WHERE idempotency_key = $1", idempotency_key)


async def insert_order(conn: asyncpg.Connection, *, idempotency_key: str, user_id: str, session_id: str,
                       total: Decimal, customer_name: str, customer_phone: str, customer_city: str,
                       delivery_address: str, point: DeliveryPoint, payment_method: PaymentMethod,
                       sitniks_chat_id: str | None) -> int | None:
    """The new order's id, or None when an order with this key already exists (a retried request)."""
    return await conn.fetchval(
        """INSERT INTO orders (idempotency_key, user_id, session_id, total_amount, customer_name, customer_phone,
                               customer_city, delivery_method, delivery_address, delivery_point_kind,
                               delivery_point_number, payment_method, sitniks_chat_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, 'nova_poshta', $8, $9, $10, $11, $12)
           ON CONFLICT (idempotency_key) DO NOTHING RETURNING id""",
        idempotency_key, user_id, session_id, total, customer_name, customer_phone, customer_city,
        delivery_address, point.kind.value, point.number, payment_method.value, sitniks_chat_id,
    )


async def insert_items(conn: asyncpg.Connection, order_id: int, items: Sequence[OrderItem]) -> None:
    await conn.executemany(
        """INSERT INTO order_items (order_id, product_id, sku, product_name, quantity, price_at_purchase,
                                    selected_size, selected_color)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
        [(order_id, i.product_id, i.sku, i.product_name, i.quantity, i.price, i.size, i.color) for i in items],
    )


async def insert_crm_order(conn: asyncpg.Connection, order_id: int, session_id: str, external_id: str,
                           order_data: dict[str, Any]) -> None:
    await conn.execute(
        """INSERT INTO crm_orders (order_id, session_id, external_id, status, order_data)
           VALUES ($1, $2, $3, 'pending', $4)""",
        order_id, session_id, external_id, order_data,
    )


async def fetch_order(db: Executor, order_id: int) -> Order | None:
    orders = await _fetch(db, "WHERE o.id = $1", order_id)
    return orders[0] if orders else None


async def orders_of_user(db: Executor, user_id: str, limit: int = 10) -> list[Order]:
    return await _fetch(db, "WHERE o.user_id = $1 ORDER BY o.created_at DESC, o.id DESC LIMIT $2", user_id, limit)


async def set_status(db: Executor, order_id: int, status: OrderStatus, allowed_from: Sequence[OrderStatus]
                     ) -> bool:
    """Move the order to `status` only from one of `allowed_from`, atomically; False when it was not moved."""
    moved = await db.fetchval(
        """UPDATE orders SET status = $2, updated_at = now()
           WHERE id = $1 AND status = ANY($3::text[]) RETURNING id""",
        order_id, status.value, [s.value for s in allowed_from],
    )
    return moved is not None


async def order_status(db: Executor, order_id: int) -> OrderStatus | None:
    status = await db.fetchval("SELECT status FROM orders WHERE id = $1", order_id)
    return OrderStatus(status) if status else None


async def _fetch(db: Executor, where: str, *args: Any) -> list[Order]:
    rows = await db.fetch(
        f"""SELECT o.*, COALESCE(items.list, '{{}}') AS items FROM orders o
            LEFT JOIN LATERAL (
                SELECT array_agg(ROW(i.product_id, i.sku, i.product_name, i.selected_size, i.selected_color,
                                     i.quantity, i.price_at_purchase) ORDER BY i.id) AS list
                FROM order_items i WHERE i.order_id = o.id
            ) items ON true
            {where}""",
        *args,
    )
    return [_order(r) for r in rows]


def _order(row: asyncpg.Record) -> Order:
    point = None
    if row["delivery_point_kind"]:
        point = DeliveryPoint(PointKind(row["delivery_point_kind"]), row["delivery_point_number"])
    return Order(
        id=row["id"], idempotency_key=row["idempotency_key"], user_id=row["user_id"], session_id=row["session_id"],
        status=OrderStatus(row["status"]), total=row["total_amount"],
        items=tuple(OrderItem(*item) for item in row["items"]),
        customer_name=row["customer_name"], customer_phone=row["customer_phone"],
        customer_city=row["customer_city"], delivery_address=row["delivery_address"], point=point,
        payment_method=PaymentMethod(row["payment_method"]) if row["payment_method"] else None,
        created_at=row["created_at"],
    )
