"""Nightly retention: finished chats keep only their latest checkpoint (the whole conversation is in it, so the
chat resumes as before; each turn already deletes the older ones, this cleans what databases kept before that),
handled inbox rows, sent managers' messages and old trace snapshots go. Messages and orders are kept. A step or a
chat that fails is logged and counted; the rest of the sweep goes on."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg
import structlog
from langgraph.checkpoint.base import BaseCheckpointSaver

from storage.retention import (
    clear_trace_snapshots, drop_done_managers_messages, drop_erasure_marks, drop_handled_updates,
    finished_chats_with_history,
)

log = structlog.get_logger(__name__)

ERASURE_MARKS_KEPT = timedelta(days=1)  # far longer than any memory write waits for the model
PRUNE_BATCH = 100  # chats per aprune call; each chat is pruned in its own transaction inside it


@dataclass(frozen=True)
class Retention:
    pool: asyncpg.Pool
    saver: BaseCheckpointSaver
    inbox_for: timedelta
    traces_for: timedelta
    chats_quiet_for: timedelta

    async def sweep(self, now: datetime) -> dict[str, int]:
        """Returns how many rows each step removed, and `failed`: how many chats or steps failed."""
        chats = await finished_chats_with_history(self.pool, now, self.chats_quiet_for)
        counts = {"chats_pruned": 0, "failed": 0}
        for start in range(0, len(chats), PRUNE_BATCH):
            await self._prune(chats[start:start + PRUNE_BATCH], counts)
        steps: dict[str, Callable[[], Awaitable[int]]] = {
            "inbox_deleted": lambda: drop_handled_updates(self.pool, now - self.inbox_for),
            "managers_messages_deleted": lambda: drop_done_managers_messages(self.pool, now - self.inbox_for),
            "trace_snapshots_cleared": lambda: clear_trace_snapshots(self.pool, now - self.traces_for),
            "erasure_marks_deleted": lambda: drop_erasure_marks(self.pool, now - ERASURE_MARKS_KEPT),
        }
        for name, step in steps.items():
            try:
                counts[name] = await step()
            except Exception as exc:
                counts[name] = 0
                counts["failed"] += 1
                log.error("retention_step_failed", step=name, error=type(exc).__name__, exc_info=exc)
        return counts

    async def _prune(self, batch: list[str], counts: dict[str, int]) -> None:
        """A batch at once; when it fails, chat by chat, so one chat's failure keeps only its own history."""
        try:
            await self.saver.aprune(batch, strategy="keep_latest")
            counts["chats_pruned"] += len(batch)
            return
        except Exception as exc:
            log.warning("retention_batch_failed", chats=len(batch), error=type(exc).__name__)
        for chat in batch:
            try:
                await self.saver.aprune([chat], strategy="keep_latest")
                counts["chats_pruned"] += 1
            except Exception as exc:
                counts["failed"] += 1
                log.error("retention_chat_failed", chat_id=chat, error=type(exc).__name__, exc_info=exc)
