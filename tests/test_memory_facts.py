"""A family's conversation remembered turn by turn, the facts as the sales model proposes them with its answers
and embedded through the real openai SDK: the seed's gate, a grown height superseding the old, a repeat reinforcing, siblings kept apart, and
the next session's prompt holding this family's memory and nobody else's."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest_asyncio
from openai import AsyncOpenAI

from catalog.embeddings import Embed, openai_embed
from memory.retrieve import TOKEN_BUDGET, estimate_tokens, memory_for_prompt
from memory.turns import remember_turn
from tests.harness import Wire


def fact(content: str, *, importance: float = 0.8, surprise: float = 0.8, fact_type: str = "preference",
         category: str = "child", child: str | None = None, slot: str | None = None,
         value: str | None = None, confidence: float = 0.6) -> dict[str, Any]:
    return {"content": content, "fact_type": fact_type, "category": category, "importance": importance,
            "surprise": surprise, "confidence": confidence, "child": child, "slot": slot, "value": value}


def says(customer_text: str, *facts: dict[str, Any]) -> list[dict[str, Any]]:
    """The facts the sales model proposes in its answer to `customer_text` (the text says what the turn was)."""
    return list(facts)


@pytest_asyncio.fixture
async def embed(wire: Wire) -> AsyncIterator[Embed]:
    client = AsyncOpenAI(api_key="sk-test-key-for-fake", base_url=wire.openai.url, max_retries=0)
    yield openai_embed(client, "text-embedding-3-small")
    await client.close()


async def remember(db: asyncpg.Pool, embed: Embed, user: str, facts: list[dict[str, Any]]) -> None:
    await remember_turn(db, embed, user, user, facts, datetime.now(UTC))


async def active_facts(db: asyncpg.Pool, user_id: str) -> list[asyncpg.Record]:
    return await db.fetch("""SELECT content, child_key, slot, slot_value, confidence FROM mirt_memories
                             WHERE user_id = $1 AND is_active ORDER BY created_at""", user_id)


async def test_a_family_is_remembered_correctly_across_turns(
    wire: Wire, db: asyncpg.Pool, embed: Embed
) -> None:
    user = "7001"
    turns = [
        says("Доньці Марійці 7 років, зріст 128, носить 122-128",
                 fact("Марійці 7 років", child="Марійка", slot="age", value="7"),
                 fact("Марійка має зріст 128 см", child="Марійка", slot="height_cm", value="128 см"),
                 fact("Марійка носить розмір 122-128", child="Марійка", slot="size", value="122-128")),
        says("Привіт, дякую!", fact("Клієнтка привіталася", importance=0.1, surprise=0.9,
                                        fact_type="behavior")),
        says("Марійка обожнює рожевий, а синтетику їй не можна — алергія",
                 fact("Марійка любить рожевий колір", category="style", child="Марійка",
                      slot="favorite_colors", value="Рожевий"),
                 fact("У Марійки алергія на синтетику", importance=1.0, fact_type="constraint")),
        says("Синові Андрійку 4 роки, зріст 104",
                 fact("Андрійкові 4 роки", child="Андрійко", slot="age", value="4"),
                 fact("Андрійко має зріст 104 см", child="Андрійко", slot="height_cm", value="104")),
        says("Марійка підросла, вже 134 см",
                 fact("Марійка має зріст 134 см", surprise=0.1, child="Марійка", slot="height_cm", value="134")),
        says("Так, рожевий вона дуже любить",
                 fact("Марійка любить рожевий колір", surprise=0.1, confidence=0.9, category="style",
                      child="Марійка", slot="favorite_colors", value="рожевий")),
        says("Зріст 110, це для котрогось із дітей",
                 fact("Зріст дитини 110 см", slot="height_cm", value="110")),
        says("Любить гратися в піску", fact("Діти люблять гратися в піску", importance=0.7, surprise=0.2)),
        says("Доставка у Львів, відділення 25",
                 fact("Доставка у Львів", fact_type="logistics", category="delivery", slot="city",
                      value="Львів"),
                 fact("Нова Пошта, відділення №25", fact_type="logistics", category="delivery", slot="branch",
                      value="№25")),
    ]
    for told in turns:
        await remember(db, embed, user, told)

    facts = await active_facts(db, user)
    contents = [f["content"] for f in facts]
    # the seed's gate: a greeting and an unsurprising new remark are not kept; a constraint is
    assert "Клієнтка привіталася" not in contents and "Діти люблять гратися в піску" not in contents
    assert "У Марійки алергія на синтетику" in contents
    # the grown height supersedes the old one, which stays in history pointing at it
    heights = {(f["child_key"], f["slot_value"]) for f in facts if f["slot"] == "height_cm"}
    assert heights == {("марійка", "134"), ("андрійко", "104")}
    old = await db.fetchrow("""SELECT is_active, superseded_by FROM mirt_memories
                               WHERE user_id = $1 AND slot = 'height_cm' AND slot_value = '128'""", user)
    assert old["is_active"] is False and old["superseded_by"] is not None
    # a repeat reinforces instead of duplicating
    pink = [f for f in facts if f["slot"] == "favorite_colors"]
    assert len(pink) == 1 and pink[0]["confidence"] > 0.9
    # siblings stay apart: a height without a name is not pinned on either child
    assert "Зріст дитини 110 см" not in contents

    profile = await db.fetchrow("SELECT child_profile, logistics, completeness_score FROM mirt_profiles "
                                "WHERE user_id = $1", user)
    children = {c["name"]: c for c in profile["child_profile"]["children"]}
    assert (children["Марійка"]["height_cm"], children["Марійка"]["age"]) == (134, 7)
    assert (children["Андрійко"]["height_cm"], children["Андрійко"]["age"]) == (104, 4)
    assert children["Марійка"]["favorite_colors"] == ["рожевий"]
    assert profile["logistics"] == {"city": "Львів", "branch": 25}
    assert 0.5 < profile["completeness_score"] < 1

    assert wire.openai.requests == []  # the facts came with the sales answer: no model call of memory's own

    # another family talks to the bot too
    await remember(db, embed, "7002", says(
        "Софійці 5 років, живемо в Одесі",
        fact("Софійці 5 років", child="Софійка", slot="age", value="5"),
        fact("Доставка в Одесу", fact_type="logistics", category="delivery", slot="city", value="Одеса"),
    ))

    # next session: the prompt knows this family, current values only, and nothing of the other family
    prompt = await memory_for_prompt(db, user, "Яку сукню взяти Марійці?", embed)
    for expected in ("Марійка", "зріст 134 см", "Андрійко", "зріст 104 см", "рожевий", "Львів", "№25",
                     "алергія на синтетику"):
        assert expected in prompt, expected
    assert "зріст 128" not in prompt and "Софійка" not in prompt and "Одеса" not in prompt
    assert estimate_tokens(prompt) <= TOKEN_BUDGET
    other = await memory_for_prompt(db, "7002", "Яку сукню взяти?", embed)
    assert "Софійка" in other and "Одеса" in other and "Марійка" not in other and "Львів" not in other
    assert await memory_for_prompt(db, "7003", "Привіт", embed) == ""


async def test_a_sole_unnamed_child_takes_the_name_when_it_is_told(
    wire: Wire, db: asyncpg.Pool, embed: Embed
) -> None:
    user = "7010"
    await remember(db, embed, user, says(
        "Шукаю доньці, зріст 116", fact("Донька має зріст 116 см", slot="height_cm", value="116")))
    await remember(db, embed, user, says(
        "Її звати Оленка", fact("Доньку звати Оленка", child="Оленка")))
    children = await db.fetchval("SELECT child_profile FROM mirt_profiles WHERE user_id = $1", user)
    assert children["children"] == [{"key": "оленка", "name": "Оленка", "height_cm": 116,
                                     "height_cm_at": children["children"][0]["height_cm_at"]}]
    assert {f["child_key"] for f in await active_facts(db, user)} == {"оленка"}
