"""Compressed memory: once a week, each customer whose facts changed gets a fresh summary (one model call), and
the previous summary stops being current, so the prompt carries a few lines instead of a hundred facts."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from importlib import resources
from typing import Any

import asyncpg
import structlog
from pydantic import BaseModel, Field, ValidationError

from llm.client import CallContext, Llm, LlmUnavailable
from memory.erase import erased_meanwhile
from storage import memory as repo
from storage.sanitize import clean_text

log = structlog.get_logger(__name__)

NODE = "memory_summary"
WEEK = timedelta(days=7)
MAX_FACTS = 100

RESPONSE_FORMAT: dict[str, Any] = {
    "type": "json_schema",
    "json_schema": {
        "name": "customer_summary",
        "strict": True,
        "schema": {"type": "object", "additionalProperties": False, "required": ["summary_text", "key_facts"],
                   "properties": {"summary_text": {"type": "string"},
                                  "key_facts": {"type": "array", "items": {"type": "string"}}}},
    },
}


class Summary(BaseModel):
    summary_text: str = Field(min_length=10, max_length=2000)
    key_facts: list[str] = Field(max_length=12)


async def weekly_summaries(pool: asyncpg.Pool, llm: Llm, now: datetime) -> int:
    """Summarise the customers whose facts changed in the week before `now`; returns how many got a new summary.
    A customer the model fails for, or whose summary cannot be stored, keeps the previous summary and is tried
    again next run; the others are summarised all the same."""
    done = 0
    for user_id in await repo.customers_to_summarise(pool, now - WEEK, now):
        try:
            done += await _summarise_customer(pool, llm, user_id, now)
        except Exception as exc:  # one customer's failure never stops the others' summaries
            log.error("memory_summary_failed", error=type(exc).__name__, exc_info=exc)
    log.info("memory_summaries_written", customers=done)
    return done


async def _summarise_customer(pool: asyncpg.Pool, llm: Llm, user_id: str, now: datetime) -> bool:
    erasure_seen = await repo.erasure_mark(pool, user_id)  # before the facts are read: see replace_summary
    facts = await repo.search_facts(pool, user_id, None, now, MAX_FACTS)
    if not facts:
        return False
    try:
        summary = await summarise(llm, user_id, [f["content"] for f in facts])
    except (LlmUnavailable, ValidationError, json.JSONDecodeError) as exc:
        log.warning("memory_summary_failed", error=type(exc).__name__)
        await erased_meanwhile(pool, user_id, user_id, erasure_seen)  # masks the failed call's trace then
        return False
    if await erased_meanwhile(pool, user_id, user_id, erasure_seen) or not await repo.replace_summary(
            pool, user_id, clean_text(summary.summary_text.strip()),
            [clean_text(k.strip()) for k in summary.key_facts if k.strip()], len(facts), now,
            erasure_seen=erasure_seen):
        log.info("memory_summary_dropped", reason="customer_erased")
        return False
    return True


async def summarise(llm: Llm, user_id: str, facts: list[str]) -> Summary:
    # A customer's private chat has the customer's id, so traces of their summaries are found (and masked on
    # erasure) under the same session id as their conversation.
    ctx = CallContext(uuid.uuid4(), user_id, int(user_id) if user_id.lstrip("-").isdigit() else None,
                      node_name=NODE)
    instructions = (resources.files("memory") / "prompts" / "summary.uk.md").read_text(encoding="utf-8")
    completion = await llm.chat(ctx, [{"role": "system", "content": instructions},
                                      {"role": "user", "content": "\n".join(f"- {f}" for f in facts)}],
                                response_format=RESPONSE_FORMAT, temperature=0)
    reply = completion.choices[0].message.content if completion.choices else None
    return Summary.model_validate(json.loads(reply or "null"))
