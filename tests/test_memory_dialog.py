"""Memory through the real process: what a parent told the bot reaches the prompt of their next visit, and
never another family's prompt."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from tests.fakes.openai_api import last_user_text
from tests.harness import Wire, running_bot

MAMA, OTHER = 1201, 1202


def facts_of(exchange: str) -> list[dict[str, Any]]:
    if "Марійці 7 років" not in exchange:
        return []
    return [
        {"content": "Марійці 7 років", "fact_type": "preference", "category": "child", "importance": 0.9,
         "surprise": 0.9, "confidence": 0.9, "child": "Марійка", "slot": "age", "value": "7"},
        {"content": "Марійка має зріст 128 см", "fact_type": "preference", "category": "child", "importance": 0.9,
         "surprise": 0.9, "confidence": 0.9, "child": "Марійка", "slot": "height_cm", "value": "128"},
        {"content": "Привіт", "fact_type": "behavior", "category": "style", "importance": 0.2, "surprise": 0.1,
         "confidence": 0.9, "child": None, "slot": None, "value": None},  # small talk: below the seed's gate
    ]


def script(request: dict[str, Any]) -> str:
    said = last_user_text(request)
    return json.dumps({"bubbles": [f"Відповідь на: {said}"], "next_state": "STATE_1_DISCOVERY",
                       "show_products": [], "facts": facts_of(said)}, ensure_ascii=False)


async def test_the_next_visit_prompt_holds_this_familys_memory_only(wire: Wire, db: asyncpg.Pool) -> None:
    wire.openai.script = script
    async with running_bot(wire):
        wire.telegram.send(MAMA, "Шукаю сукню: Марійці 7 років, зріст 128")
        await wire.telegram.wait_for_messages(MAMA, 1)
    # Leaving the block shut the bot down, which waits for the memory step of answered turns.
    facts = await db.fetch("SELECT content FROM mirt_memories WHERE user_id = $1 AND is_active", str(MAMA))
    assert sorted(f["content"] for f in facts) == ["Марійка має зріст 128 см", "Марійці 7 років"]

    async with running_bot(wire):
        wire.telegram.send(MAMA, "Добрий день, знову я")
        await wire.telegram.wait_for_messages(MAMA, 2)
        wire.telegram.send(OTHER, "Добрий день")
        await wire.telegram.wait_for_messages(OTHER, 1)
    mama_prompt, other_prompt = system_prompt(wire, "Добрий день, знову я"), system_prompt(wire, "Добрий день")
    assert "Марійка" in mama_prompt and "128" in mama_prompt
    assert "Марійка" not in other_prompt and "128" not in other_prompt


def system_prompt(wire: Wire, customer_text: str) -> str:
    [request] = [r for r in wire.openai.requests_for("reply") if r["messages"][-1]["content"] == customer_text]
    # After the first message: that one is the shop's static prefix, the same for every customer (its examples of
    # facts name children too).
    return " ".join(m["content"] for m in request["messages"][1:] if m["role"] == "system")


async def test_a_memory_erased_under_the_dialog_is_not_carried_to_the_next_turn(wire: Wire, db: asyncpg.Pool) -> None:
    """The dialog outlives the memory (its checkpoint saved by a turn in flight when the memory was erased): the
    next turn's prompt holds nothing of what was remembered."""
    mama = 1203
    wire.openai.script = script
    async with running_bot(wire):
        wire.telegram.send(mama, "Шукаю сукню: Марійці 7 років, зріст 128")
        await wire.telegram.wait_for_messages(mama, 1)
    async with running_bot(wire):
        wire.telegram.send(mama, "Добрий день, знову я")
        await wire.telegram.wait_for_messages(mama, 2)
        assert "128" in system_prompt(wire, "Добрий день, знову я")
        for table in ("mirt_memories", "mirt_memory_summaries", "mirt_profiles"):
            await db.execute(f"DELETE FROM {table} WHERE user_id = $1", str(mama))
        wire.telegram.send(mama, "А куртки є?")
        await wire.telegram.wait_for_messages(mama, 3)
    assert "Марійка" not in system_prompt(wire, "А куртки є?") and "128" not in system_prompt(wire, "А куртки є?")
