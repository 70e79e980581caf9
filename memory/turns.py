"""After a reply: remember what the turn taught us, in the background, without ever touching the reply."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import asyncpg
import structlog

from agent.llm import Llm
from catalog.embeddings import Embed
from memory.erase import erased_meanwhile
from memory.extract import extract_facts, extraction_context
from memory.facts import IMPORTANCE_MIN, Candidate, store_facts
from memory.profile import Profile
from memory.retrieve import profile_lines
from memory.texts import load_texts
from storage import memory as repo

log = structlog.get_logger(__name__)


async def remember_turn(pool: asyncpg.Pool, llm: Llm, embed: Embed, user_id: str, session_id: str,
                        customer_text: str, assistant_text: str) -> None:
    """Extract, gate and store the facts of one exchange. Never raises: memory is a bonus, the reply is not."""
    with structlog.contextvars.bound_contextvars(memory_user=user_id):
        try:
            await _remember(pool, llm, embed, user_id, session_id, customer_text, assistant_text)
        except Exception:
            # The one deliberately broad catch in the project: this runs detached from the customer's turn, so
            # nothing above it could handle an error, and a failed extraction (model down, garbage JSON, a
            # provider's odd embedding, a database hiccup) must cost only this turn's facts. Logged with the
            # traceback and dropped; the model call itself is already traced as ERROR in llm_traces.
            log.exception("memory_turn_failed")


async def _remember(pool: asyncpg.Pool, llm: Llm, embed: Embed, user_id: str, session_id: str,
                    customer_text: str, assistant_text: str) -> None:
    # First, before anything slow: a /forget confirmed while the model thinks changes this mark, and
    # store_facts then drops the facts instead of recreating the customer's memory.
    erasure_seen = await repo.erasure_mark(pool, user_id)
    row = await repo.load_profile(pool, user_id)
    known = "\n".join(profile_lines(Profile.from_row(row), load_texts())) if row is not None else ""
    try:
        proposed = await extract_facts(llm, extraction_context(session_id, user_id), known, customer_text,
                                       assistant_text)
    except Exception:
        await erased_meanwhile(pool, user_id, session_id, erasure_seen)  # a failed call left a trace too
        raise
    if await erased_meanwhile(pool, user_id, session_id, erasure_seen):
        log.info("memory_turn_dropped", reason="customer_erased")
        return
    important = [f for f in proposed if f.importance >= IMPORTANCE_MIN]
    if not important:
        log.info("memory_turn_nothing_to_keep", proposed=len(proposed))
        return
    vectors = await embed([f.content for f in important])
    candidates = [Candidate(f, v) for f, v in zip(important, vectors, strict=True)]
    outcome = await store_facts(pool, user_id, session_id, candidates, datetime.now(UTC),
                                erasure_seen=erasure_seen)
    log.info("memory_turn_remembered", proposed=len(proposed), **outcome)


class BackgroundMemory:
    """Starts `remember_turn` after a reply and returns at once; holds the tasks (asyncio keeps only weak
    references to them) so none is collected mid-way, and lets shutdown wait for them."""

    def __init__(self, pool: asyncpg.Pool, llm: Llm, embed: Embed) -> None:
        self._pool = pool
        self._llm = llm
        self._embed = embed
        self._tasks: set[asyncio.Task[None]] = set()

    def after_reply(self, user_id: str, session_id: str, customer_text: str, assistant_text: str) -> None:
        task = asyncio.create_task(remember_turn(self._pool, self._llm, self._embed, user_id, session_id,
                                                 customer_text, assistant_text), name=f"memory-{session_id}")
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
