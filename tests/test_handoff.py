"""Handing a chat to a manager through the real process: the bot goes quiet, the customer's messages reach the
managers' chat, the manager's replies reach the customer, and /release gives the AI the human part."""

from __future__ import annotations

from typing import Any

import asyncpg

from tests.fakes.telegram import FakeTelegram
from tests.harness import Wire, running_bot

MANAGERS = -100777
ADMIN = 555


def in_group(tg: FakeTelegram, text: str, reply_to: int | None = None, thread_id: int | None = None,
             from_id: int = ADMIN) -> int:
    return tg.send(MANAGERS, text, chat_type="supergroup", from_id=from_id, first_name="Олена", username="olena",
                   reply_to=reply_to, thread_id=thread_id)


def copies_to(tg: FakeTelegram, chat_id: int) -> list[dict[str, Any]]:
    return [c.params for c in tg.calls_of("copyMessage") if int(c.params["chat_id"]) == chat_id
            and not c.params.get("_failed")]


def group_message(tg: FakeTelegram, text: str) -> dict[str, Any]:
    return next(m for m in reversed(tg.messages_in(MANAGERS)) if text in (m.get("text") or ""))


async def test_escalate_mirror_reply_release(wire: Wire, db: asyncpg.Pool) -> None:
    tg, customer = wire.telegram, 2101
    async with running_bot(wire, admin_ids=str(ADMIN), admin_chat_id=MANAGERS):
        tg.send(customer, "Привіт")
        await tg.wait_for_messages(customer, 1)
        in_group(tg, f"/escalate {customer}")
        await tg.wait_for(lambda: any("Олена веде розмову" in t for t in tg.sent_to(MANAGERS)))
        card = group_message(tg, "Останні повідомлення")
        assert f"id {customer}" in card["text"] and "👤 Привіт" in card["text"]
        ai_replies = len(wire.openai.requests_for("reply"))

        tg.send(customer, "Де моє замовлення?")
        tg.send(customer, "Алло?")
        await tg.wait_for(lambda: len(copies_to(tg, MANAGERS)) == 2)
        assert [m.get("text") for m in tg.messages_in(MANAGERS)][-2:] == ["Де моє замовлення?", "Алло?"]
        assert len(tg.sent_to(customer)) == 1 and len(wire.openai.requests_for("reply")) == ai_replies
        tg.deliver({"callback_query": {  # a size pressed on a card the assistant sent earlier
            "id": "press-handoff", "chat_instance": "ci", "data": "pick:MIRT-ANNA:s:122-128",
            "from": {"id": customer, "is_bot": False, "first_name": "Оксана"},
            "message": {"message_id": 1, "date": 1_764_000_000, "chat": {"id": customer, "type": "private"},
                        "text": "Сукня Анна"}}})
        await tg.wait_for(lambda: any("Обираю розмір 122-128" in t for t in tg.sent_to(MANAGERS)))
        assert [c.params["callback_query_id"] for c in tg.calls_of("answerCallbackQuery")] == ["press-handoff"]
        assert len(tg.sent_to(customer)) == 1 and len(wire.openai.requests_for("reply")) == ai_replies

        mirrored = group_message(tg, "Алло?")
        in_group(tg, "Знайшла! Відправимо завтра, доставка за наш рахунок.", reply_to=mirrored["message_id"])
        await tg.wait_for_messages(customer, 2)
        assert tg.sent_to(customer)[1] == "Знайшла! Відправимо завтра, доставка за наш рахунок."

        in_group(tg, "/release", reply_to=mirrored["message_id"])
        await tg.wait_for(lambda: any("повернуто асистентові" in t for t in tg.sent_to(MANAGERS)))
        assert not await db.fetchval("SELECT human_since FROM agent_sessions WHERE session_id = $1", str(customer))

        tg.send(customer, "Дякую, чекаю")
        await tg.wait_for_messages(customer, 3)
    assert tg.sent_to(customer)[2] == "Відповідь на: Дякую, чекаю"
    prompt = wire.openai.requests_for("reply")[-1]["messages"]
    said = [(m["role"], m["content"]) for m in prompt if m["role"] != "system"]
    assert ("user", "Де моє замовлення?") in said and ("user", "Алло?") in said
    assert ("assistant", "Менеджер: Знайшла! Відправимо завтра, доставка за наш рахунок.") in said
    assert said[-1] == ("user", "Дякую, чекаю")
    taken = await db.fetchrow("SELECT taken_by, released_by FROM handoffs WHERE session_id = $1", str(customer))
    assert taken["taken_by"] == ADMIN and taken["released_by"] == ADMIN


async def test_in_a_forum_each_customer_gets_a_topic_and_managers_answer_inside_it(
    wire: Wire, db: asyncpg.Pool
) -> None:
    tg, customer = wire.telegram, 2102
    tg.forums.add(MANAGERS)
    async with running_bot(wire, admin_ids=str(ADMIN), admin_chat_id=MANAGERS):
        tg.send(customer, "Добрий день")
        await tg.wait_for_messages(customer, 1)
        in_group(tg, f"/escalate {customer}")
        await tg.wait_for(lambda: any("Олена веде розмову" in t for t in tg.sent_to(MANAGERS)))
        [topic] = [c.params for c in tg.calls_of("createForumTopic")]
        thread = group_message(tg, "Останні повідомлення")["message_thread_id"]
        tg.send(customer, photo="broken-zip", caption="Ось, блискавка зламалась")
        await tg.wait_for(lambda: len(copies_to(tg, MANAGERS)) == 1)
        in_group(tg, "Вибачте! Надішлемо заміну сьогодні.", thread_id=thread)
        await tg.wait_for_messages(customer, 2)
        in_group(tg, "/release", thread_id=thread)
        await tg.wait_for(lambda: any("повернуто асистентові" in t for t in tg.sent_to(MANAGERS)))
    assert topic["name"] == f"Оксана · {customer}"
    [copy] = copies_to(tg, MANAGERS)
    assert copy["message_thread_id"] == thread and int(copy["from_chat_id"]) == customer
    assert tg.sent_to(customer)[1] == "Вибачте! Надішлемо заміну сьогодні."
    assert await db.fetchval("SELECT content FROM messages WHERE session_id = $1 AND 'human_mode' = ANY(tags)",
                             str(customer)) == "Ось, блискавка зламалась"
