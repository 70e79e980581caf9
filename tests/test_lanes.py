"""One chat, one turn at a time; different chats concurrently; a burst of messages becomes one turn."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg

from tests.fakes.openai_api import echo, last_user_text
from tests.harness import Wire, running_bot


async def test_a_slow_turn_in_one_chat_does_not_delay_another_chat(wire: Wire, db: asyncpg.Pool) -> None:
    slow_chat, quick_chat = 701, 702
    release = asyncio.Event()

    async def script(request: dict[str, Any]) -> str:
        if "повільно" in last_user_text(request):
            await release.wait()
        return str(echo(request))

    wire.openai.script = script
    async with running_bot(wire):
        wire.telegram.send(slow_chat, "Відповідайте повільно")
        await wire.openai.wait_for_requests(1)
        wire.telegram.send(quick_chat, "А мені швидко")
        assert await wire.telegram.wait_for_messages(quick_chat, 1) == ["Відповідь на: А мені швидко"]
        assert wire.telegram.sent_to(slow_chat) == []
        release.set()
        assert await wire.telegram.wait_for_messages(slow_chat, 1) == ["Відповідь на: Відповідайте повільно"]


async def test_two_messages_of_one_chat_are_answered_in_order(wire: Wire, db: asyncpg.Pool) -> None:
    chat = 703
    wire.openai.gate.clear()
    async with running_bot(wire) as bot:
        wire.telegram.send(chat, "Перше")
        await wire.openai.wait_for_requests(1)
        second = wire.telegram.send(chat, "Друге")
        # Taken from Telegram and waiting in the chat's lane while the first turn holds the model (a lane that
        # started it at once would never show it waiting); its prompt below then holds the first reply.
        await wire.telegram.wait_for(lambda: bot.lanes.is_queued(second))
        assert len(wire.openai.requests_for("reply")) == 1
        wire.openai.gate.set()
        replies = await wire.telegram.wait_for_messages(chat, 2)
    assert replies == ["Відповідь на: Перше", "Відповідь на: Друге"]
    second_prompt = [m["content"] for m in wire.openai.requests_for("reply")[1]["messages"] if m["role"] != "system"]
    assert second_prompt == ["Перше", "Відповідь на: Перше", "Друге"]


async def test_three_messages_typed_within_the_window_become_one_turn(wire: Wire, db: asyncpg.Pool) -> None:
    chat = 704
    async with running_bot(wire, burst_window="0.5s"):
        for text in ("Доброго дня!", "Шукаю костюм", "на хлопчика 5 років"):
            wire.telegram.send(chat, text)
        replies = await wire.telegram.wait_for_messages(chat, 1)
    assert replies == ["Відповідь на: Доброго дня!\nШукаю костюм\nна хлопчика 5 років"]
    assert len(wire.openai.requests_for("reply")) == 1
    stored = await db.fetch("SELECT role FROM messages WHERE session_id = $1 ORDER BY id", str(chat))
    assert [r["role"] for r in stored] == ["user", "user", "user", "assistant"]


async def test_turns_beyond_max_concurrent_turns_wait_for_a_free_place_and_are_all_answered(
    wire: Wire, db: asyncpg.Pool
) -> None:
    chats = [705, 706, 707, 708]
    wire.openai.gate.clear()  # the model holds every answer: the turns that got a place stay in flight
    async with running_bot(wire, max_concurrent_turns=2) as bot:
        updates = [wire.telegram.send(chat, f"Питання з чату {chat}") for chat in chats]
        await wire.openai.wait_for_requests(2)
        await wire.telegram.wait_for(lambda: all(bot.lanes.is_queued(u) for u in updates))
        await asyncio.sleep(0.2)  # time for a third turn to reach the model, were it let through
        assert len(wire.openai.requests_for("reply")) == 2
        wire.openai.gate.set()
        for chat in chats:
            assert await wire.telegram.wait_for_messages(chat, 1) == [f"Відповідь на: Питання з чату {chat}"]
