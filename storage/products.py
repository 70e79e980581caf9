"""The catalog in Postgres: products with their per-size prices, and their embeddings for semantic search."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import asyncpg

from models.products import Product

Executor = asyncpg.Connection | asyncpg.Pool

_SELECT = """
    SELECT p.id, p.sku, p.name, p.description, p.category, p.subcategory, p.price, p.sizes, p.colors,
           p.photo_url, p.color_photos, p.is_active, p.crm_product_id,
           p.crm_variation_ids, COALESCE(sp.sizes, '{}') AS price_sizes, COALESCE(sp.prices, '{}') AS price_values,
           COALESCE(ss.sizes, '{}') AS stock_sizes, COALESCE(ss.quantities, '{}') AS stock_quantities
    FROM products p
    LEFT JOIN LATERAL (
        SELECT array_agg(size ORDER BY size) AS sizes, array_agg(price ORDER BY size) AS prices
        FROM product_size_prices WHERE product_id = p.id
    ) sp ON true
    LEFT JOIN LATERAL (
        SELECT array_agg(size ORDER BY size) AS sizes, array_agg(quantity ORDER BY size) AS quantities
        FROM product_size_stock WHERE product_id = p.id
    ) ss ON true
"""


def _product(row: asyncpg.Record) -> Product:
    return Product(
        id=row["id"], sku=row["sku"], name=row["name"], description=row["description"], category=row["category"],
        subcategory=row["subcategory"], price=row["price"], sizes=tuple(row["sizes"]), colors=tuple(row["colors"]),
        photo_url=row["photo_url"], color_photos=dict(row["color_photos"]), is_active=row["is_active"],
        crm_product_id=row["crm_product_id"], crm_variation_ids=dict(row["crm_variation_ids"]),
        price_by_size=dict(zip(row["price_sizes"], row["price_values"], strict=True)),
        stock=dict(zip(row["stock_sizes"], row["stock_quantities"], strict=True)),
    )


async def load_products(db: Executor, active_only: bool = True) -> list[Product]:
    where = "WHERE p.is_active" if active_only else ""
    return [_product(r) for r in await db.fetch(f"{_SELECT} {where} ORDER BY p.sku")]


async def products_by_sku(db: Executor, skus: Iterable[str]) -> dict[str, Product]:
    rows = await db.fetch(f"{_SELECT} WHERE p.sku = ANY($1::text[])", list(skus))
    return {r["sku"]: _product(r) for r in rows}


async def insert_product(conn: asyncpg.Connection, product: Product) -> int:
    product_id: int = await conn.fetchval(
        """INSERT INTO products (sku, name, description, category, subcategory, price, sizes, colors, photo_url,
                                 color_photos, is_active, crm_product_id, crm_variation_ids)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id""",
        *_values(product),
    )
    await _replace_size_values(conn, product_id, product)
    return product_id


async def update_product(conn: asyncpg.Connection, product: Product) -> None:
    product_id = await conn.fetchval(
        """UPDATE products SET name = $2, description = $3, category = $4, subcategory = $5, price = $6,
                               sizes = $7, colors = $8, photo_url = $9, color_photos = $10, is_active = $11,
                               crm_product_id = $12, crm_variation_ids = $13, updated_at = now()
           WHERE sku = $1 RETURNING id""",
        *_values(product),
    )
    await _replace_size_values(conn, product_id, product)


def _values(p: Product) -> tuple[object, ...]:
    return (p.sku, p.name, p.description, p.category, p.subcategory, p.price, list(p.sizes), list(p.colors),
            p.photo_url, p.color_photos, p.is_active, p.crm_product_id, p.crm_variation_ids)


async def _replace_size_values(conn: asyncpg.Connection, product_id: int, product: Product) -> None:
    """Per-size prices and stock as the file gives them: the file is what the shop has now."""
    for table, column, values in (("product_size_prices", "price", product.price_by_size),
                                  ("product_size_stock", "quantity", product.stock)):
        await conn.execute(f"DELETE FROM {table} WHERE product_id = $1", product_id)
        await conn.executemany(f"INSERT INTO {table} (product_id, size, {column}) VALUES ($1, $2, $3)",
                               [(product_id, size, value) for size, value in values.items()])


async def take_from_stock(conn: asyncpg.Connection, product_id: int, size: str, quantity: int) -> bool:
    """Take `quantity` pieces of a counted size, or nothing when fewer are left (False). The conditional UPDATE
    locks the row: a concurrent order for the same size waits, then sees what this one left. Call it only for a
    size the product counts (a size without a stock row is not limited)."""
    left = await conn.fetchval(
        """UPDATE product_size_stock SET quantity = quantity - $3
           WHERE product_id = $1 AND size = $2 AND quantity >= $3 RETURNING quantity""",
        product_id, size, quantity,
    )
    return left is not None


async def deactivate_missing(conn: asyncpg.Connection, keep_skus: Sequence[str]) -> int:
    """Retire every active product whose sku is not in `keep_skus`; returns how many were retired."""
    rows = await conn.fetch(
        """UPDATE products SET is_active = false, updated_at = now()
           WHERE is_active AND sku <> ALL($1::text[]) RETURNING id""",
        list(keep_skus),
    )
    return len(rows)


async def embedding_hashes(db: Executor) -> dict[int, str | None]:
    rows = await db.fetch("SELECT id, embedding_hash FROM products WHERE is_active")
    return {r["id"]: r["embedding_hash"] for r in rows}


async def save_embeddings(
    db: Executor, model: str, vectors: Sequence[tuple[int, list[float], str]],
) -> None:
    """Store (product id, vector, hash of the embedded text) for products embedded with `model`."""
    await db.executemany(
        """UPDATE products SET embedding = $2, embedding_model = $3, embedding_hash = $4 WHERE id = $1""",
        [(product_id, vector, model, text_hash)
         for product_id, vector, text_hash in vectors],
    )


async def has_embeddings(db: Executor, model: str) -> bool:
    return bool(await db.fetchval(
        "SELECT EXISTS (SELECT 1 FROM products WHERE is_active AND embedding_model = $1)", model,
    ))


async def similar_products(db: Executor, vector: list[float], model: str) -> dict[int, float]:
    """Cosine similarity of every active product embedded with `model` to `vector` (product id → similarity)."""
    rows = await db.fetch(
        """SELECT id, 1 - (embedding <=> $1) AS similarity FROM products
           WHERE is_active AND embedding IS NOT NULL AND embedding_model = $2""",
        vector, model,
    )
    return {r["id"]: float(r["similarity"]) for r in rows}
