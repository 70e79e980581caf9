"""What an order is: the customer's selection, the recipient, and the order as stored with its snapshots."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from models.delivery import DeliveryPoint


class OrderStatus(StrEnum):
    NEW = "new"
    PAID = "paid"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"


# new → paid → shipped, or cancelled before it ships; nothing leaves shipped or cancelled.
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.NEW: frozenset({OrderStatus.PAID, OrderStatus.CANCELLED}),
    OrderStatus.PAID: frozenset({OrderStatus.SHIPPED, OrderStatus.CANCELLED}),
    OrderStatus.SHIPPED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}


class PaymentMethod(StrEnum):
    FULL = "full"  # the whole amount to the shop's account before shipping
    PREPAYMENT = "prepayment"  # the shop's fixed prepayment now, the rest on delivery at Nova Poshta


@dataclass(frozen=True)
class OrderLine:
    """One selection as the customer made it."""

    sku: str
    size: str
    color: str | None = None
    quantity: int = 1


@dataclass(frozen=True)
class Recipient:
    """Already parsed by `catalog.customer_details`."""

    name: str
    phone: str
    city: str
    point: DeliveryPoint


@dataclass(frozen=True)
class OrderItem:
    product_id: int | None
    sku: str
    product_name: str
    size: str
    color: str | None
    quantity: int
    price: Decimal  # per piece, the catalog's price for this size when ordered

    @property
    def amount(self) -> Decimal:
        return self.price * self.quantity


@dataclass(frozen=True)
class Order:
    id: int
    idempotency_key: str
    user_id: str
    session_id: str
    status: OrderStatus
    total: Decimal
    items: tuple[OrderItem, ...]
    customer_name: str | None
    customer_phone: str | None
    customer_city: str | None
    delivery_address: str | None
    point: DeliveryPoint | None
    payment_method: PaymentMethod | None
    created_at: datetime
