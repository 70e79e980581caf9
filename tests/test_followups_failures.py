"""Follow-ups when something goes wrong, with the sweep driven at chosen moments (Kyiv time): a follow-up claimed
before a crash is not sent again, two sweeps at once send each nudge once, a send that fails (or a chat Telegram no
longer knows) is recorded on its row once while the others go out, and a follow-up text missing from the shop's file
stops the start naming it."""

from __future__ import annotations

import asyncio
import dataclasses
from importlib import resources
from pathlib import Path

import asyncpg
import pytest
import yaml

from config.settings import ConfigError
from config.shop import load_shop
from jobs.followups import Followups
from storage.database import open_pool, parse_target
from tests.harness import Wire
from tests.test_followups import (  # noqa: F401  (fixtures: clean is autouse)
    ASK_DELIVERY, DELIVERY, at, clean, conversation, followups,
)


async def test_a_follow_up_claimed_before_a_crash_is_not_sent_again(
    wire: Wire, db: asyncpg.Pool, followups: Followups
) -> None:
    chat = 1191
    await conversation(db, chat, DELIVERY, at(10))
    await db.execute(  # what a sweep killed between claiming and sending leaves behind
        """INSERT INTO followups (session_id, after_message_id, kind, sequence, template, claimed_at)
           SELECT session_id, max(id), 'nudge', 1, 'delivery_data', $2 FROM messages
           WHERE session_id = $1 AND role = 'user' GROUP BY session_id""", str(chat), at(14))
    await followups.sweep(at(14, 5))
    assert wire.telegram.sent_to(chat) == []
    await followups.sweep(at(9, day=1))
    assert wire.telegram.sent_to(chat) == [ASK_DELIVERY]


async def test_two_sweeps_at_once_on_one_database_send_each_nudge_once(
    wire: Wire, db: asyncpg.Pool, database_url: str, followups: Followups
) -> None:
    chats = range(1201, 1211)
    for chat in chats:
        await conversation(db, chat, DELIVERY, at(10))
    other_pool = await open_pool(parse_target(database_url), size=3)  # as if from a second process
    try:
        second = dataclasses.replace(followups, pool=other_pool)
        results = await asyncio.gather(followups.sweep(at(14)), second.sweep(at(14)))
    finally:
        await other_pool.close()
    assert sum(r["sent"] for r in results) == len(chats)
    assert {chat: len(wire.telegram.sent_to(chat)) for chat in chats} == dict.fromkeys(chats, 1)


def test_a_missing_follow_up_text_stops_the_start_naming_it(tmp_path: Path) -> None:
    data = yaml.safe_load((resources.files("config") / "shop.uk.yaml").read_text(encoding="utf-8"))
    del data["followups"]["delivery_data"]
    edited = tmp_path / "shop.yaml"
    edited.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError, match="follow-up 'delivery_data' is missing"):
        load_shop(edited)


async def test_a_follow_up_that_fails_is_recorded_on_its_row_and_the_others_go_out(
    wire: Wire, db: asyncpg.Pool, followups: Followups
) -> None:
    unreadable, refused, fine = 1191, 1192, 1193
    await conversation(db, unreadable, "зламаний стан", at(9))  # a state the sweep cannot read
    await conversation(db, refused, DELIVERY, at(10))
    await conversation(db, fine, DELIVERY, at(10, 30))
    wire.telegram.fail("sendMessage", 500, "Internal Server Error")  # the first nudge's send: Telegram fails
    counts = await followups.sweep(at(15))
    assert (counts["failed"], counts["sent"]) == (2, 1)
    assert wire.telegram.sent_to(fine) == [ASK_DELIVERY]
    rows = await db.fetch("SELECT session_id, outcome, error FROM followups WHERE session_id = ANY($1) "
                          "ORDER BY session_id", [str(unreadable), str(refused)])
    assert [(r["session_id"], r["outcome"]) for r in rows] == [(str(unreadable), "failed"), (str(refused), "failed")]
    assert "AttributeError" in rows[0]["error"] and "Internal Server Error" in rows[1]["error"]
    again = await followups.sweep(at(15, 5))  # failed rows are not retried on every sweep
    assert again.get("failed", 0) == 0 and again.get("sent", 0) == 0
    assert wire.telegram.sent_to(refused) == []


async def outcomes(db: asyncpg.Pool, chat: int) -> list[tuple[str, int, str | None, bool, str | None]]:
    rows = await db.fetch("SELECT kind, sequence, outcome, sent_at IS NOT NULL AS sent, error FROM followups "
                          "WHERE session_id = $1 ORDER BY id", str(chat))
    return [(r["kind"], r["sequence"], r["outcome"], r["sent"], r["error"]) for r in rows]


async def test_a_chat_telegram_no_longer_knows_fails_once_and_the_sweep_goes_on(
    wire: Wire, db: asyncpg.Pool, followups: Followups
) -> None:
    gone, next_one = 1191, 1192
    await conversation(db, gone, DELIVERY, at(10))
    await conversation(db, next_one, DELIVERY, at(10, 1))
    wire.telegram.gone.add(gone)  # Telegram: 400 "Bad Request: chat not found"
    counts = await followups.sweep(at(14, 5))
    assert (counts["failed"], counts["sent"]) == (1, 1)
    assert wire.telegram.sent_to(next_one) == [ASK_DELIVERY]
    [(kind, sequence, outcome, sent, error)] = await outcomes(db, gone)
    assert (kind, sequence, outcome, sent) == ("nudge", 1, "failed", False) and "chat not found" in error
    await followups.sweep(at(14, 10))  # a failed nudge is over: not tried again
    assert len([c for c in wire.telegram.calls_of("sendMessage") if int(c.params["chat_id"]) == gone]) == 1
