"""Many customers writing while managers handle their chats: every message reaches the managers' group, paced at the
group limit rather than dropped, and the assistant is never asked."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg

from storage.handoffs import start_handoff
from tests.harness import Wire, running_bot
from tests.pacing import too_fast
from tests.test_handoff import ADMIN, MANAGERS, copies_to

CUSTOMERS = range(2301, 2351)
GROUP_INTERVAL = 0.04  # Telegram's is 3 s (20 a minute); the test keeps the shape, not the wait


async def test_fifty_customers_in_human_mode_all_reach_the_group_within_its_limit(wire: Wire, db: asyncpg.Pool) -> None:
    tg = wire.telegram
    for customer in CUSTOMERS:
        await start_handoff(db, str(customer), "тест", ADMIN, "Олена", datetime.now(UTC))
    async with running_bot(wire, admin_ids=str(ADMIN), admin_chat_id=MANAGERS,
                           outbound_group_interval=f"{GROUP_INTERVAL}s"):
        for customer in CUSTOMERS:
            tg.send(customer, f"Питання від {customer}")
        await tg.wait_for(lambda: len(copies_to(tg, MANAGERS)) == len(CUSTOMERS), timeout=30)
    copies = [c for c in tg.calls_of("copyMessage") if int(c.params["chat_id"]) == MANAGERS]
    assert sorted(int(c.params["from_chat_id"]) for c in copies) == list(CUSTOMERS)
    assert {t for t in tg.sent_to(MANAGERS)} == {f"Питання від {c}" for c in CUSTOMERS}
    assert too_fast([c.at for c in copies], GROUP_INTERVAL) == []
    assert wire.openai.requests == [] and all(tg.sent_to(c) == [] for c in CUSTOMERS)
    stored = await db.fetchval("SELECT count(*) FROM messages WHERE 'human_mode' = ANY(tags) AND session_id = ANY($1)",
                               [str(c) for c in CUSTOMERS])
    assert stored == len(CUSTOMERS)
