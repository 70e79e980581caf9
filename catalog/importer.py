"""Importing a catalog file all-or-nothing: every bad row is reported and nothing is written, or every row is.

Products are matched by sku: new ones are created, changed ones updated, identical ones left untouched (so a
re-import changes nothing), and with `deactivate_missing` the products absent from the file are retired.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import asyncpg

from catalog.files import CatalogFile, FileRejected, Row, RowError, read_file
from catalog.products import InvalidProduct, parse_product
from catalog.texts import Rejected, Text
from models.products import Product
from storage.products import deactivate_missing, insert_product, products_by_sku, update_product

Progress = Callable[[int], None]

_IMPORT_LOCK = 0x4D495254 + 4  # one import at a time; distinct from the migrations' lock


@dataclass(frozen=True)
class ImportReport:
    created: int
    updated: int
    unchanged: int
    deactivated: int
    read_as: CatalogFile | None = field(default=None, compare=False, repr=False)  # how the file was read


def validate_rows(rows: list[Row]) -> list[Product]:
    """Every row parsed, or FileRejected with every bad row's line and reasons (duplicates included)."""
    products: list[Product] = []
    errors: list[RowError] = []
    first_line: dict[str, int] = {}
    for row in rows:
        try:
            product = parse_product(row.values)
        except InvalidProduct as exc:
            errors.extend(RowError(row.line, reason) for reason in exc.reasons)
            continue
        if product.sku in first_line:
            errors.append(RowError(row.line, Rejected(Text.SKU_DUPLICATE, sku=product.sku,
                                                      first_line=first_line[product.sku])))
            continue
        first_line[product.sku] = row.line
        products.append(product)
    if errors:
        raise FileRejected(errors)
    return products


async def import_products(pool: asyncpg.Pool, products: list[Product], deactivate: bool = False,
                          progress: Progress | None = None) -> ImportReport:
    created = updated = unchanged = 0
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _IMPORT_LOCK)
        existing = await products_by_sku(conn, [p.sku for p in products])
        for product in products:
            current = existing.get(product.sku)
            if current is None:
                await insert_product(conn, product)
                created += 1
            elif current != product:
                await update_product(conn, product)
                updated += 1
            else:
                unchanged += 1
            if progress:
                progress(1)
        retired = await deactivate_missing(conn, [p.sku for p in products]) if deactivate else 0
    return ImportReport(created, updated, unchanged, retired)


async def import_file(pool: asyncpg.Pool, path: Path, deactivate: bool = False,
                      progress_for: Callable[[int], Progress] | None = None, sheet: str | None = None
                      ) -> ImportReport:
    """Read (`sheet`: an .xlsx file's sheet by name, the first when None), validate, write; FileRejected with every
    problem when anything is wrong. `progress_for(total)` gives a callback advanced once per written product."""
    read = read_file(path, sheet)
    products = validate_rows(read.rows)
    progress = progress_for(len(products)) if progress_for else None
    report = await import_products(pool, products, deactivate, progress)
    return replace(report, read_as=read)
