"""The LLM usage roll-up: cost and tokens per model per shop day, for the admins' reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from storage.usage import roll_up_usage


@dataclass(frozen=True)
class UsageRollUp:
    pool: asyncpg.Pool
    timezone: str

    async def sweep(self, now: datetime) -> dict[str, int]:
        return {"days_models_written": await roll_up_usage(self.pool, now, self.timezone)}
