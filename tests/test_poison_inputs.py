"""One bad input never stops anything, through the real process: a NUL byte in a message or in a button's data,
an update Postgres refuses even cleaned, forged and malformed button presses."""

from __future__ import annotations

import asyncpg
import pytest

from storage.sanitize import clean, is_data_error
from tests.harness import Wire, running_bot
from tests.test_handoff import ADMIN, MANAGERS, in_group

STRANGER = 778  # a member of the managers' group who is not in ADMIN_IDS


@pytest.mark.parametrize(("error", "refused"), [
    (asyncpg.exceptions.UntranslatableCharacterError("unsupported Unicode escape sequence"), True),
    (asyncpg.exceptions.NumericValueOutOfRangeError("value out of range"), True),
    (asyncpg.exceptions.UniqueViolationError("duplicate key"), True),
    (asyncpg.exceptions._base.DataError("invalid input for query argument $1"), True),  # noqa: SLF001
    (ConnectionRefusedError("Postgres is down"), False),
    (TimeoutError(), False),
    (asyncpg.exceptions.TooManyConnectionsError("too many clients"), False),
    (asyncpg.exceptions.ConnectionDoesNotExistError("connection lost"), False),
    (asyncpg.exceptions.CannotConnectNowError("the database system is starting up"), False),
])
def test_an_outage_is_told_from_a_refused_value(error: Exception, refused: bool) -> None:
    assert is_data_error(error) is refused


def test_cleaning_removes_only_what_postgres_refuses() -> None:
    value = {"text\u0000": ["При\u0000віт", "\ud83d", "😀 ok"], "n": 5}
    assert clean(value) == ({"text": ["Привіт", "", "😀 ok"], "n": 5}, 3)


async def pending(db: asyncpg.Pool) -> int:
    return await db.fetchval("SELECT count(*) FROM update_inbox WHERE handled_at IS NULL")


async def test_a_nul_byte_in_a_message_or_a_button_is_removed_and_nobody_waits(wire: Wire, db: asyncpg.Pool) -> None:
    tg, sender, other, later = wire.telegram, 8101, 8102, 8103
    async with running_bot(wire):
        poisoned = tg.send(sender, "Привіт\u0000 є сукні?", first_name="Ок\u0000сана")
        tg.send(other, "Добрий день")
        assert await tg.wait_for_messages(sender, 1) == ["Відповідь на: Привіт є сукні?"]
        assert await tg.wait_for_messages(other, 1) == ["Відповідь на: Добрий день"]
        bot_message = tg.messages_in(sender)[-1]["message_id"]
        pressed = tg.press(sender, sender, bot_message, "pick:MIRT-ANNA:s:122\u0000-128", first_name="Оксана")
        await tg.wait_for_messages(sender, 2)
        await tg.wait_for(lambda: len(tg.calls_of("answerCallbackQuery")) == 1)
    assert tg.sent_to(sender)[1].startswith("Відповідь на: ") and "122-128" in tg.sent_to(sender)[1]
    rows = await db.fetch("SELECT update_id, state, note, handled_at, error FROM update_inbox WHERE chat_id = $1 "
                          "ORDER BY update_id", sender)
    assert [(r["update_id"], r["state"]) for r in rows] == [(poisoned, "sanitised"), (pressed, "sanitised")]
    assert all(r["handled_at"] and r["error"] is None and "removed" in r["note"] for r in rows)
    assert await db.fetchval("SELECT first_name FROM users WHERE external_id = $1", str(sender)) == "Оксана"
    assert await pending(db) == 0

    async with running_bot(wire):  # a restart: nothing is replayed, new customers are answered at once
        tg.send(later, "Ви працюєте?")
        assert await tg.wait_for_messages(later, 1) == ["Відповідь на: Ви працюєте?"]
    assert len(tg.sent_to(sender)) == 2 and await pending(db) == 0


async def test_an_update_refused_even_cleaned_is_set_aside_with_one_alert(wire: Wire, db: asyncpg.Pool) -> None:
    tg, sender, other = wire.telegram, 8201, 8202
    # A value Postgres refuses however it is cleaned: a constraint standing for any data error that stays.
    await db.execute("ALTER TABLE update_inbox ADD CONSTRAINT refuses_poison CHECK (payload::text NOT LIKE '%отрута%')")
    try:
        async with running_bot(wire, admin_ids=str(ADMIN), admin_chat_id=MANAGERS):
            refused = tg.send(sender, "це отрута")
            tg.send(sender, "це отрута", update_id=refused)  # Telegram delivers it again
            tg.send(other, "Добрий день")
            assert await tg.wait_for_messages(other, 1) == ["Відповідь на: Добрий день"]
            await tg.wait_for(lambda: any(str(refused) in t for t in tg.sent_to(MANAGERS)))
            tg.send(sender, "Добрий вечір")
            assert await tg.wait_for_messages(sender, 1) == ["Відповідь на: Добрий вечір"]
    finally:
        await db.execute("ALTER TABLE update_inbox DROP CONSTRAINT refuses_poison")
    alerts = [t for t in tg.sent_to(MANAGERS) if str(refused) in t]
    assert len(alerts) == 1 and "відкладено" in alerts[0]
    row = await db.fetchrow("SELECT state, payload, handled_at, error FROM update_inbox WHERE update_id = $1", refused)
    assert (row["state"], row["payload"]) == ("quarantined", {}) and row["handled_at"]
    assert "CheckViolationError" in row["error"]
    assert await pending(db) == 0


async def test_a_forged_forget_in_the_managers_group_changes_nothing(wire: Wire, db: asyncpg.Pool) -> None:
    tg = wire.telegram
    async with running_bot(wire, admin_ids=str(ADMIN), admin_chat_id=MANAGERS):
        in_group(tg, "/orders")
        await tg.wait_for_messages(MANAGERS, 1)
        card = tg.messages_in(MANAGERS)[-1]
        group_rows = await db.fetchval("SELECT count(*) FROM update_inbox WHERE chat_id = $1", MANAGERS)
        tg.press(MANAGERS, STRANGER, card["message_id"], "forget:yes")
        tg.press(MANAGERS, ADMIN, card["message_id"], "forget:yes")  # an admin, but not a customer in their chat
        await tg.wait_for(lambda: len(tg.calls_of("answerCallbackQuery")) == 2)
    assert tg.calls_of("editMessageText") == [] and tg.messages_in(MANAGERS)[-1]["text"] == card["text"]
    assert await db.fetchval("SELECT count(*) FROM update_inbox WHERE chat_id = $1", MANAGERS) == group_rows + 2
    assert await pending(db) == 0


async def test_malformed_admin_buttons_are_answered_and_never_replayed(wire: Wire, db: asyncpg.Pool) -> None:
    tg = wire.telegram
    forged = ["order:paid:abc", "order:paid:99999999999999999999", "order:cancel:-1", "order:cancel:1 ",
              "handoff:take:../../etc", "handoff:take:424242", "handoff:take:"]
    async with running_bot(wire, admin_ids=str(ADMIN), admin_chat_id=MANAGERS):
        in_group(tg, "/orders")
        await tg.wait_for_messages(MANAGERS, 1)
        card = tg.messages_in(MANAGERS)[-1]
        for data in forged:
            tg.press(MANAGERS, ADMIN, card["message_id"], data)
        await tg.wait_for(lambda: len(tg.calls_of("answerCallbackQuery")) == len(forged))
    answers = [c.params for c in tg.calls_of("answerCallbackQuery")]
    assert all("пошкоджена або застаріла" in a["text"] for a in answers)
    assert await db.fetchval("SELECT count(*) FROM handoffs") == 0
    assert await db.fetchval("SELECT count(*) FROM managers_outbox WHERE session_id IS NOT NULL") == 0
    assert await pending(db) == 0
    errors = await db.fetchval("SELECT count(*) FROM update_inbox WHERE chat_id = $1 AND error IS NOT NULL", MANAGERS)
    assert errors == 0  # answered as invalid, not failed
