"""Recognised customer photos, keyed by the SHA-256 of their bytes."""

from __future__ import annotations

import asyncpg


async def recognition(pool: asyncpg.Pool, photo_hash: str) -> asyncpg.Record | None:
    return await pool.fetchrow("SELECT verdict, sku, question FROM photo_recognitions WHERE photo_hash = $1",
                               photo_hash)


async def remember_recognition(pool: asyncpg.Pool, photo_hash: str, verdict: str, sku: str | None,
                               question: str | None) -> None:
    await pool.execute(
        """INSERT INTO photo_recognitions (photo_hash, verdict, sku, question) VALUES ($1, $2, $3, $4)
           ON CONFLICT (photo_hash) DO NOTHING""",
        photo_hash, verdict, sku, question,
    )
