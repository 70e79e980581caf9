"""Recognised customer photos, per customer and by the SHA-256 of the photo's bytes: only the catalog match is
kept (verdict and sku), never the vision model's words."""

from __future__ import annotations

import asyncpg


async def recognition(pool: asyncpg.Pool, customer_id: str, photo_hash: str) -> asyncpg.Record | None:
    """The verdict and sku this customer's photo got before, or None."""
    return await pool.fetchrow(
        "SELECT verdict, sku FROM photo_recognitions WHERE customer_id = $1 AND photo_hash = $2",
        customer_id, photo_hash)


async def remember_recognition(pool: asyncpg.Pool, customer_id: str, photo_hash: str, verdict: str,
                               sku: str | None) -> None:
    await pool.execute(
        """INSERT INTO photo_recognitions (customer_id, photo_hash, verdict, sku) VALUES ($1, $2, $3, $4)
           ON CONFLICT (customer_id, photo_hash) DO NOTHING""",
        customer_id, photo_hash, verdict, sku,
    )
