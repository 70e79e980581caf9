"""`python -m bot catalog sync-crm`: the shop's products and their variations read from Sitniks into our catalog,
for a shop whose CRM is the source of truth.

Each CRM product (GET /open-api/products, every page) becomes or updates the catalog product with the same
crm_product_id, else the same sku: its sizes, the price of each size and each size's variation id come from the
variations, and so does the stock of each size where the CRM gives it (summed over a size's colours; a CRM that
gives none leaves the catalog's count); its name, description, colours and photos stay as the catalog has them
(a new product takes the CRM's title). Everything is read before anything is written, and written in one
transaction through the catalog importer, so a CRM error leaves the catalog as it was and a second run changes
nothing.

Where a variation keeps its size is not publicly documented: `variation_size` reads a `properties`/`attributes`
entry named like "Розмір"/"size", else the variation's own title; a shop checks it against its Swagger page.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import asyncpg
import structlog

from catalog.importer import ImportReport, import_products
from catalog.sizes import parse_size, sorted_sizes
from catalog.texts import Rejected
from crm.client import SitniksClient
from models.products import Product
from storage.products import load_products

log = structlog.get_logger(__name__)

SIZE_NAMES = {"розмір", "размер", "size", "зріст", "рост"}
COLOUR_NAMES = {"колір", "цвет", "color", "colour"}


def _property(variation: Mapping[str, Any], names: set[str]) -> list[Any]:
    """The values of a variation's `properties`/`attributes` entries ({name, value}) named one of `names`."""
    return [p.get("value") for key in ("properties", "attributes") for p in variation.get(key) or []
            if isinstance(p, Mapping) and str(p.get("name") or "").strip().casefold() in names]


def variation_colour(variation: Mapping[str, Any]) -> str | None:
    """The colour a variation is kept for, where the shop keeps variations per colour."""
    colour = next((v for v in _property(variation, COLOUR_NAMES) if v not in (None, "")), None)
    return " ".join(str(colour).split()) if colour is not None else None


def variation_size(variation: Mapping[str, Any]) -> str | None:
    """The size label ("122-128") of a CRM variation, or None when it names none the catalog knows."""
    candidates = [*_property(variation, SIZE_NAMES), variation.get("size"), variation.get("title")]
    for value in candidates:
        if value in (None, ""):
            continue
        try:
            return parse_size(str(value)).label
        except Rejected:
            continue
    return None


def variation_stock(variation: Mapping[str, Any]) -> int | None:
    """Pieces available: `availableQuantity`, else the sum over `warehouses[].availableQuantity` (the places a
    public stock sync reads); None when the CRM gives neither."""
    def count(value: Any) -> int | None:
        return max(int(value), 0) if isinstance(value, int | float) and not isinstance(value, bool) else None

    if (own := count(variation.get("availableQuantity"))) is not None:
        return own
    stores = [count(w.get("availableQuantity")) for w in variation.get("warehouses") or [] if isinstance(w, Mapping)]
    return sum(n for n in stores if n is not None) if any(n is not None for n in stores) else None


def _price(value: Any) -> Decimal | None:
    try:
        price = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return None
    return price if price.is_finite() and price >= 0 else None


def merged_product(crm: Mapping[str, Any], current: Product | None) -> Product | None:
    """Our catalog product for one CRM product: None when none of its variations has a size and a price. A
    variation kept per colour maps as "size/colour" (the colour joins the product's colours); a size's price is
    its lowest over the colours."""
    ids: dict[str, int] = {}
    prices: dict[str, Decimal] = {}
    stock: dict[str, int] = {}
    colours = list(current.colors) if current else []
    for variation in crm.get("variations") or []:
        size, price, vid = variation_size(variation), _price(variation.get("price")), variation.get("id")
        if size is None or price is None or not isinstance(vid, int) or isinstance(vid, bool):
            log.warning("crm_variation_skipped", product=crm.get("id"), variation=vid)
            continue
        colour = variation_colour(variation)
        if colour and colour.casefold() not in {c.casefold() for c in colours}:
            colours.append(colour)
        colour = next((c for c in colours if colour and c.casefold() == colour.casefold()), None)
        ids.setdefault(f"{size}/{colour}" if colour else size, vid)
        prices[size] = min(price, prices.get(size, price))
        if (pieces := variation_stock(variation)) is not None:
            stock[size] = stock.get(size, 0) + pieces
    if not ids:
        return None
    sizes = tuple(s.label for s in sorted_sizes(list(prices)))
    base = min(prices.values())
    changes = {
        "sizes": sizes, "price": base, "colors": tuple(colours), "crm_product_id": str(crm["id"]),
        "price_by_size": {size: prices[size] for size in sizes if prices[size] != base},
        "crm_variation_ids": ids,
    }
    if stock:  # a CRM that gives no quantities leaves the catalog's own count alone
        changes["stock"] = stock
    if current is not None:
        return dataclasses.replace(current, **changes)
    sku = str(crm.get("sku") or f"SITNIKS-{crm['id']}").strip()
    return Product(sku=sku, name=" ".join(str(crm.get("title") or crm.get("name") or sku).split()), **changes)


async def sync_catalog(pool: asyncpg.Pool, client: SitniksClient) -> ImportReport:
    """Read every CRM product, then write the catalog in one go. Raises CrmError (nothing written) when the CRM
    cannot be read."""
    crm_products = [p async for p in client.products() if p.get("id") is not None]
    catalog = await load_products(pool, active_only=False)
    by_crm_id = {p.crm_product_id: p for p in catalog if p.crm_product_id}
    by_sku = {p.sku: p for p in catalog}
    merged = []
    for crm in crm_products:
        current = by_crm_id.get(str(crm["id"])) or by_sku.get(str(crm.get("sku") or ""))
        product = merged_product(crm, current)
        if product is None:
            log.warning("crm_product_skipped", product=crm.get("id"), reason="no variation with a size and a price")
        elif product.sku not in {p.sku for p in merged}:
            merged.append(product)
    return await import_products(pool, merged)
