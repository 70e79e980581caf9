"""Guards against a BROKEN model, through the real process: it refuses, says nothing, is filtered, is cut off at the
output limit, answers in Russian or wraps its reply JSON in any way; the reply is asked for once more where that can
help, and what the customer reads is a right answer or the shop's words, never a fragment or raw JSON. The numbers
refer to the reproduced failures of issue 13; the OBEDIENT model: tests/test_guards_process.py."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import asyncpg
import pytest

from tests.fakes.openai_api import cut_off, filtered, last_user_text, refusal
from tests.harness import Wire, running_bot
from tests.test_guards_process import SHOP, talk
from tests.test_sale import say


async def test_4_answers_that_are_not_answers_never_reach_the_customer(wire: Wire, db: asyncpg.Pool) -> None:
    chat = 1305
    fragment = '{"bubbles": ["Для зросту 122 раджу сукню «Ромашка» — вона дуже м'
    broken = {"refusal": refusal(), "empty": {"role": "assistant", "content": ""}, "filter": filtered(),
              "cut": cut_off(fragment), "json": '{"bubbles": ["Для зросту 122 раджу'}

    def broken_model(request: dict[str, Any]) -> Any:
        return broken.get(last_user_text(request).split()[0], "")

    wire.openai.script = broken_model
    wire.openai.hold_to_schema = False  # "json": broken JSON that strict mode should make impossible, guarded anyway
    async with running_bot(wire):
        replies = await talk(wire, chat, [f"{kind} Сукня на 122?" for kind in broken])
    assert replies == [SHOP.text("cannot_answer")] * len(broken)
    cut = [r for r in wire.openai.requests_for("reply") if "cut" in last_user_text(r)]
    assert [r["max_completion_tokens"] for r in cut] == [1500, 4096]  # the second try had room to finish
    stored = await db.fetch("SELECT content FROM messages WHERE session_id = $1 AND role = 'assistant'", str(chat))
    assert [r["content"] for r in stored] == [SHOP.text("cannot_answer")] * len(broken)
    failed = await db.fetch("SELECT error_category FROM llm_traces WHERE session_id = $1 AND node_name = 'sales' "
                            "AND status = 'ERROR'", str(chat))
    assert len(failed) == 2 * len(broken)
    assert {r["error_category"] for r in failed} == {"SAFETY", "SCHEMA"}


GOOD = "Для зросту 122 раджу подивитися сукні — розповісти більше?"


@pytest.mark.parametrize(("chat", "first", "second_try"), [
    # 4: cut off at the output limit; the second try has room to finish.
    (1306, cut_off('{"bubbles": ["Для зросту 122 раджу'), lambda r: r.get("max_completion_tokens", 0) >= 4096),
    # 5: in Russian; the second try follows the check's correction.
    (1308, say("Здравствуйте! Подскажите, пожалуйста, рост ребёнка — подберём размер.", state="STATE_1_DISCOVERY"),
     lambda r: r["messages"][-1]["role"] == "system"),
])
async def test_a_reply_that_fails_once_is_asked_again_and_the_second_one_shown(
    wire: Wire, db: asyncpg.Pool, chat: int, first: Any, second_try: Callable[[dict[str, Any]], bool]
) -> None:
    wire.openai.script = lambda request: say(GOOD, state="STATE_1_DISCOVERY") if second_try(request) else first
    async with running_bot(wire):
        wire.telegram.send(chat, "Що порадите на 122?")
        assert await wire.telegram.wait_for_messages(chat, 1) == [GOOD]


async def test_4_a_photo_the_vision_model_will_not_answer_gets_the_shops_words(
    wire: Wire, db: asyncpg.Pool, demo_catalog: None
) -> None:
    chat = 1309
    wire.openai.script = lambda request: refusal()
    async with running_bot(wire):
        wire.telegram.send(chat, photo="refused-photo")
        assert await wire.telegram.wait_for_messages(chat, 1) == [SHOP.text("photo_not_recognised")]
    assert len(wire.openai.requests_for("photo")) == 2  # asked once more, then the shop's words
    assert await db.fetchval("SELECT count(*) FROM photo_recognitions WHERE customer_id = $1", str(chat)) == 0


LONG = ("Для зросту 122 підійде сукня Анна, вона з бавовни, легка і дуже зручна, гарно тримає форму після прання, "
        "а ще має кишеньки, які так люблять діти")


def _reply(bubbles: Any, **extra: Any) -> str:
    return json.dumps({"bubbles": bubbles, "next_state": "STATE_1_DISCOVERY", "show_products": [], **extra},
                      ensure_ascii=False)


# Break-test of issue 13 (broken model): the reply JSON wrapped or half-shaped → what the customer reads.
WRAPPED = {
    "fence": ("```json\n" + _reply([LONG]) + "\n```", [LONG]),
    "bom": ("\ufeff" + _reply([LONG]), [LONG]),
    "string": (_reply("Добрий день"), ["Добрий день"]),
    "objects": (_reply([{"text": "Добрий день"}]), ["Добрий день"]),
    "forty": (_reply([f"Варіант {n}" for n in range(40)]),
              ["Варіант 0", "Варіант 1", "\n".join(f"Варіант {n}" for n in range(2, 40))]),
    "unknown": (_reply([{"id": 7, "caption": "Добрий день"}]), [SHOP.text("cannot_answer")]),
    "nested": (_reply(['{"bubbles": ["Добрий день"]}']), [SHOP.text("cannot_answer")]),
    "other": (json.dumps({"answer": "Добрий день"}), [SHOP.text("cannot_answer")]),
    "prose": ("Ось відповідь: " + _reply(7), [SHOP.text("cannot_answer")]),
}


async def test_a_reply_json_however_wrapped_is_read_and_never_shown_raw(wire: Wire, db: asyncpg.Pool) -> None:
    wire.openai.script = lambda request: WRAPPED[last_user_text(request).split()[0]][0]
    wire.openai.hold_to_schema = False  # a BROKEN model: shapes strict mode should make impossible, guarded anyway
    async with running_bot(wire):
        for n, kind in enumerate(WRAPPED):
            wire.telegram.send(1320 + n, f"{kind} Сукня на 122 є?")
        for n, (kind, (_, expected)) in enumerate(WRAPPED.items()):
            assert await wire.telegram.wait_for_messages(1320 + n, len(expected)) == expected, kind
    asked = [last_user_text(r).split()[0] for r in wire.openai.requests_for("reply")]
    # What is unreadable is asked once more (a schema failure), then the shop's words; the rest once.
    assert {kind: asked.count(kind) for kind in WRAPPED} == {
        kind: 2 if expected == [SHOP.text("cannot_answer")] else 1 for kind, (_, expected) in WRAPPED.items()}
