"""Nothing a customer writes is lost or answered twice: duplicates, a database outage, replay at start."""

from __future__ import annotations

import asyncpg
import pytest

from storage import inbox
from tests.fakes.openai_api import last_user_text
from tests.harness import Wire, running_bot


async def test_the_same_update_delivered_twice_is_answered_once(wire: Wire, db: asyncpg.Pool) -> None:
    chat = 601
    async with running_bot(wire):
        update_id = wire.telegram.send(chat, "Добрий день")
        wire.telegram.send(chat, "Добрий день", update_id=update_id)  # Telegram re-sends it in the same batch
        await wire.telegram.wait_for_messages(chat, 1)
        wire.telegram.send(chat, "Добрий день", update_id=update_id)  # and once more after it was answered
        later = wire.telegram.send(chat, "Ще питання")
        await wire.telegram.wait_for_messages(chat, 2)
    assert wire.telegram.sent_to(chat) == ["Відповідь на: Добрий день", "Відповідь на: Ще питання"]
    assert len(wire.openai.requests_for("reply")) == 2
    rows = await db.fetch("SELECT update_id, handled_at FROM update_inbox WHERE chat_id = $1", chat)
    assert {r["update_id"] for r in rows} == {update_id, later} and all(r["handled_at"] for r in rows)


async def test_while_postgres_is_unreachable_the_update_is_not_acknowledged(
    wire: Wire, db: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch
) -> None:
    chat = 602
    real_record = inbox.record_arrivals
    failures = []

    async def unreachable_thrice(pool, updates):  # type: ignore[no-untyped-def]
        if len(failures) < 3:  # the getUpdates batch, then the update on its own, twice
            failures.append([u[0] for u in updates])
            offsets = [int(c.params.get("offset") or 0) for c in wire.telegram.calls_of("getUpdates")]
            assert max(offsets) <= min(failures[-1]), "Telegram was told the update was handled before it was stored"
            raise ConnectionRefusedError("Postgres is down")
        return await real_record(pool, updates)

    monkeypatch.setattr(inbox, "record_arrivals", unreachable_thrice)
    async with running_bot(wire):
        update_id = wire.telegram.send(chat, "Чи є костюми?")
        await wire.telegram.wait_for_messages(chat, 1)
    assert failures == [[update_id]] * 3
    assert wire.telegram.sent_to(chat) == ["Відповідь на: Чи є костюми?"]


async def test_an_unfinished_turn_from_an_earlier_run_is_answered_at_start(wire: Wire, db: asyncpg.Pool) -> None:
    chat = 603
    update = {"update_id": 990_001, "message": {
        "message_id": 5, "date": 1_764_000_000, "chat": {"id": chat, "type": "private"},
        "from": {"id": chat, "is_bot": False, "first_name": "Ірина"}, "text": "Ви ще тут?"}}
    await inbox.record(db, update["update_id"], chat, update)
    async with running_bot(wire):
        assert await wire.telegram.wait_for_messages(chat, 1) == ["Відповідь на: Ви ще тут?"]
    assert await db.fetchval("SELECT handled_at IS NOT NULL FROM update_inbox WHERE update_id = 990001")


async def test_a_turn_that_never_finishes_is_given_up_after_max_attempts_and_the_chat_goes_on(
    wire: Wire, db: asyncpg.Pool
) -> None:
    chat = 604
    wire.openai.gate.clear()  # the model never answers: every run ends mid-turn, as when the turn crashes the process
    update_id = wire.telegram.send(chat, "Є сукня на зріст 128?")
    for tries in range(1, inbox.MAX_ATTEMPTS + 1):  # the first run gets it from Telegram, the others replay it
        async with running_bot(wire, shutdown_grace="0.1s"):
            await wire.openai.wait_for_requests(tries)
    wire.openai.gate.set()
    async with running_bot(wire):  # given up at this start: not tried again, the customer's next message answered
        wire.telegram.send(chat, "Ви ще тут?")
        await wire.telegram.wait_for_messages(chat, 1)
    assert wire.telegram.sent_to(chat) == ["Відповідь на: Ви ще тут?"]
    assert [last_user_text(r) for r in wire.openai.requests_for("reply")] == (
        ["Є сукня на зріст 128?"] * inbox.MAX_ATTEMPTS + ["Ви ще тут?"])
    row = await db.fetchrow("SELECT handled_at, error FROM update_inbox WHERE update_id = $1", update_id)
    assert row["handled_at"] is not None and row["error"] == "gave up after repeated failures"


async def test_a_message_queued_behind_a_turn_that_never_finishes_is_answered_once_that_turn_is_given_up(
    wire: Wire, db: asyncpg.Pool
) -> None:
    chat = 605
    wire.openai.gate.clear()  # the first message's turn never finishes, as when it crashes the process every time
    stuck = wire.telegram.send(chat, "Є сукня на зріст 128?")
    async with running_bot(wire, shutdown_grace="0.1s"):
        await wire.openai.wait_for_requests(1)
        queued = wire.telegram.send(chat, "І ще: чи є рожева?")  # waits in the chat's lane behind the stuck turn
        await wire.telegram.wait_for(lambda: any(  # acknowledged to Telegram: stored in the inbox
            int(c.params.get("offset") or 0) > queued for c in wire.telegram.calls_of("getUpdates")))
    for tries in range(2, inbox.MAX_ATTEMPTS + 1):  # the stuck message is replayed with the one behind it
        async with running_bot(wire, shutdown_grace="0.1s"):
            await wire.openai.wait_for_requests(tries)
    wire.openai.gate.set()
    async with running_bot(wire):  # the stuck one is given up; the one that never had a turn of its own is not
        await wire.telegram.wait_for_messages(chat, 1)
    assert wire.telegram.sent_to(chat) == ["Відповідь на: І ще: чи є рожева?"]
    rows = {r["update_id"]: r for r in await db.fetch(
        "SELECT update_id, handled_at, error FROM update_inbox WHERE chat_id = $1", chat)}
    assert rows[stuck]["error"] == "gave up after repeated failures"
    assert rows[queued]["handled_at"] is not None and rows[queued]["error"] is None


async def test_a_batch_of_updates_is_stored_whole_and_each_answered_once(wire: Wire, db: asyncpg.Pool) -> None:
    """One getUpdates answer with several customers' messages: stored before any is handled, the one that needed
    cleaning stored on its own, an update Telegram delivers twice in the batch answered once."""
    tg, chats = wire.telegram, [611, 612, 613]
    async with running_bot(wire):
        await tg.wait_for(lambda: bool(tg.calls_of("getUpdates")))
        jackets = tg.send(chats[1], "Є куртки?")
        sent = [jackets, tg.send(chats[0], "Добрий день"), tg.send(chats[1], "Є куртки?", update_id=jackets),
                tg.send(chats[2], "Є шап\u0000ки?")]
        await tg.wait_for_messages(chats[0], 1)
        await tg.wait_for_messages(chats[2], 1)
        await tg.wait_for_messages(chats[1], 1)
    assert tg.sent_to(chats[0]) == ["Відповідь на: Добрий день"]
    assert tg.sent_to(chats[1]) == ["Відповідь на: Є куртки?"]
    assert tg.sent_to(chats[2]) == ["Відповідь на: Є шапки?"]
    rows = await db.fetch("SELECT update_id, state, handled_at FROM update_inbox WHERE update_id = ANY($1::bigint[])",
                          sent)
    assert sorted((r["update_id"], r["state"]) for r in rows) == [
        (jackets, "stored"), (sent[1], "stored"), (sent[3], "sanitised")]
    assert all(r["handled_at"] for r in rows)
