"""Erasing one customer on request: their memory, conversation rows, Telegram identity, the managers' copies of
their words and the CRM work queue about them go; their orders stay for the shop's accounting with name and phone
masked; traces keep their numbers (tokens, cost) but not the text. `tests/test_erasure_scan.py` scans every table
for what is left, so a new table holding customers' words must be added here."""

from __future__ import annotations

import asyncpg

ERASED = {"erased": True}

# '***' and the phone's last two digits, as the logs mask phones; applying it twice changes nothing.
_MASKED_PHONE = "'***' || right(regexp_replace(coalesce({col}, ''), '\\D', '', 'g'), 2)"


def _count(status: str) -> int:
    return int(status.split()[-1])


async def erase_customer(conn: asyncpg.Connection, user_id: str, session_id: str) -> dict[str, int]:
    """Run inside the caller's transaction, holding the customer's memory lock (`storage.memory.lock_customer`);
    returns how many rows of each kind were removed or masked."""
    await mark_erased(conn, user_id)
    counts = {"managers": await _erase_managers_side(conn, session_id)}
    counts |= {
        "facts": _count(await conn.execute("DELETE FROM mirt_memories WHERE user_id = $1", user_id)),
        "summaries": _count(await conn.execute("DELETE FROM mirt_memory_summaries WHERE user_id = $1", user_id)),
        "profiles": _count(await conn.execute("DELETE FROM mirt_profiles WHERE user_id = $1", user_id)),
        "messages": _count(await conn.execute(
            "DELETE FROM messages WHERE session_id = $1 OR user_id = $2", session_id, user_id)),
        "sessions": _count(await conn.execute("DELETE FROM agent_sessions WHERE session_id = $1", session_id)),
        "questions": _count(await conn.execute(
            "DELETE FROM unanswered_questions WHERE session_id = $1 OR user_id = $2", session_id, user_id)),
        # Raw updates carry the texts and the Telegram name. The pending ones go too (the confirmation being
        # handled now among them): their turns are already queued in memory, only a crash replay is given up.
        "inbox": _count(await conn.execute("DELETE FROM update_inbox WHERE chat_id::text = $1", session_id)),
        "users": _count(await conn.execute("DELETE FROM users WHERE external_id = $1", user_id)),
        # The CRM's work queue and the chat's link in the CRM: nothing there is the shop's accounting.
        "crm_chats": _count(await conn.execute("DELETE FROM crm_chat_statuses WHERE session_id = $1", session_id))
        + _count(await conn.execute("DELETE FROM sitniks_chat_mappings WHERE user_id = $1", user_id)),
        "followups": _count(await conn.execute("DELETE FROM followups WHERE session_id = $1", session_id)),
        # The customer's photos, as their hashes and what the shop's model saw in them.
        "photos": _count(await conn.execute("DELETE FROM photo_recognitions WHERE customer_id = $1", user_id)),
        "traces": await mask_traces(conn, session_id, user_id),
    }
    crm_phone = _MASKED_PHONE.format(col="order_data #>> '{customer,phone}'")
    await conn.execute(
        f"""UPDATE crm_orders
            SET order_data = jsonb_set(order_data, '{{customer}}', coalesce(order_data -> 'customer', '{{}}')
                || jsonb_build_object('name', '***', 'phone', {crm_phone})),
                updated_at = now()
            WHERE order_id IN (SELECT id FROM orders WHERE user_id = $1) AND order_data ? 'customer'""",
        user_id)
    counts["orders"] = _count(await conn.execute(
        f"""UPDATE orders SET customer_name = '***', customer_phone = {_MASKED_PHONE.format(col="customer_phone")},
                              updated_at = now()
            WHERE user_id = $1""", user_id))
    return counts


async def _erase_managers_side(conn: asyncpg.Connection, session_id: str) -> int:
    """What the managers' chat machinery keeps about the customer: the queue of copies and cards (their words,
    name, phone, city), the handoffs (reasons quote them), the forum topic, and the managers' own updates that
    answered the customer's messages (Telegram puts the answered message, i.e. the customer's words, inside) or
    name the customer (`/escalate <id>`, the card's button)."""
    replies = _count(await conn.execute(
        """DELETE FROM update_inbox u
           WHERE (u.payload #>> '{message,reply_to_message,message_id}') IN (
                     SELECT o.managers_message_id::text FROM managers_outbox o
                     WHERE o.session_id = $1 AND o.managers_message_id IS NOT NULL)
              OR (u.payload #>> '{message,message_thread_id}') IN (
                     SELECT t.thread_id::text FROM manager_topics t WHERE t.session_id = $1)
              OR (u.handled_at IS NOT NULL AND u.payload::text ~ ('(^|\\D)' || $1 || '(\\D|$)'))""", session_id))
    return replies + sum([
        _count(await conn.execute(f"DELETE FROM {table} WHERE session_id = $1", session_id))
        for table in ("managers_outbox", "handoffs", "manager_topics")])


async def mask_traces(db: asyncpg.Connection | asyncpg.Pool, session_id: str, user_id: str) -> int:
    """Blank the text of the customer's model calls, keeping their numbers; returns how many were masked. Also
    for a call that was still running during the erasure: its trace is written when it ends."""
    return _count(await db.execute(
        """UPDATE llm_traces SET input_snapshot = $3, output_snapshot = $3
           WHERE session_id IN ($1, $2) AND input_snapshot IS DISTINCT FROM $3""",
        session_id, user_id, ERASED))


async def mark_erased(conn: asyncpg.Connection, user_id: str) -> None:
    """Note when this customer was erased, so that a memory write that started earlier sees the mark changed and
    drops what it was about to write (`storage.memory.erasure_mark`). clock_timestamp(), not now(): two erasures
    in one transaction still leave different marks."""
    await conn.execute(
        """INSERT INTO mirt_memory_erasures (user_id, erased_at) VALUES ($1, clock_timestamp())
           ON CONFLICT (user_id) DO UPDATE SET erased_at = EXCLUDED.erased_at""", user_id)
