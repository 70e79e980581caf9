"""Retention: a finished chat keeps one checkpoint and still resumes with its history; old handled inbox rows
and old trace snapshots go; messages and orders stay."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest_asyncio

from jobs.retention import Retention
from storage.checkpoints import LatestCheckpointSaver
from storage.migrate import setup_checkpointer
from tests.harness import Wire, running_bot


@pytest_asyncio.fixture
async def retention(db: asyncpg.Pool) -> Retention:
    saver = LatestCheckpointSaver(db)
    await setup_checkpointer(saver)
    return Retention(db, saver, inbox_for=timedelta(days=14), traces_for=timedelta(days=90),
                     chats_quiet_for=timedelta(days=7))


async def checkpoints(db: asyncpg.Pool, chat: int) -> int:
    return await db.fetchval("SELECT count(*) FROM checkpoints WHERE thread_id = $1", str(chat))


async def with_old_history(db: asyncpg.Pool, chat: int) -> None:
    """An older checkpoint beside the latest, as a database written before turns pruned their own history has."""
    await db.execute(
        """INSERT INTO checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, checkpoint,
                                    metadata)
           SELECT thread_id, checkpoint_ns, '0' || checkpoint_id, NULL, type, checkpoint, metadata
           FROM checkpoints WHERE thread_id = $1""", str(chat))


async def test_a_finished_chat_keeps_one_checkpoint_and_resumes_with_its_history(
    wire: Wire, db: asyncpg.Pool, retention: Retention
) -> None:
    finished, ongoing = 1401, 1402
    async with running_bot(wire):
        for count, text in enumerate(("Шукаю сукню доньці", "Зріст 128"), start=1):
            wire.telegram.send(finished, text)
            await wire.telegram.wait_for_messages(finished, count)
        for count, text in enumerate(("Є костюми на хлопчика?", "На 5 років"), start=1):
            wire.telegram.send(ongoing, text)
            await wire.telegram.wait_for_messages(ongoing, count)
        for chat in (finished, ongoing):
            await with_old_history(db, chat)
        ongoing_before = await checkpoints(db, ongoing)
        assert await checkpoints(db, finished) > 1 and ongoing_before > 1
        await db.execute("""UPDATE agent_sessions SET state = state || '{"current_state": "STATE_7_END"}'
                            WHERE session_id = $1""", str(finished))

        counts = await retention.sweep(datetime.now(UTC))

        assert counts["chats_pruned"] == 1
        assert await checkpoints(db, finished) == 1
        assert await checkpoints(db, ongoing) == ongoing_before
        wire.telegram.send(finished, "А є така ж у синьому?")
        await wire.telegram.wait_for_messages(finished, 3)
    prompt = json.dumps(wire.openai.requests_for("reply")[-1]["messages"], ensure_ascii=False)
    assert "Шукаю сукню доньці" in prompt and "Зріст 128" in prompt and "у синьому" in prompt
    assert await retention.sweep(datetime.now(UTC)) == {
        "chats_pruned": 0, "failed": 0, "inbox_deleted": 0, "managers_messages_deleted": 0,
        "trace_snapshots_cleared": 0, "erasure_marks_deleted": 0}


async def test_old_inbox_rows_and_trace_snapshots_go_while_messages_and_orders_stay(
    db: asyncpg.Pool, retention: Retention
) -> None:
    now = datetime(2026, 6, 1, 3, tzinfo=UTC)
    for update_id, received, handled in ((900001, 15, 15), (900002, 13, 13), (900003, 30, None)):
        await db.execute(
            "INSERT INTO update_inbox (update_id, chat_id, payload, received_at, handled_at) VALUES ($1, 1, '{}', $2, $3)",
            update_id, now - timedelta(days=received), now - timedelta(days=handled) if handled else None)
    for days in (91, 89):
        await db.execute(
            """INSERT INTO llm_traces (session_id, trace_id, node_name, input_snapshot, output_snapshot, status,
                                       latency_ms, tokens_in, tokens_out, cost, model_name, created_at)
               VALUES ('1403', gen_random_uuid(), 'answer', '{"prompt": "Оксана, +380501234567"}', '{"text": "…"}',
                       'SUCCESS', 812, 300, 40, 0.000069, 'gpt-4o-mini', $1)""", now - timedelta(days=days))
    await db.execute("INSERT INTO messages (session_id, role, content, created_at) VALUES ('1403', 'user', 'Привіт', $1)",
                     now - timedelta(days=400))
    await db.execute("INSERT INTO orders (user_id, session_id, total_amount, created_at) VALUES ('1403', '1403', 1250, $1)",
                     now - timedelta(days=400))
    for sent, error, days in ((True, None, 15), (False, "message to copy not found", 15), (True, None, 13),
                              (False, None, 30)):  # the last one is still waiting to be sent: it stays
        await db.execute(
            """INSERT INTO managers_outbox (session_id, kind, payload, created_at, sent_at, error)
               VALUES ('1403', 'text', '{"text": "Оксана Петренко, +380501234567"}', $1, $2, $3)""",
            now - timedelta(days=days), now - timedelta(days=days) if sent else None, error)
    for user_id, hours in (("1404", 30), ("1405", 2)):  # erasure marks: one outlived its use, one may still stop a write
        await db.execute("INSERT INTO mirt_memory_erasures (user_id, erased_at) VALUES ($1, $2)",
                         user_id, now - timedelta(hours=hours))

    counts = await retention.sweep(now)

    assert (counts["inbox_deleted"], counts["trace_snapshots_cleared"], counts["erasure_marks_deleted"]) == (1, 1, 1)
    assert counts["managers_messages_deleted"] == 2
    kept = await db.fetch("SELECT sent_at IS NULL AS waiting FROM managers_outbox WHERE session_id = '1403' "
                          "ORDER BY created_at")
    assert [r["waiting"] for r in kept] == [True, False]  # the unsent one, and the one sent 13 days ago
    assert await db.fetchval("SELECT array_agg(user_id) FROM mirt_memory_erasures") == ["1405"]
    inbox = await db.fetch("SELECT update_id FROM update_inbox WHERE update_id >= 900001 ORDER BY update_id")
    assert [r["update_id"] for r in inbox] == [900002, 900003]
    traces = await db.fetch("SELECT input_snapshot, output_snapshot, tokens_in, cost FROM llm_traces "
                            "WHERE session_id = '1403' ORDER BY created_at")
    assert [(t["input_snapshot"] is None, t["output_snapshot"] is None, t["tokens_in"]) for t in traces] == [
        (True, True, 300), (False, False, 300)]
    assert await db.fetchval("SELECT count(*) FROM messages WHERE session_id = '1403'") == 1
    assert await db.fetchval("SELECT count(*) FROM orders WHERE session_id = '1403'") == 1
    again = await retention.sweep(now)
    assert (again["inbox_deleted"], again["trace_snapshots_cleared"]) == (0, 0)
