"""Card button tokens and the size or colour each stands for (see migration 0017)."""

from __future__ import annotations

from collections.abc import Iterable

import asyncpg


async def remember_choices(pool: asyncpg.Pool, choices: Iterable[tuple[str, str, str, str]]) -> None:
    """Store (token, sku, kind "s"|"c", value) rows; a token already stored is kept as it is."""
    await pool.executemany(
        "INSERT INTO card_choices (token, sku, kind, value) VALUES ($1, $2, $3, $4) ON CONFLICT (token) DO NOTHING",
        list(choices),
    )


async def choice_for(pool: asyncpg.Pool, token: str) -> tuple[str, str, str] | None:
    """(sku, kind, value) of a button token, or None for a token never issued."""
    row = await pool.fetchrow("SELECT sku, kind, value FROM card_choices WHERE token = $1", token)
    return (row["sku"], row["kind"], row["value"]) if row else None
