"""Memory for the system prompt: the profile, the current summary and the facts that matter for this turn.

Only this customer's rows are read (every query is by user_id). Constraints come first and always (an allergy
matters whatever the customer asks about); then the facts ranked for the query. Facts that fill a profile slot
are left out: the profile already says them, with their dates. The block stays under a token budget.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import openai
import structlog

from catalog.embeddings import Embed
from memory.profile import SLOTS, Profile
from memory.texts import MemoryTexts, Text, load_texts
from storage import memory as repo

log = structlog.get_logger(__name__)

TOKEN_BUDGET = 1500
TOP_FACTS = 8
CHARS_PER_TOKEN = 2.5  # Cyrillic under OpenAI's tokenizers: between ~2.5 (cl100k) and ~4 (o200k); be safe

_CHILD_DETAILS = ("age", "birth_year", "height_cm", "gender", "body_type", "size")
_STYLE = ("favorite_colors", "avoided_colors", "favorite_models", "fabrics", "avoided_fabrics")
_DELIVERY = ("city", "branch", "delivery_method", "payment_preference")


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


async def memory_for_prompt(pool: asyncpg.Pool, user_id: str, query: str, embed: Embed,
                            now: datetime | None = None) -> str:
    """The Ukrainian memory block for this customer's system prompt; '' when nothing is known yet."""
    now = now or datetime.now(UTC)
    row = await repo.load_profile(pool, user_id)
    if row is None:
        return ""
    texts = load_texts()
    profile = Profile.from_row(row)
    embedding = await _query_embedding(embed, query)
    facts = await repo.search_facts(pool, user_id, embedding, now, TOP_FACTS, children_named(profile, query))
    constraints = await repo.constraint_facts(pool, user_id)
    summary = await repo.current_summary(pool, user_id)
    lines = [texts.render(Text.MEMORY_HEADER), *profile_lines(profile, texts)]
    if summary is not None:
        lines += [texts.render(Text.SUMMARY_HEADER), summary["summary_text"]]
    shown = {f["id"] for f in constraints}
    free = [f for f in facts if f["slot"] is None and f["id"] not in shown]
    if constraints or free:
        lines.append(texts.render(Text.FACTS_HEADER))
        lines += [f"- {texts.render(Text.CONSTRAINT_FACT, content=f['content'])}" for f in constraints]
        lines += [f"- {f['content']}" for f in free]
    return within_budget(lines, TOKEN_BUDGET)


async def _query_embedding(embed: Embed, query: str) -> list[float] | None:
    """The query's vector; without one (empty query, provider down) facts are ranked by importance and recency,
    because a reply must not wait for or fail on the memory's embedding."""
    if not query.strip():
        return None
    try:
        return (await embed([query]))[0]
    except openai.OpenAIError as exc:
        log.warning("memory_query_embedding_failed", error=type(exc).__name__)
        return None


def children_named(profile: Profile, query: str) -> list[str]:
    """Keys of the children the query names, in any case form: Ukrainian names decline at the end (Марійка,
    Марійки, Марійці), so the first five letters are compared; look-alikes sharing them (Андрій, Андрійко) are
    both taken, which only means neither is favoured."""
    stems = {word[:5] for word in re.findall(r"\w+", query.lower()) if len(word) >= 3}
    return [c["key"] for c in profile.children if c.get("name") and c["key"][:5] in stems]


def within_budget(lines: list[str], budget: int) -> str:
    """Lines in order while they fit; the order puts what matters most first."""
    kept: list[str] = []
    used = 0
    for line in lines:
        cost = estimate_tokens(line) + 1
        if used + cost > budget:
            break
        kept.append(line)
        used += cost
    return "\n".join(kept)


def profile_lines(profile: Profile, texts: MemoryTexts) -> list[str]:
    lines: list[str] = []
    if profile.children:
        lines.append(texts.render(Text.CHILDREN_HEADER))
        lines += [f"- {child_line(child, texts)}" for child in profile.children]
    style = [_slot_text(name, profile.style.get(name), texts) for name in _STYLE]
    if any(style):
        lines += [texts.render(Text.STYLE_HEADER), *(f"- {s}" for s in style if s)]
    delivery = [_slot_text(name, profile.value(SLOTS[name], ""), texts) for name in _DELIVERY]
    commerce = profile.commerce
    if commerce.get("orders_count"):
        delivery.append(texts.render(Text.COMMERCE_ORDERS, count=commerce["orders_count"],
                                     date=_date(commerce["last_order_at"]), amount=commerce["average_check"]))
    if any(delivery):
        lines += [texts.render(Text.DELIVERY_HEADER), *(f"- {d}" for d in delivery if d)]
    return lines


def child_line(child: dict[str, Any], texts: MemoryTexts) -> str:
    parts = [child.get("name") or texts.render(Text.CHILD_UNNAMED)]
    for name in _CHILD_DETAILS:
        if child.get(name) is not None:
            parts.append(texts.render(f"child_{name}", value=child[name], date=_date(child.get(f"{name}_at"))))
    parts += [s for name in _STYLE if (s := _slot_text(name, child.get(name), texts))]
    return ", ".join(parts)


def _slot_text(name: str, value: Any, texts: MemoryTexts) -> str:
    if value in (None, [], ""):
        return ""
    return texts.render(f"slot_{name}", value=", ".join(map(str, value)) if isinstance(value, list) else value)


def _date(iso: str | None) -> str:
    return date.fromisoformat(iso[:10]).strftime("%d.%m.%Y") if iso else "—"
