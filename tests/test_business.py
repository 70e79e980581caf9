"""Telegram Business through the real process: the assistant answers customers of the shop's own account through
the connection, steps aside in a chat the moment the owner types there, comes back after /release or the quiet
period with the owner's words in its dialog, and sends nothing while the connection may not be used."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg

from config.shop import load_shop
from jobs.followups import FollowupRules, Followups
from storage import business
from tests.fakes.telegram import FakeTelegram
from tests.harness import Wire, running_bot

MANAGERS = -100888
ADMIN = 556


async def handled(db: asyncpg.Pool, update_id: int, timeout: float = 15) -> None:
    """Wait until the bot finished with this update (its inbox row is closed): a turn that sends nothing leaves no
    API call to wait for."""
    async with asyncio.timeout(timeout):
        while not await db.fetchval("SELECT handled_at IS NOT NULL FROM update_inbox WHERE update_id = $1",
                                    update_id):
            await asyncio.sleep(0.02)


async def connected_and_answered(tg: FakeTelegram, customer: int, text: str) -> str:
    """The shop connects its account, a customer writes to it and gets the assistant's answer; the connection id."""
    connection = tg.connect_business()
    tg.business_send(connection, customer, text)
    await tg.wait_for_messages(customer, 1)
    return connection


def said_in_prompt(wire: Wire) -> list[tuple[str, str]]:
    prompt = wire.openai.requests_for("reply")[-1]["messages"]
    return [(m["role"], m["content"]) for m in prompt if m["role"] != "system"]


async def test_owner_typing_silences_the_chat_until_release(wire: Wire, db: asyncpg.Pool) -> None:
    tg, customer, other = wire.telegram, 3101, 3102
    async with running_bot(wire, admin_ids=str(ADMIN), admin_chat_id=MANAGERS, typing_after="0s"):
        connection = await connected_and_answered(tg, customer, "Привіт! Є сукні на 5 років?")
        assert {"sendMessage", "sendChatAction"} <= {c.method for c in tg.calls
                                                     if str(c.params.get("chat_id")) == str(customer)}
        assert all(p.get("business_connection_id") == connection for p in tg.business_sends(customer))

        tg.business_send(connection, customer, "Добрий день! Зараз сама підберу вам сукню.", by_owner=True)
        silenced = tg.business_send(connection, customer, "Дякую, чекаю")
        await handled(db, silenced)
        tg.business_send(connection, other, "А куртки є?")
        await tg.wait_for_messages(other, 1)
        assert tg.sent_to(customer) == ["Відповідь на: Привіт! Є сукні на 5 років?"]
        taken = await db.fetchrow("SELECT taken_by, reason FROM handoffs WHERE session_id = $1", str(customer))
        assert taken["taken_by"] == tg.business[connection]["user"]["id"]
        assert not any("Останні повідомлення" in t for t in tg.sent_to(MANAGERS))  # no card for the owner

        tg.send(MANAGERS, f"/release {customer}", chat_type="supergroup", from_id=ADMIN, first_name="Олена")
        await tg.wait_for(lambda: any("повернуто асистентові" in t for t in tg.sent_to(MANAGERS)))
        tg.business_send(connection, customer, "То що порадите?")
        await tg.wait_for_messages(customer, 2)
    assert tg.sent_to(customer)[1] == "Відповідь на: То що порадите?"
    said = said_in_prompt(wire)
    assert ("assistant", "Менеджер: Добрий день! Зараз сама підберу вам сукню.") in said
    assert ("user", "Дякую, чекаю") in said and said[-1] == ("user", "То що порадите?")
    assert all(p.get("business_connection_id") == connection for p in tg.business_sends(customer))


async def test_after_the_quiet_period_the_assistant_answers_again(wire: Wire, db: asyncpg.Pool) -> None:
    tg, customer = wire.telegram, 3103
    async with running_bot(wire, business_human_quiet="0s"):
        connection = tg.connect_business()
        tg.business_send(connection, customer, "Добрий вечір", by_owner=True)
        tg.business_send(connection, customer, "Скільки коштує піжама?")
        await tg.wait_for_messages(customer, 1)
    assert tg.sent_to(customer) == ["Відповідь на: Скільки коштує піжама?"]
    assert ("assistant", "Менеджер: Добрий вечір") in said_in_prompt(wire)
    assert await db.fetchval("SELECT released_at IS NOT NULL FROM handoffs WHERE session_id = $1", str(customer))


async def test_disabled_connection_sends_nothing_and_alerts_the_managers_once(wire: Wire, db: asyncpg.Pool) -> None:
    tg, customer = wire.telegram, 3104
    async with running_bot(wire, admin_ids=str(ADMIN), admin_chat_id=MANAGERS):
        connection = await connected_and_answered(tg, customer, "Є шапки?")
        sent_before = len(tg.business_sends(customer))
        tg.connect_business(connection_id=connection, enabled=False)
        tg.connect_business(connection_id=connection, enabled=False, can_reply=False)
        await tg.wait_for(lambda: any("не може писати покупцям" in t for t in tg.sent_to(MANAGERS)))
        await handled(db, tg.business_send(connection, customer, "Алло?"))
        assert len(tg.business_sends(customer)) == sent_before  # nothing sent, nothing even tried

        tg.connect_business(connection_id=connection)
        await tg.wait_for(lambda: any("знову працює" in t for t in tg.sent_to(MANAGERS)))
        tg.business_send(connection, customer, "То є шапки?")
        await tg.wait_for_messages(customer, 2)
    assert tg.sent_to(customer) == ["Відповідь на: Є шапки?", "Відповідь на: То є шапки?"]
    alerts = [t for t in tg.sent_to(MANAGERS) if "не може писати покупцям" in t]
    assert len(alerts) == 1 and "Марина" in alerts[0]


async def test_a_connection_telegram_refuses_is_reported_once(wire: Wire, db: asyncpg.Pool) -> None:
    tg, first, second = wire.telegram, 3105, 3106
    async with running_bot(wire, admin_ids=str(ADMIN), admin_chat_id=MANAGERS):
        connection = await connected_and_answered(tg, first, "Привіт")
        tg.business[connection]["is_enabled"] = False  # switched off while the bot missed the update
        await handled(db, tg.business_send(connection, first, "Ще питання"))  # the turn ends, refused
        await tg.wait_for(lambda: any("не може писати покупцям" in t for t in tg.sent_to(MANAGERS)))
        await handled(db, tg.business_send(connection, second, "Добрий день"))
        assert not tg.sent_to(second)
    assert len([t for t in tg.sent_to(MANAGERS) if "не може писати покупцям" in t]) == 1


async def test_only_new_chats_leaves_the_owners_own_chats_alone(wire: Wire, db: asyncpg.Pool) -> None:
    tg, family, newcomer = wire.telegram, 3107, 3108
    async with running_bot(wire, business_chats="new"):
        connection = tg.connect_business()
        tg.business_send(connection, family, "Мамо, я вже вдома", by_owner=True)
        await handled(db, tg.business_send(connection, family, "Добре, синку"))
        tg.business_send(connection, newcomer, "Чи є у вас боді?")
        await tg.wait_for_messages(newcomer, 1)
    assert not tg.sent_to(family)
    assert not await db.fetchval("SELECT count(*) FROM messages WHERE session_id = $1", str(family))


async def test_managers_handle_an_escalated_business_chat_through_the_connection(wire: Wire, db: asyncpg.Pool) -> None:
    tg, customer = wire.telegram, 3109
    async with running_bot(wire, admin_ids=str(ADMIN), admin_chat_id=MANAGERS):
        connection = await connected_and_answered(tg, customer, "Добрий день")
        tg.send(MANAGERS, f"/escalate {customer}", chat_type="supergroup", from_id=ADMIN, first_name="Олена")
        await tg.wait_for(lambda: any("веде розмову" in t for t in tg.sent_to(MANAGERS)))
        tg.business_send(connection, customer, "Де моя посилка?")
        await tg.wait_for(lambda: any("Де моя посилка?" in t for t in tg.sent_to(MANAGERS)))
        mirrored = next(m for m in reversed(tg.messages_in(MANAGERS)) if "Де моя посилка?" in m.get("text", ""))
        tg.send(MANAGERS, "Вже в дорозі, завтра буде!", chat_type="supergroup", from_id=ADMIN, first_name="Олена",
                reply_to=mirrored["message_id"])
        await tg.wait_for_messages(customer, 2)
    assert tg.sent_to(customer)[1] == "Вже в дорозі, завтра буде!"
    assert all(p.get("business_connection_id") == connection for p in tg.business_sends(customer))
    assert not tg.calls_of("copyMessage")
    assert not await db.fetchval("SELECT blocked_at FROM users WHERE external_id = $1", str(customer))


async def test_a_followup_goes_out_through_the_connection(wire: Wire, db: asyncpg.Pool) -> None:
    tg, customer = wire.telegram, 3110
    rules = FollowupRules(delays=(timedelta(hours=4),), timezone=ZoneInfo("Europe/Kyiv"), quiet=None,
                          alert_managers=False)
    async with running_bot(wire) as process:
        connection = await connected_and_answered(tg, customer, "Дякую, подумаю")
        await db.execute("UPDATE agent_sessions SET state = $2 WHERE session_id = $1", str(customer),
                         {"current_state": "STATE_5_PAYMENT_DELIVERY", "dialog_phase": "WAITING_FOR_DELIVERY_DATA",
                          "selected_products": [{"name": "Сукня Анна", "size": "128"}]})
        sweep = Followups(db, process.bot, load_shop(None), rules).sweep(datetime.now(UTC) + timedelta(hours=5))
        assert (await sweep)["sent"] == 1
    texts = [p for p in tg.business_sends(customer) if "text" in p]
    assert len(texts) == 2 and all(p["business_connection_id"] == connection for p in texts)


async def test_after_a_restart_the_chat_is_still_reached_through_the_connection(wire: Wire, db: asyncpg.Pool) -> None:
    tg, customer = wire.telegram, 3111
    rules = FollowupRules(delays=(timedelta(hours=4),), timezone=ZoneInfo("Europe/Kyiv"), quiet=None,
                          alert_managers=False)
    async with running_bot(wire):
        connection = await connected_and_answered(tg, customer, "Дякую, подумаю")
    await db.execute("UPDATE agent_sessions SET state = $2 WHERE session_id = $1", str(customer),
                     {"current_state": "STATE_5_PAYMENT_DELIVERY", "dialog_phase": "WAITING_FOR_DELIVERY_DATA",
                      "selected_products": [{"name": "Сукня Анна", "size": "128"}]})
    async with running_bot(wire) as process:  # a new process: the link comes from Postgres
        sweep = Followups(db, process.bot, load_shop(None), rules).sweep(datetime.now(UTC) + timedelta(hours=5))
        assert (await sweep)["sent"] == 1
    texts = [p for p in tg.business_sends(customer) if "text" in p]
    assert len(texts) == 2 and all(p["business_connection_id"] == connection for p in texts)


async def test_sends_at_once_into_a_chat_another_process_unbound_both_go_to_the_bot_chat(
    wire: Wire, db: asyncpg.Pool
) -> None:
    """During a deploy the old process still polls: the customer wrote to the bot itself there, so it unbound the
    chat. Here a follow-up and a manager's reply go to that chat at the same moment: both reach the bot chat."""
    tg, customer = wire.telegram, 3112
    async with running_bot(wire) as process:
        await connected_and_answered(tg, customer, "Дякую, подумаю")
        await business.unbind_chat(db, customer)  # what the old process did
        sent = await asyncio.gather(process.bot.send_message(customer, "Нагадуємо про сукню"),
                                    process.bot.send_message(customer, "Вже в дорозі, завтра буде!"),
                                    return_exceptions=True)
    assert [type(s).__name__ for s in sent] == ["Message", "Message"]
    assert [p.get("business_connection_id") for p in tg.business_sends(customer) if "text" in p][1:] == [None, None]
