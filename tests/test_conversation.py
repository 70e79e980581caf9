"""A customer talks to the bot through real polling: greeting, answers from the model, rows in Postgres."""

from __future__ import annotations

import asyncpg

from storage.customers import add_message
from tests.harness import Wire, running_bot


async def test_start_greets_in_ukrainian_and_creates_the_customer_rows(wire: Wire, db: asyncpg.Pool) -> None:
    chat = 501
    async with running_bot(wire):
        wire.telegram.send(chat, "/start", first_name="Оксана", username="oksana_mama")
        [greeting] = await wire.telegram.wait_for_messages(chat)
    assert "Вітаю" in greeting and "Олена" in greeting
    user = await db.fetchrow("SELECT username, first_name FROM users WHERE external_id = $1", str(chat))
    assert (user["username"], user["first_name"]) == ("oksana_mama", "Оксана")
    state = await db.fetchval("SELECT state FROM agent_sessions WHERE session_id = $1", str(chat))
    assert state["current_state"] == "STATE_0_INIT"
    rows = await db.fetch("SELECT role, content FROM messages WHERE session_id = $1 ORDER BY id", str(chat))
    assert [(r["role"], r["content"]) for r in rows] == [("user", "/start"), ("assistant", greeting)]


async def test_a_text_is_answered_by_the_model_with_the_conversation_and_stored(
    wire: Wire, db: asyncpg.Pool
) -> None:
    chat = 502
    async with running_bot(wire):
        wire.telegram.send(chat, "Шукаю сукню доньці")
        await wire.telegram.wait_for_messages(chat, 1)
        wire.telegram.send(chat, "Зріст 128")
        replies = await wire.telegram.wait_for_messages(chat, 2)
    assert replies == ["Відповідь на: Шукаю сукню доньці", "Відповідь на: Зріст 128"]
    second = wire.openai.requests_for("reply")[-1]["messages"]
    assert second[0]["role"] == "system" and "MIRT" in second[0]["content"]
    assert [(m["role"], m["content"]) for m in second if m["role"] != "system"] == [
        ("user", "Шукаю сукню доньці"), ("assistant", "Відповідь на: Шукаю сукню доньці"), ("user", "Зріст 128"),
    ]
    stored = await db.fetch("SELECT role, content FROM messages WHERE session_id = $1 ORDER BY id", str(chat))
    assert [r["role"] for r in stored] == ["user", "assistant", "user", "assistant"]
    checkpoints = await db.fetchval("SELECT count(*) FROM checkpoints WHERE thread_id = $1", str(chat))
    assert checkpoints == 1  # only the latest: older ones are deleted with each turn's save
    traces = await db.fetch("SELECT node_name, status, tokens_in, model_name FROM llm_traces "
                            "WHERE session_id = $1 AND node_name = 'sales'", str(chat))
    assert len(traces) == 2 and all(t["status"] == "SUCCESS" and t["tokens_in"] > 0 for t in traces)


def typing_in(wire: Wire, chat: int) -> list[str]:
    return [c.params["action"] for c in wire.telegram.calls_of("sendChatAction") if int(c.params["chat_id"]) == chat]


async def test_typing_shows_only_while_an_answer_is_slow_to_come(wire: Wire) -> None:
    quick, slow = 504, 505
    async with running_bot(wire, typing_after="1s"):
        wire.telegram.send(quick, "Шукаю сукню доньці")
        await wire.telegram.wait_for_messages(quick, 1)
        assert typing_in(wire, quick) == []  # answered at once: no "typing…" flashing before the answer
        wire.openai.gate.clear()  # the model thinks until the parent has seen "typing…"
        wire.telegram.send(slow, "А куртки є?")
        await wire.telegram.wait_for(lambda: typing_in(wire, slow) == ["typing"])
        assert wire.telegram.sent_to(slow) == []
        wire.openai.gate.set()
        assert await wire.telegram.wait_for_messages(slow, 1) == ["Відповідь на: А куртки є?"]


async def test_a_customer_answering_a_follow_up_is_understood_in_its_light(wire: Wire, db: asyncpg.Pool) -> None:
    chat = 503
    nudge = "Чекаю на дані для доставки: ПІБ, телефон, місто та відділення Нової Пошти 📦"
    async with running_bot(wire):
        wire.telegram.send(chat, "Беру сукню")
        await wire.telegram.wait_for_messages(chat, 1)
        await add_message(db, str(chat), str(chat), "assistant", nudge, tags=["followup", "followup:delivery_data"])
        wire.telegram.send(chat, "Ось: Коваль Ірина, 0671234567")
        await wire.telegram.wait_for_messages(chat, 2)
        wire.telegram.send(chat, "Львів, відділення 3")
        await wire.telegram.wait_for_messages(chat, 3)
    dialog = [(m["role"], m["content"]) for m in wire.openai.requests_for("reply")[-1]["messages"]
              if m["role"] != "system"]
    assert dialog == [
        ("user", "Беру сукню"), ("assistant", "Відповідь на: Беру сукню"), ("assistant", nudge),
        ("user", "Ось: Коваль Ірина, 0671234567"), ("assistant", "Відповідь на: Ось: Коваль Ірина, 0671234567"),
        ("user", "Львів, відділення 3"),
    ]




async def test_a_follow_up_stays_in_the_dialog_past_answers_the_dialog_never_saw(wire: Wire, db: asyncpg.Pool) -> None:
    """An apology while the model is down and the friendly word for a sticker are not the assistant's replies in
    the dialog: the nudge the customer then answers still reaches the model."""
    nudge = "Чекаю на дані для доставки: ПІБ, телефон, місто та відділення Нової Пошти 📦"
    details = {506: "Ось: Коваль Ірина, 0671234567", 507: "Ось: Мельник Олена, 0501234567"}
    async with running_bot(wire, llm_retry_delay="0.3s"):
        for chat in details:
            wire.telegram.send(chat, "Беру сукню")
            await wire.telegram.wait_for_messages(chat, 1)
            await add_message(db, str(chat), str(chat), "assistant", nudge,
                              tags=["followup", "followup:delivery_data"])
        wire.openai.fail(500, times=3)  # the turn's call and the SDK's two retries: an apology, then a retry
        wire.telegram.send(506, details[506])
        await wire.telegram.wait_for_messages(506, 3)
        wire.telegram.send_sticker(507)
        await wire.telegram.wait_for_messages(507, 2)
        wire.telegram.send(507, details[507])
        await wire.telegram.wait_for_messages(507, 3)
    for chat, said in details.items():
        prompt = [r["messages"] for r in wire.openai.requests_for("reply") if r["messages"][-1]["content"] == said][-1]
        assert [(m["role"], m["content"]) for m in prompt if m["role"] != "system"] == [
            ("user", "Беру сукню"), ("assistant", "Відповідь на: Беру сукню"), ("assistant", nudge), ("user", said)]
