"""After /forget no table holds the customer's phone, name or Telegram identity: every column of every table in
the schema is scanned (information_schema), so a table added later cannot be forgotten by the erasure. The only
places the customer's id may stay are listed below, each for a reason."""

from __future__ import annotations

import asyncpg

from tests.harness import Wire, running_bot
from tests.test_handoff import ADMIN, MANAGERS, in_group
from tests.test_sale import ORDER_STEPS, sales_script, talk

CUSTOMER = 730815
TEXT_TYPES = ("text", "character varying", "character", "json", "jsonb", "ARRAY")
NEEDLES = {  # what identifies the customer, as a case-insensitive regular expression over the column's text
    "phone": "[\\s().-]{0,2}".join("951234567"),  # the national number in any spelling
    "surname": "Петренко",
    "telegram name": "Ярина",
    "username": "yaryna_mama",
    "id": f"(^|\\D){CUSTOMER}(\\D|$)",
}
# The shop's accounting keeps the order (with name and phone masked) under the customer's id, and the trace rows
# keep their numbers (tokens, cost) under it; the erasure mark lives a day so a memory write in flight drops itself.
ID_MAY_STAY = {("orders", "user_id"), ("orders", "session_id"), ("crm_orders", "session_id"),
               ("crm_orders", "order_data"), ("llm_traces", "session_id"), ("mirt_memory_erasures", "user_id")}


async def found_in(db: asyncpg.Pool) -> set[tuple[str, str, str]]:
    """(table, column, needle) for every needle some row of that column holds; bytea (LangGraph's blobs) too."""
    columns = await db.fetch(
        """SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c
           JOIN information_schema.tables t USING (table_schema, table_name)
           WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
             AND (c.data_type = ANY($1::text[]) OR c.data_type = 'bytea')""", list(TEXT_TYPES))
    assert len({c["table_name"] for c in columns}) > 25  # the scan really sees the schema
    found = set()
    for c in columns:
        table, column = c["table_name"], c["column_name"]
        for label, pattern in NEEDLES.items():
            if c["data_type"] == "bytea":
                literal = {"phone": "951234567", "id": str(CUSTOMER)}.get(label, pattern)
                where, value = f'position(convert_to($1, \'UTF8\') in "{column}") > 0', literal
            else:
                where, value = f'"{column}"::text ~* $1', pattern
            hit = await db.fetchval(f'SELECT EXISTS (SELECT 1 FROM "{table}" WHERE {where})', value)
            if hit:
                found.add((table, column, label))
    return found


async def test_after_forget_no_table_holds_the_customers_phone_name_or_identity(
    wire: Wire, db: asyncpg.Pool, demo_catalog: None
) -> None:
    tg = wire.telegram
    wire.openai.script = sales_script
    async with running_bot(wire, admin_ids=str(ADMIN), admin_chat_id=MANAGERS):
        await talk(tg, CUSTOMER, ORDER_STEPS, first_name="Ярина", username="yaryna_mama")
        in_group(tg, f"/escalate {CUSTOMER}")
        tg.send(CUSTOMER, "Це Петренко, мій номер 095 123 45 67", first_name="Ярина", username="yaryna_mama")
        await tg.wait_for(lambda: any("095 123 45 67" in t for t in tg.sent_to(MANAGERS)))
        mirrored = next(m for m in tg.messages_in(MANAGERS) if "095 123 45 67" in (m.get("text") or ""))
        in_group(tg, "Дякую, пані Петренко, передзвоню", reply_to=mirrored["message_id"])
        await tg.wait_for_messages(CUSTOMER, len(tg.sent_to(CUSTOMER)) + 1)
        # What the CRM sync (off here) and the follow-ups would have stored about the chat.
        await db.execute("INSERT INTO crm_chat_statuses (session_id, kind, created_at) VALUES ($1, 'taken', now())",
                         str(CUSTOMER))
        await db.execute("INSERT INTO sitniks_chat_mappings (user_id, telegram_username) VALUES ($1, 'yaryna_mama')",
                         str(CUSTOMER))
        before = await found_in(db)

        tg.send(CUSTOMER, "/forget", first_name="Ярина", username="yaryna_mama")
        await tg.wait_for(lambda: any("Видалити все" in (m.get("text") or "") for m in tg.messages_in(CUSTOMER)))
        question = next(m for m in tg.messages_in(CUSTOMER) if "Видалити все" in (m.get("text") or ""))
        tg.press(CUSTOMER, CUSTOMER, question["message_id"], "forget:yes", first_name="Ярина")
        await tg.wait_for(lambda: bool(tg.calls_of("editMessageText")))
    tables_before = {table for table, _, _ in before}
    assert {"managers_outbox", "update_inbox", "messages", "orders", "users", "crm_chat_statuses", "handoffs",
            "sitniks_chat_mappings", "checkpoint_blobs"} <= tables_before
    left = await found_in(db)
    assert {(t, c, n) for t, c, n in left if n != "id" or (t, c) not in ID_MAY_STAY} == set()
