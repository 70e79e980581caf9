"""What to keep of the facts the model proposes: the seed's gate, supersede-by-slot, reinforcement, siblings apart.

Rules, in order, for each proposed fact:
- importance < 0.6: dropped (greetings, small talk). Every other path needs an important fact.
- it fills a profile slot (a child's height, the city): the slot decides, not cosine similarity. The same value
  as the active fact reinforces it; a different value is a change: the new fact supersedes the old one (kept,
  inactive) whatever its surprise; a slot with no active fact takes the value through the seed's gate, a value
  the profile does not hold yet counting as surprising.
- otherwise: a near-duplicate of an active fact about the same child (or the family) reinforces it; a new one
  is kept only if surprise ≥ 0.4 (the seed's gate).
A child slot without a child's name is applied only when the family has at most one child: siblings are never
guessed between.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from uuid import UUID

import asyncpg
import structlog
from pydantic import BaseModel, Field

from memory.decay import decay_rate_for
from memory.profile import SLOTS, Profile, Slot
from storage import memory as repo

log = structlog.get_logger(__name__)

IMPORTANCE_MIN = 0.6
SURPRISE_MIN = 0.4
DUPLICATE_SIMILARITY = 0.9

FactType = Literal["preference", "constraint", "logistics", "behavior"]
Category = Literal["child", "style", "delivery", "payment"]


class ProposedFact(BaseModel):
    """One fact as the extraction call proposes it."""

    content: str = Field(min_length=3, max_length=500)
    fact_type: FactType
    category: Category
    importance: float = Field(ge=0, le=1)
    surprise: float = Field(ge=0, le=1)
    confidence: float = Field(ge=0, le=1)
    child: str | None = Field(default=None, max_length=60)
    slot: str | None = None
    value: str | None = Field(default=None, max_length=120)


@dataclass(frozen=True)
class Candidate:
    fact: ProposedFact
    embedding: list[float]


async def store_facts(pool: asyncpg.Pool, user_id: str, session_id: str | None, candidates: list[Candidate],
                      at: datetime, *, erasure_seen: datetime | None) -> Counter[str]:
    """Apply the rules to one turn's facts and update the profile, in one transaction per customer.
    Returns how many facts were stored, superseded, reinforced and dropped.

    `erasure_seen` is `storage.memory.erasure_mark` as read when the turn's memory write began (before the model
    call): if /forget erased the customer since, every fact is dropped ("erased"), nothing recreated.
    """
    outcome: Counter[str] = Counter()
    async with pool.acquire() as conn, conn.transaction():
        await repo.lock_customer(conn, user_id)
        if await repo.erased_since(conn, user_id, erasure_seen):
            log.info("memory_facts_dropped", reason="customer_erased", facts=len(candidates))
            outcome["erased"] = len(candidates)
            return outcome
        profile = Profile.from_row(await repo.ensure_profile(conn, user_id))
        writer = _Writer(conn, profile, user_id, session_id, at)
        for candidate in candidates:
            outcome[await writer.store(candidate)] += 1
        history = await repo.order_history(conn, user_id)
        if history["orders_count"]:
            profile.commerce.update(orders_count=history["orders_count"],
                                    last_order_at=history["last_order_at"].date().isoformat(),
                                    average_check=str(history["average_check"]))
        await repo.save_profile(conn, user_id, profile.columns())
    return outcome


@dataclass
class _Writer:
    conn: asyncpg.Connection
    profile: Profile
    user_id: str
    session_id: str | None
    at: datetime

    async def store(self, candidate: Candidate) -> str:
        fact = candidate.fact
        if fact.importance < IMPORTANCE_MIN:
            return "dropped"
        slot = SLOTS.get(fact.slot or "")
        if slot is not None:
            return await self._store_slot(candidate, slot)
        key = (await self._child(fact.child) or "") if fact.child else ""
        twin = await repo.nearest_free_fact(self.conn, self.user_id, key, candidate.embedding)
        if twin is not None and twin["similarity"] >= DUPLICATE_SIMILARITY:
            await repo.reinforce_fact(self.conn, twin["id"], fact.importance, fact.confidence, self.at)
            return "reinforced"
        if fact.surprise < SURPRISE_MIN:
            return "dropped"
        await self._insert(candidate, key, None, None)
        return "stored"

    async def _store_slot(self, candidate: Candidate, slot: Slot) -> str:
        fact = candidate.fact
        value = slot.parse(fact.value)
        key = await self._slot_owner(slot, fact.child)
        if value is None or key is None:
            reason = "implausible_slot_value" if value is None else "which_child_unknown"
            log.info("memory_fact_dropped", reason=reason, slot=slot.name)
            return "dropped"
        text = str(value)
        active = await repo.active_slot_fact(self.conn, self.user_id, key, slot.name, text if slot.many else "")
        if active is not None and active["slot_value"] == text:
            await repo.reinforce_fact(self.conn, active["id"], fact.importance, fact.confidence, self.at)
            self.profile.set(slot, key, value, self.at)
            return "reinforced"
        known = self.profile.value(slot, key)
        new_to_profile = value not in (known or []) if slot.many else known != value
        if active is None and not new_to_profile and fact.surprise < SURPRISE_MIN:
            return "dropped"
        replaced = [active["id"]] if active is not None else []
        if slot.opposite:
            opposite = await repo.active_slot_fact(self.conn, self.user_id, key, slot.opposite, text)
            replaced += [opposite["id"]] if opposite is not None else []
        await repo.retire_facts(self.conn, replaced, self.at)
        new_id = await self._insert(candidate, key, slot, text)
        await repo.link_superseded(self.conn, replaced, new_id)
        self.profile.set(slot, key, value, self.at)
        return "superseded" if replaced else "stored"

    async def _slot_owner(self, slot: Slot, child: str | None) -> str | None:
        """Whose slot it is: a child's (None when it cannot be known which child) or the family's ('')."""
        if slot.section == "child" or (slot.section == "style" and child):
            return await self._child(child)
        return ""

    async def _child(self, name: str | None) -> str | None:
        key, renamed_from = self.profile.add_child(name)
        if key is not None and renamed_from is not None:
            await repo.move_child_facts(self.conn, self.user_id, renamed_from, key)
        return key

    async def _insert(self, candidate: Candidate, key: str, slot: Slot | None, text: str | None) -> UUID:
        fact = candidate.fact
        return await repo.insert_fact(self.conn, repo.NewFact(
            user_id=self.user_id, session_id=self.session_id, content=fact.content.strip(),
            fact_type=fact.fact_type, category=fact.category, importance=fact.importance, surprise=fact.surprise,
            confidence=fact.confidence, decay_rate=decay_rate_for(fact.fact_type), embedding=candidate.embedding,
            child_key=key, slot=slot.name if slot else None, slot_value=text,
            value_key=text if slot is not None and slot.many and text is not None else "", at=self.at,
        ))
