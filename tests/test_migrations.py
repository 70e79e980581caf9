"""Migrations create every table of the seed with its columns, apply once, and survive concurrent starts."""

from __future__ import annotations

import asyncio

import asyncpg

from storage.database import connect, parse_target
from storage.migrate import migrate, migration_files
from tests.postgres import create_database

# The seed's tables and columns (spec/seed-supabase-tables-roadmap.uk.md) with the Postgres type each must have.
SEED = {
    "agent_sessions": {"session_id": "text", "state": "jsonb", "created_at": "timestamp with time zone",
                       "updated_at": "timestamp with time zone"},
    "messages": {"id": "bigint", "session_id": "text", "user_id": "text", "role": "text", "content": "text",
                 "tags": "ARRAY", "created_at": "timestamp with time zone"},
    "users": {"id": "bigint", "external_id": "text", "username": "text", "first_name": "text",
              "created_at": "timestamp with time zone"},
    "mirt_profiles": {"id": "bigint", "user_id": "text", "child_profile": "jsonb", "style_preferences": "jsonb",
                      "logistics": "jsonb", "commerce": "jsonb", "completeness_score": "double precision",
                      "sitniks_chat_id": "text"},
    "mirt_memories": {"id": "uuid", "user_id": "text", "content": "text", "fact_type": "text", "category": "text",
                      "importance": "double precision", "surprise": "double precision",
                      "confidence": "double precision", "decay_rate": "double precision",
                      "embedding": "USER-DEFINED", "is_active": "boolean"},
    "mirt_memory_summaries": {"id": "bigint", "user_id": "text", "summary_type": "text", "summary_text": "text",
                              "key_facts": "ARRAY", "facts_count": "integer", "is_current": "boolean"},
    "crm_orders": {"id": "uuid", "session_id": "text", "external_id": "text", "crm_order_id": "text",
                   "status": "text", "order_data": "jsonb", "metadata": "jsonb", "task_id": "text",
                   "error_message": "text"},
    "sitniks_chat_mappings": {"id": "uuid", "user_id": "text", "instagram_username": "text",
                              "telegram_username": "text", "sitniks_chat_id": "text",
                              "sitniks_manager_id": "integer", "current_status": "text",
                              "first_touch_at": "timestamp with time zone"},
    # cost is NUMERIC, not the seed's FLOAT: money is never float (DESIGN.md).
    "llm_traces": {"id": "uuid", "session_id": "text", "trace_id": "uuid", "node_name": "text",
                   "state_name": "text", "input_snapshot": "jsonb", "output_snapshot": "jsonb",
                   "status": "USER-DEFINED", "error_category": "USER-DEFINED", "latency_ms": "double precision",
                   "tokens_in": "integer", "tokens_out": "integer", "cost": "numeric", "model_name": "text"},
    "llm_usage": {"id": "bigint", "user_id": "bigint", "model": "character varying", "tokens_in": "integer",
                  "tokens_out": "integer", "cost": "numeric", "created_at": "timestamp with time zone"},
    "products": {"id": "bigint", "name": "text", "description": "text", "category": "text", "subcategory": "text",
                 "price": "numeric", "sizes": "ARRAY", "colors": "ARRAY", "photo_url": "text", "sku": "text",
                 "embedding": "USER-DEFINED"},
    "orders": {"id": "bigint", "user_id": "text", "session_id": "text", "customer_name": "text",
               "customer_phone": "text", "customer_city": "text", "delivery_method": "text",
               "delivery_address": "text", "status": "text", "total_amount": "numeric", "sitniks_chat_id": "text"},
    "order_items": {"id": "bigint", "order_id": "bigint", "product_id": "bigint", "product_name": "text",
                    "quantity": "integer", "price_at_purchase": "numeric", "selected_size": "text",
                    "selected_color": "text"},
}
RLS_ON = {"agent_sessions", "products", "mirt_profiles", "mirt_memories", "crm_orders"}
RLS_OFF = {"llm_traces"}


async def columns(db: asyncpg.Pool) -> dict[str, dict[str, str]]:
    rows = await db.fetch(
        "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'public'"
    )
    found: dict[str, dict[str, str]] = {}
    for row in rows:
        found.setdefault(row["table_name"], {})[row["column_name"]] = row["data_type"]
    return found


async def test_every_seed_table_and_column_exists_with_its_type(db: asyncpg.Pool) -> None:
    found = await columns(db)
    for table, expected in SEED.items():
        assert table in found, f"table {table} missing"
        for column, data_type in expected.items():
            assert found[table].get(column) == data_type, f"{table}.{column}: {found[table].get(column)}"


async def test_enums_vectors_and_checks_follow_the_seed(db: asyncpg.Pool) -> None:
    statuses = await db.fetchval("SELECT enum_range(NULL::llm_trace_status)::text[]")
    categories = await db.fetchval("SELECT enum_range(NULL::llm_error_category)::text[]")
    assert statuses == ["SUCCESS", "ERROR", "BLOCKED", "ESCALATED"]
    assert categories == ["SCHEMA", "BUSINESS", "SAFETY", "SYSTEM"]
    dims = await db.fetch(
        """SELECT c.relname, format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a
           JOIN pg_class c ON c.oid = a.attrelid WHERE a.attname = 'embedding' AND c.relkind = 'r'"""
    )
    assert {r["relname"]: r["type"] for r in dims} == {"mirt_memories": "vector(1536)", "products": "vector(1536)"}
    with_bad_status = "INSERT INTO crm_orders (session_id, external_id, status) VALUES ('s', 'e', 'lost')"
    try:
        await db.execute(with_bad_status)
    except asyncpg.CheckViolationError:
        pass
    else:
        raise AssertionError("crm_orders accepted a status outside the seed's list")


async def test_row_level_security_as_the_seed_says(db: asyncpg.Pool) -> None:
    rls = dict(await db.fetch("SELECT relname, relrowsecurity FROM pg_class WHERE relkind = 'r'"))
    assert all(rls[t] for t in RLS_ON)
    assert not any(rls[t] for t in RLS_OFF)
    policies = await db.fetch("SELECT tablename, cmd FROM pg_policies WHERE tablename = 'products'")
    assert [(p["tablename"], p["cmd"]) for p in policies] == [("products", "SELECT")]


async def test_running_migrations_again_changes_nothing(database_url: str, db: asyncpg.Pool) -> None:
    before = await columns(db)
    conn = await connect(parse_target(database_url))
    try:
        assert await migrate(conn) == []
    finally:
        await conn.close()
    assert await columns(db) == before


async def test_two_concurrent_migrations_both_succeed(postgres_server: str) -> None:
    url = await create_database(postgres_server, "concurrent")
    conns = [await connect(parse_target(url)) for _ in range(2)]
    try:
        applied = await asyncio.gather(*(migrate(c) for c in conns))
    finally:
        for conn in conns:
            await conn.close()
    assert sorted(len(a) for a in applied) == [0, len(migration_files())]
