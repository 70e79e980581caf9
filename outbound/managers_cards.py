"""What managers read: the escalation card (who, the child's size, the cart, the order, why, the last messages)
and the order card with its buttons. Plain text, so a customer's words cannot break the markup."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import asyncpg

from models.orders import Order
from outbound.texts import AdminTexts, Text
from storage import handoffs

TAKE = "handoff:take"
PAID = "order:paid"
CANCEL = "order:cancel"
LAST_MESSAGES = 6
QUOTE_LIMIT = 300


def customer_name(facts: asyncpg.Record | None) -> str:
    if facts is None:
        return "—"
    name = " ".join(p for p in (facts["first_name"], facts["last_name"]) if p)
    if facts["username"]:
        name = f"{name} @{facts['username']}".strip()
    return name or "—"


async def escalation_card(pool: asyncpg.Pool, texts: AdminTexts, session_id: str, headline: str, reason: str,
                          snapshot: dict[str, Any] | None = None) -> tuple[str, list[list[dict[str, str]]]]:
    """The card and its "Взяти розмову" button; `snapshot` is agent_sessions.state's shape (the stored one when
    not given)."""
    facts = await handoffs.customer_facts(pool, session_id)
    state = snapshot if snapshot is not None else dict(facts["state"]) if facts else {}
    cart = state.get("selected_products") or []
    order = (state.get("metadata") or {}).get("order_id")
    lines = [headline]
    if reason:
        lines.append(texts(Text.CARD_REASON, reason=reason))
    lines.append(texts(Text.CARD_CUSTOMER, name=customer_name(facts), session_id=session_id))
    sizes = ", ".join(dict.fromkeys(str(item["size"]) for item in cart if item.get("size")))
    if sizes:
        lines.append(texts(Text.CARD_CHILD, child=sizes))
    if cart:
        lines.append(texts(Text.CARD_CART))
        lines += [texts(Text.CARD_CART_LINE, name=i["name"], size=i["size"], quantity=i["quantity"],
                        price=money(i["price"]),
                        color=texts(Text.ORDER_COLOR, color=i["color"]) if i.get("color") else "") for i in cart]
    if order:
        lines.append(texts(Text.CARD_ORDER, order=order))
    said = await handoffs.last_messages(pool, session_id, LAST_MESSAGES)
    if said:
        lines.append(texts(Text.CARD_LAST))
        lines += [texts(Text.CARD_SAID_CUSTOMER if m["role"] == "user" else Text.CARD_SAID_BOT,
                        text=_quote(m["content"])) for m in said]
    return "\n".join(lines), [[{"text": texts(Text.TAKE_BUTTON), "data": f"{TAKE}:{session_id}"}]]


def order_card(texts: AdminTexts, order: Order, name: str) -> tuple[str, list[list[dict[str, str]]]]:
    items = "\n".join(texts(Text.ORDER_ITEM, name=i.product_name, size=i.size, quantity=i.quantity,
                            price=money(i.price),
                            color=texts(Text.ORDER_COLOR, color=i.color) if i.color else "") for i in order.items)
    payment = Text(f"payment_{order.payment_method.value}") if order.payment_method else Text.PAYMENT_UNKNOWN
    text = texts(Text.ORDER_CARD, order=order.id, total=money(order.total), name=order.customer_name or name,
                 phone=order.customer_phone or "—", session_id=order.session_id, city=order.customer_city or "—",
                 address=order.delivery_address or "—", payment=texts(payment), items=items)
    return text, [[{"text": texts(Text.PAID_BUTTON), "data": f"{PAID}:{order.id}"},
                   {"text": texts(Text.CANCEL_BUTTON), "data": f"{CANCEL}:{order.id}"}]]


def money(amount: Decimal | str) -> str:
    """Hryvnias as the shop writes them: 1850, or 1850.50 when there are kopecks."""
    value = Decimal(str(amount))
    return f"{value:.0f}" if value == value.to_integral_value() else f"{value:.2f}"


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= QUOTE_LIMIT else text[: QUOTE_LIMIT - 1] + "…"


def customer_said(texts: AdminTexts, text: str) -> str:
    return texts(Text.CARD_SAID_CUSTOMER, text=_quote(text))
