"""Figures for the managers (/status, /orders, /stats) and for /metrics, read from Postgres with plain SQL.
Days are the shop's days (SHOP_TIMEZONE)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import asyncpg


@dataclass(frozen=True)
class Health:
    database_bytes: int
    llm_last_ok: bool | None  # None: the model was never called
    llm_calls_hour: int
    llm_errors_hour: int
    updates_hour: int
    turns_hour: int
    open_conversations: int
    human_chats: int
    orders_today: int
    orders_today_total: Decimal
    crm_pending: int
    crm_failed: int
    cost_today: Decimal
    cost_month: Decimal


async def health(pool: asyncpg.Pool, timezone: str) -> Health:
    row = await pool.fetchrow(
        """WITH today AS (SELECT (now() AT TIME ZONE $1)::date AS day)
           SELECT pg_database_size(current_database()) AS database_bytes,
                  (SELECT status = 'SUCCESS' FROM llm_traces ORDER BY created_at DESC LIMIT 1) AS llm_last_ok,
                  (SELECT count(*) FROM llm_traces WHERE created_at > now() - interval '1 hour') AS llm_calls_hour,
                  (SELECT count(*) FROM llm_traces WHERE created_at > now() - interval '1 hour'
                     AND status = 'ERROR') AS llm_errors_hour,
                  (SELECT count(*) FROM update_inbox WHERE received_at > now() - interval '1 hour') AS updates_hour,
                  (SELECT count(*) FROM update_inbox WHERE handled_at > now() - interval '1 hour') AS turns_hour,
                  (SELECT count(*) FROM conversation_status WHERE last_message_at > now() - interval '1 day'
                     AND NOT coalesce(order_completed, false) AND human_since IS NULL) AS open_conversations,
                  (SELECT count(*) FROM handoffs WHERE released_at IS NULL) AS human_chats,
                  (SELECT count(*) FROM orders, today
                     WHERE (created_at AT TIME ZONE $1)::date = today.day) AS orders_today,
                  (SELECT coalesce(sum(total_amount), 0) FROM orders, today
                     WHERE (created_at AT TIME ZONE $1)::date = today.day) AS orders_today_total,
                  (SELECT count(*) FROM crm_orders WHERE status IN ('pending', 'queued')) AS crm_pending,
                  (SELECT count(*) FROM crm_orders WHERE status = 'failed') AS crm_failed,
                  (SELECT coalesce(sum(cost), 0) FROM llm_usage, today
                     WHERE (created_at AT TIME ZONE $1)::date = today.day) AS cost_today,
                  (SELECT coalesce(sum(cost), 0) FROM llm_usage, today
                     WHERE (created_at AT TIME ZONE $1)::date >= date_trunc('month', today.day)::date) AS cost_month
        """,
        timezone,
    )
    return Health(**dict(row))


async def orders_of_day(pool: asyncpg.Pool, timezone: str) -> list[asyncpg.Record]:
    return await pool.fetch(
        """SELECT id, customer_name, total_amount, status, created_at AT TIME ZONE $1 AS local_time FROM orders
           WHERE (created_at AT TIME ZONE $1)::date = (now() AT TIME ZONE $1)::date ORDER BY id""",
        timezone,
    )


@dataclass(frozen=True)
class Day:
    day: date
    conversations: int
    new_customers: int  # chats whose very first message was that day
    converted: int  # of those, how many ordered within the window
    orders: int
    revenue: Decimal
    llm_cost: Decimal
    escalations: int


async def daily(pool: asyncpg.Pool, timezone: str, days: int) -> list[Day]:
    """The last `days` shop days, today included, one row each (zeros where nothing happened)."""
    rows = await pool.fetch(
        """WITH span AS (
               SELECT generate_series((now() AT TIME ZONE $1)::date - ($2 - 1), (now() AT TIME ZONE $1)::date,
                                      interval '1 day')::date AS day),
           talk AS (
               SELECT (created_at AT TIME ZONE $1)::date AS day, count(DISTINCT session_id) AS n FROM messages
               WHERE role = 'user' AND session_id !~ '^-' GROUP BY 1),
           first_seen AS (
               SELECT session_id, (min(created_at) AT TIME ZONE $1)::date AS day FROM messages
               WHERE role = 'user' AND session_id !~ '^-' GROUP BY 1),
           sales AS (
               SELECT (created_at AT TIME ZONE $1)::date AS day, count(*) AS n, sum(total_amount) AS revenue
               FROM orders WHERE status <> 'cancelled' GROUP BY 1),
           cost AS (SELECT (created_at AT TIME ZONE $1)::date AS day, sum(cost) AS usd FROM llm_usage GROUP BY 1),
           handed AS (SELECT (started_at AT TIME ZONE $1)::date AS day, count(*) AS n FROM handoffs GROUP BY 1)
           SELECT span.day, coalesce(talk.n, 0) AS conversations,
                  (SELECT count(*) FROM first_seen f WHERE f.day = span.day) AS new_customers,
                  (SELECT count(*) FROM first_seen f WHERE f.day = span.day AND EXISTS (
                       SELECT 1 FROM orders o WHERE o.session_id = f.session_id)) AS converted,
                  coalesce(sales.n, 0) AS orders, coalesce(sales.revenue, 0) AS revenue,
                  coalesce(cost.usd, 0) AS llm_cost, coalesce(handed.n, 0) AS escalations
           FROM span LEFT JOIN talk USING (day) LEFT JOIN sales USING (day) LEFT JOIN cost USING (day)
                LEFT JOIN handed USING (day)
           ORDER BY span.day""",
        timezone, days,
    )
    return [Day(**dict(r)) for r in rows]


@dataclass(frozen=True)
class Totals:
    """Counters since the data began (retention trims the inbox and traces, so they may step down)."""

    updates: int
    turns: int
    turn_seconds: float
    llm_calls: int
    llm_errors: int
    llm_seconds: float
    llm_cost: Decimal
    escalations: int
    human_chats: int
    orders: int
    crm_pending: int
    crm_failed: int
    managers_queue: int


async def totals(pool: asyncpg.Pool) -> Totals:
    row = await pool.fetchrow(
        """SELECT (SELECT count(*) FROM update_inbox) AS updates,
                  (SELECT count(*) FROM update_inbox WHERE handled_at IS NOT NULL) AS turns,
                  (SELECT coalesce(extract(epoch FROM sum(handled_at - received_at)), 0) FROM update_inbox
                     WHERE handled_at IS NOT NULL)::float8 AS turn_seconds,
                  (SELECT count(*) FROM llm_traces) AS llm_calls,
                  (SELECT count(*) FROM llm_traces WHERE status = 'ERROR') AS llm_errors,
                  (SELECT coalesce(sum(latency_ms), 0) / 1000 FROM llm_traces)::float8 AS llm_seconds,
                  (SELECT coalesce(sum(cost), 0) FROM llm_usage) AS llm_cost,
                  (SELECT count(*) FROM handoffs) AS escalations,
                  (SELECT count(*) FROM handoffs WHERE released_at IS NULL) AS human_chats,
                  (SELECT count(*) FROM orders) AS orders,
                  (SELECT count(*) FROM crm_orders WHERE status IN ('pending', 'queued')) AS crm_pending,
                  (SELECT count(*) FROM crm_orders WHERE status = 'failed') AS crm_failed,
                  (SELECT count(*) FROM managers_outbox WHERE sent_at IS NULL AND error IS NULL) AS managers_queue
        """
    )
    return Totals(**dict(row))


async def job_run_counts(pool: asyncpg.Pool) -> list[asyncpg.Record]:
    return await pool.fetch("SELECT job, outcome, count(*) AS runs FROM job_runs GROUP BY job, outcome ORDER BY 1, 2")
