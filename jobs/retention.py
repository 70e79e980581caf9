"""Nightly retention: finished chats keep only their latest checkpoint (the whole conversation is in it, so the
chat resumes as before), handled inbox rows and old trace snapshots go. Messages and orders are kept."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

from storage.retention import (
    clear_trace_snapshots, drop_erasure_marks, drop_handled_updates, finished_chats_with_history,
)

ERASURE_MARKS_KEPT = timedelta(days=1)  # far longer than any memory write waits for the model
PRUNE_BATCH = 100  # chats per aprune call; each chat is pruned in its own transaction inside it


@dataclass(frozen=True)
class Retention:
    pool: asyncpg.Pool
    saver: AsyncPostgresSaver
    inbox_for: timedelta
    traces_for: timedelta
    chats_quiet_for: timedelta

    async def sweep(self, now: datetime) -> dict[str, int]:
        chats = await finished_chats_with_history(self.pool, now, self.chats_quiet_for)
        for start in range(0, len(chats), PRUNE_BATCH):
            await self.saver.aprune(chats[start:start + PRUNE_BATCH], strategy="keep_latest")
        return {
            "chats_pruned": len(chats),
            "inbox_deleted": await drop_handled_updates(self.pool, now - self.inbox_for),
            "trace_snapshots_cleared": await clear_trace_snapshots(self.pool, now - self.traces_for),
            "erasure_marks_deleted": await drop_erasure_marks(self.pool, now - ERASURE_MARKS_KEPT),
        }
