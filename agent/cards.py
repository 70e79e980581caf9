"""Product cards the dialog shows next to its words: the catalog's name, price, sizes and colours, never the
model's. The Telegram layer turns them into photos (or messages) with size and colour buttons."""

from __future__ import annotations

from typing import TypedDict

from models.products import Product

MAX_BUTTONS = 8


class Card(TypedDict):
    sku: str
    name: str
    price: str  # "1850" or "1590–2390" when the price depends on the size
    sizes: list[str]  # only sizes the shop has: a sold-out size gets no button
    colors: list[str]
    photo_url: str | None


def card(product: Product, color: str | None = None) -> Card:
    prices = sorted({product.price_for(size) for size in product.sizes})
    price = f"{prices[0]:.0f}" if len(prices) == 1 else f"{prices[0]:.0f}–{prices[-1]:.0f}"
    return Card(sku=product.sku, name=product.name, price=price, sizes=list(product.sizes_in_stock)[:MAX_BUTTONS],
                colors=list(product.colors)[:MAX_BUTTONS], photo_url=product.photo_for(color))
