"""The sales agent's tools: every price, size, colour, total and customer detail comes from here, computed by the
catalog's code, never by the model. A tool changes the turn's draft of the dialog and reports what it did."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import asyncpg

from agent.state import CartLine, Customer, Phase, Stage
from catalog.customer_details import Cities, parse_delivery_point, parse_full_name, parse_phone, point_label
from catalog.finder import Catalog
from catalog.orders import place_order, price_items, total_of
from catalog.search import SearchQuery
from catalog.sizes import Verdict, explain_no_size, next_size_up, size_for_height
from catalog.texts import Rejected, Text, Texts
from knowledge.search import KnowledgeBase
from models.delivery import DeliveryPoint, PointKind
from models.orders import OrderLine, PaymentMethod, Recipient
from models.products import Product
from storage.products import products_by_sku
from storage.questions import record_unanswered

MAX_RESULTS = 5


@dataclass
class Draft:
    """The dialog as this turn changes it; written back to the graph state when the turn ends."""

    stage: Stage
    phase: Phase
    cart: list[CartLine]
    customer: Customer
    payment_method: str | None
    order_id: int | None
    user_id: str
    session_id: str
    update_id: int  # the turn's (last) Telegram update
    question: str = ""  # the customer's words this turn, as the model may read them (screened)
    prices: set[Decimal] = field(default_factory=set)  # every amount a tool stated this turn
    escalation: str | None = None
    requisites_due: bool = False
    products: dict[str, Product] = field(default_factory=dict)  # every product a tool looked at this turn
    shown: list[str] = field(default_factory=list)  # skus the reply shows as product cards
    pictures: list[str] = field(default_factory=list)  # links to pictures of the shop's answers (a size chart)
    uncovered: str | None = None  # what the knowledge was asked and had nothing for
    covered: bool = False  # the knowledge was asked and answered
    facts: Any = None  # the reply's `facts`: what the model proposes to remember of this turn, unchecked


def _object(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


def _tool(name: str, description: str, parameters: dict[str, Any]) -> dict[str, Any]:
    return {"type": "function", "function": {"name": name, "description": description, "parameters": parameters}}


SPECS = [
    _tool("search_products", "Знайти моделі в каталозі за словами покупця та фільтрами.", _object({
        "query": {"type": "string"}, "category": {"type": "string"}, "height_cm": {"type": "integer"},
        "color": {"type": "string"}, "max_price": {"type": "number"}}, ["query"])),
    _tool("recommend_size", "Розмір моделі для зросту дитини і ціна цього розміру.", _object({
        "sku": {"type": "string"}, "height_cm": {"type": "integer"}}, ["sku", "height_cm"])),
    _tool("product_details", "Опис моделі: розміри з цінами, кольори, фото.", _object({
        "sku": {"type": "string"}}, ["sku"])),
    _tool("set_cart", "Записати вибір покупця (модель, розмір, колір, кількість); повертає ціни і суму.", _object({
        "items": {"type": "array", "items": _object({
            "sku": {"type": "string"}, "size": {"type": "string"}, "color": {"type": "string"},
            "quantity": {"type": "integer"}}, ["sku", "size"])}}, ["items"])),
    _tool("record_customer_details", "Записати дані для доставки, які назвав покупець (лише названі).", _object({
        "full_name": {"type": "string"}, "phone": {"type": "string"}, "city": {"type": "string"},
        "delivery_point": {"type": "string"}}, [])),
    _tool("confirm_customer_details", "Покупець підтвердив зачитані дані доставки.", _object({}, [])),
    _tool("choose_payment", "Покупець обрав спосіб оплати: full (повна оплата) або prepayment (передоплата).",
          _object({"method": {"type": "string", "enum": ["full", "prepayment"]}}, ["method"])),
    _tool("shop_info", "Умови й відповіді магазину його словами: доставка, оплата, обмін і повернення, догляд за "
          "тканинами, заміри (таблиці розмірів), графік і контакти, опт, пакування. Передай питання покупця.",
          _object({"question": {"type": "string"}}, ["question"])),
    _tool("call_manager", "Передати розмову живому менеджеру.", _object({"reason": {"type": "string"}}, ["reason"])),
]


class SalesTools:
    def __init__(self, pool: asyncpg.Pool, catalog: Catalog, texts: Texts, cities: Cities,
                 knowledge: KnowledgeBase) -> None:
        self._pool = pool
        self._catalog = catalog
        self._texts = texts
        self._cities = cities
        self._knowledge = knowledge

    async def run(self, name: str, args: dict[str, Any], draft: Draft) -> dict[str, Any]:
        handler = getattr(self, f"_{name}", None)
        if handler is None or name not in {spec["function"]["name"] for spec in SPECS}:
            return {"error": f"unknown tool {name}"}
        try:
            return await handler(draft, **args)
        except Rejected as rejected:
            return {"error": self._texts.say(rejected)}
        except (TypeError, ValueError) as exc:  # the model sent arguments the tool does not take
            return {"error": f"bad arguments: {exc}"}

    def _money(self, draft: Draft, amount: Decimal) -> str:
        draft.prices.add(amount)
        return f"{amount:.0f}" if amount == amount.to_integral() else f"{amount:.2f}"

    async def _search_products(self, draft: Draft, query: str, category: str | None = None,
                               height_cm: int | None = None, color: str | None = None,
                               max_price: float | None = None) -> dict[str, Any]:
        matches = await self._catalog.find(SearchQuery(
            text=query, category=category, height_cm=height_cm, color=color,
            max_price=Decimal(str(max_price)) if max_price is not None else None))
        draft.stage = Stage.SIZE_COLOR if height_cm is None else Stage.OFFER
        draft.products.update((m.product.sku, m.product) for m in matches[:MAX_RESULTS])
        return {"products": [{
            "sku": m.product.sku, "name": m.product.name, "size_for_height": m.size,
            "price": self._money(draft, m.price), "colors": list(m.colors), "category": m.product.category,
            **({"size_for_height_sold_out": m.sold_out} if m.sold_out else {}),
        } for m in matches[:MAX_RESULTS]]}

    async def _recommend_size(self, draft: Draft, sku: str, height_cm: int) -> dict[str, Any]:
        product = await self._catalog.product(sku)
        if product is None:
            return {"error": f"no product {sku}"}
        draft.products[sku] = product
        advice = size_for_height(product.sizes, height_cm)
        if advice.verdict is not Verdict.FITS or advice.size is None:
            return {"no_size": explain_no_size(self._texts, advice, product.name, product.sizes)}
        if not product.in_stock(advice.size):
            return self._sold_out(draft, product, advice.size, height_cm)
        return {"name": product.name, "size": advice.size, "price": self._money(draft, product.price_for(advice.size))}

    def _sold_out(self, draft: Draft, product: Product, size: str, height_cm: int) -> dict[str, Any]:
        """The fitting size is sold out: the next size up when the shop has it (to grow into), else a manager."""
        bigger = next_size_up(product.sizes, size)
        if bigger is None or not product.in_stock(bigger):
            return {"sold_out": self._texts.render(Text.SIZE_SOLD_OUT, height=height_cm, product=product.name,
                                                   size=size)}
        return {"sold_out": self._texts.render(Text.SIZE_SOLD_OUT_TRY_NEXT, height=height_cm, product=product.name,
                                               size=size, next_size=bigger),
                "next_size": bigger, "price": self._money(draft, product.price_for(bigger))}

    async def _product_details(self, draft: Draft, sku: str) -> dict[str, Any]:
        product = await self._catalog.product(sku)
        if product is None:
            return {"error": f"no product {sku}"}
        draft.products[sku] = product
        return {"name": product.name, "description": product.description, "colors": list(product.colors),
                "sizes": {size: self._money(draft, product.price_for(size)) for size in product.sizes_in_stock},
                "sold_out_sizes": [size for size in product.sizes if not product.in_stock(size)]}

    async def _set_cart(self, draft: Draft, items: list[dict[str, Any]]) -> dict[str, Any]:
        lines = [OrderLine(i["sku"], i["size"], i.get("color"), int(i.get("quantity") or 1)) for i in items]
        priced = price_items(await products_by_sku(self._pool, {line.sku for line in lines}), lines)
        draft.cart = [CartLine(sku=i.sku, name=i.product_name, size=i.size, color=i.color, quantity=i.quantity,
                               price=str(i.price)) for i in priced]
        draft.stage, draft.phase = Stage.PAYMENT_DELIVERY, Phase.WAITING_FOR_DELIVERY_DATA
        return {"cart": [{"name": i.product_name, "size": i.size, "color": i.color, "quantity": i.quantity,
                          "price": self._money(draft, i.price)} for i in priced],
                "total": self._money(draft, total_of(priced)), "missing": self._missing(draft.customer)}

    async def _record_customer_details(self, draft: Draft, full_name: str | None = None, phone: str | None = None,
                                       city: str | None = None, delivery_point: str | None = None
                                       ) -> dict[str, Any]:
        problems: dict[str, str] = {}
        parsers = {"name": (full_name, parse_full_name), "phone": (phone, parse_phone),
                   "city": (city, self._cities.parse)}
        for key, (value, parse) in parsers.items():
            if value:
                try:
                    draft.customer[key] = parse(value)  # type: ignore[literal-required]
                except Rejected as rejected:
                    problems[key] = self._texts.say(rejected)
        if delivery_point:
            try:
                point = parse_delivery_point(delivery_point)
                draft.customer["point_kind"], draft.customer["point_number"] = point.kind.value, point.number
            except Rejected as rejected:
                problems["delivery_point"] = self._texts.say(rejected)
        draft.customer["confirmed"] = False
        missing = self._missing(draft.customer)
        result: dict[str, Any] = {"problems": problems, "missing": missing}
        if not missing:
            result["read_back"] = self.read_back(draft)
        return result

    async def _confirm_customer_details(self, draft: Draft) -> dict[str, Any]:
        missing = self._missing(draft.customer)
        if missing:
            return {"error": "not all details are known", "missing": missing}
        draft.customer["confirmed"] = True
        draft.phase = Phase.WAITING_FOR_PAYMENT_METHOD
        return {"confirmed": True}

    async def _choose_payment(self, draft: Draft, method: str) -> dict[str, Any]:
        if not draft.cart:
            return {"error": "the cart is empty"}
        if not draft.customer.get("confirmed"):
            return {"error": "delivery details are not confirmed yet", "missing": self._missing(draft.customer)}
        placed = await place_order(
            # The turn's update id keys the order: a replayed turn finds its order, a later order is a new one.
            self._pool, self._texts, user_id=draft.user_id, session_id=draft.session_id, update_id=draft.update_id,
            lines=[OrderLine(c["sku"], c["size"], c["color"], c["quantity"]) for c in draft.cart],
            recipient=self.recipient(draft.customer), payment_method=PaymentMethod(method))
        draft.payment_method, draft.order_id = method, placed.order.id
        draft.phase, draft.requisites_due = Phase.WAITING_FOR_PAYMENT_PROOF, True
        return {"order_id": placed.order.id, "total": self._money(draft, placed.order.total),
                "requisites": "shown to the customer by the shop, do not repeat them"}

    async def _shop_info(self, draft: Draft, question: str) -> dict[str, Any]:
        entries = await self._knowledge.find(question)
        if not entries:
            draft.uncovered = question
            return {"found": False, "answer": "the shop's own answer and the manager offer are sent to the customer; "
                                              "do not answer this question yourself"}
        draft.covered = True  # the entries' texts, in this result, back the reply's terms, fees and measures
        draft.pictures.extend(e.photo for e in entries[:1] if e.photo and e.photo not in draft.pictures)
        return {"found": True, "entries": [{"topic": e.topic, "text": e.text} for e in entries]}

    async def not_covered(self, draft: Draft) -> str | None:
        """After the reply: when the knowledge was asked this turn and answered nothing, the question is recorded
        for /questions and the shop's honest answer (with the manager offered) is returned to be sent."""
        if draft.uncovered is None or draft.covered:
            return None
        await record_unanswered(self._pool, draft.user_id, draft.session_id, draft.question or draft.uncovered)
        return self._knowledge.knowledge.not_covered

    async def _call_manager(self, draft: Draft, reason: str) -> dict[str, Any]:
        draft.escalation = reason.strip() or "—"  # the model gave no reason; the card shows a dash
        draft.phase = Phase.ESCALATED
        return {"manager_called": True}

    @staticmethod
    def _missing(customer: Customer) -> list[str]:
        return [k for k in ("name", "phone", "city", "point_number") if not customer.get(k)]

    @staticmethod
    def recipient(customer: Customer) -> Recipient:
        point = DeliveryPoint(PointKind(customer["point_kind"]), int(customer["point_number"]))
        return Recipient(customer["name"], customer["phone"], customer["city"], point)

    def read_back(self, draft: Draft) -> str:
        customer = self.recipient(draft.customer)
        return f"{customer.name}, {customer.phone}, {customer.city}, {point_label(customer.point, self._texts)}"
