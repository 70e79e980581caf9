"""After a reply: keep what the turn taught us, in the background, without ever touching the reply.

The facts come with the sales model's answer (`memory.extract`), so a turn that taught nothing costs nothing
here: no model call, no query."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import asyncpg
import structlog

from catalog.embeddings import Embed
from memory.extract import proposed_facts
from memory.facts import IMPORTANCE_MIN, Candidate, store_facts
from storage import memory as repo
from storage.erasure import mask_traces

log = structlog.get_logger(__name__)


async def remember_turn(pool: asyncpg.Pool, embed: Embed, user_id: str, session_id: str, proposed: Any,
                        turn_started: datetime) -> None:
    """Gate and store the facts the model proposed in a turn that started at `turn_started` (tz-aware). Never
    raises: memory is a bonus, the reply is not."""
    with structlog.contextvars.bound_contextvars(memory_user=user_id):
        try:
            await _remember(pool, embed, user_id, session_id, proposed, turn_started)
        except Exception:
            # The one deliberately broad catch in the project: this runs detached from the customer's turn, so
            # nothing above it could handle an error, and a failed write (a provider's odd embedding, a database
            # hiccup) must cost only this turn's facts. Logged with the traceback and dropped.
            log.exception("memory_turn_failed")


async def _remember(pool: asyncpg.Pool, embed: Embed, user_id: str, session_id: str, proposed: Any,
                    turn_started: datetime) -> None:
    facts = proposed_facts(proposed)
    important = [f for f in facts if f.importance >= IMPORTANCE_MIN]
    if not important:
        log.info("memory_turn_nothing_to_keep", proposed=len(facts))
        return
    # A /forget confirmed while the model was answering must win: the facts are dropped instead of recreating
    # the customer's memory, and the turn's traces (written after the erasure masked the others) are masked.
    erasure_seen = await repo.erasure_mark(pool, user_id)
    if erasure_seen is not None and erasure_seen >= turn_started:
        await mask_traces(pool, session_id, user_id)
        log.info("memory_turn_dropped", reason="customer_erased")
        return
    vectors = await embed([f.content for f in important])
    candidates = [Candidate(f, v) for f, v in zip(important, vectors, strict=True)]
    outcome = await store_facts(pool, user_id, session_id, candidates, datetime.now(UTC),
                                erasure_seen=erasure_seen)
    log.info("memory_turn_remembered", proposed=len(facts), **outcome)


class BackgroundMemory:
    """Starts `remember_turn` after a reply and returns at once; holds the tasks (asyncio keeps only weak
    references to them) so none is collected mid-way, and lets shutdown wait for them."""

    def __init__(self, pool: asyncpg.Pool, embed: Embed) -> None:
        self._pool = pool
        self._embed = embed
        self._tasks: set[asyncio.Task[None]] = set()

    def after_reply(self, user_id: str, session_id: str, proposed: Any, turn_started: datetime) -> None:
        """`proposed`: the `facts` of the model's answer, as it gave them."""
        task = asyncio.create_task(remember_turn(self._pool, self._embed, user_id, session_id, proposed,
                                                 turn_started), name=f"memory-{session_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self, timeout: float) -> None:
        """Wait up to `timeout` seconds for the memory writes still running (the facts of turns already
        answered); whatever is left is cancelled."""
        if not self._tasks:
            return
        _, unfinished = await asyncio.wait(set(self._tasks), timeout=timeout)
        for task in unfinished:
            task.cancel()
        await asyncio.gather(*unfinished, return_exceptions=True)
