"""Admin commands through the real process: /status, /stats, the admin menu, /metrics, and the re-alert."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import aiohttp
import asyncpg

from storage.handoffs import claim_realerts, start_handoff
from tests.harness import Wire, running_bot
from tests.test_handoff import ADMIN, MANAGERS, in_group

PNG = b"\x89PNG\r\n\x1a\n"


async def seed(db: asyncpg.Pool) -> None:
    await db.execute("INSERT INTO orders (user_id, session_id, total_amount) VALUES ('2590', '2590', 1850.00)")
    await db.execute(
        "INSERT INTO job_runs (job, started_at, finished_at, outcome) VALUES ('followups', now(), now(), 'ok')")
    await start_handoff(db, "2591", "тест", ADMIN, "Олена", datetime.now(UTC))


async def test_status_for_admins_and_the_assistant_for_everyone_else(wire: Wire, db: asyncpg.Pool) -> None:
    tg, customer = wire.telegram, 2501
    await seed(db)
    async with running_bot(wire, admin_ids=str(ADMIN), admin_chat_id=MANAGERS) as process:
        tg.send(ADMIN, "/status", first_name="Олена")
        [before] = await tg.wait_for_messages(ADMIN, 1)
        tg.send(customer, "/status")  # one turn at a time: the next figures include its model call
        [answer] = await tg.wait_for_messages(customer, 1)
        tg.send(ADMIN, "/status", first_name="Олена")
        _, status = await tg.wait_for_messages(ADMIN, 2)
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{process.health.port}/metrics") as response:
                metrics = await response.text()
    assert "Модель: ще не викликалась; помилок за годину: 0/0" in before
    assert status.startswith("📊 Стан бота\nВерсія 0.1.0, працює 0 д 0 год 0 хв")
    for figure in ("Postgres: працює,", "MB", "Модель: остання відповідь успішна; помилок за годину: 0/",
                   "За годину: оновлень 3, відповідей", "у менеджерів: 1", "Замовлень сьогодні: 1 на 1850 грн",
                   "CRM: у черзі 0, з помилкою 0", "Витрати на модель: сьогодні $0.00, цього місяця $0.00",
                   "• followups: ", "успішно"):
        assert figure in status
    assert answer == "Відповідь на: /status"
    assert "Стан" not in answer and "Postgres" not in answer
    menus = {int(c.params["scope"]["chat_id"]): c.params["commands"] for c in tg.calls_of("setMyCommands")}
    assert set(menus) == {ADMIN, MANAGERS}
    assert [c["command"] for c in menus[ADMIN]] == ["status", "stats", "orders", "questions", "escalate", "release"]
    assert menus[ADMIN][0]["description"].startswith("Стан бота")
    assert "mirt_orders_total 1" in metrics and "mirt_human_chats 1" in metrics
    assert 'mirt_job_runs_total{job="followups",outcome="ok"} 1' in metrics
    assert "# TYPE mirt_llm_latency_seconds summary" in metrics and "mirt_updates_total" in metrics


async def test_stats_sends_a_chart_of_the_asked_days(wire: Wire, db: asyncpg.Pool) -> None:
    tg = wire.telegram
    await db.execute("INSERT INTO orders (user_id, session_id, total_amount) VALUES ('2592', '2592', 990.50)")
    orders, revenue = await db.fetchrow("SELECT count(*), sum(total_amount) FROM orders")
    shop_today = "SELECT (now() AT TIME ZONE 'Europe/Kyiv')::date"  # the day the bot's query sees
    days = {await db.fetchval(shop_today)}
    async with running_bot(wire, admin_ids=str(ADMIN), admin_chat_id=MANAGERS):
        in_group(tg, "/stats 7")
        in_group(tg, "/stats")
        await tg.wait_for(lambda: len(tg.calls_of("sendPhoto")) == 2)
    days.add(await db.fetchval(shop_today))  # two days when the run crossed Kyiv midnight: either is right
    week, fortnight = (c.params for c in tg.calls_of("sendPhoto"))
    assert any(week["caption"].startswith(f"За 7 дн. ({(today - timedelta(days=6)):%d.%m.%Y} — {today:%d.%m.%Y}): "
                                          "розмов ") for today in days)
    assert any(fortnight["caption"].startswith(f"За 14 дн. ({(today - timedelta(days=13)):%d.%m.%Y} — ")
               for today in days)
    assert f"замовлень {orders}, виручка {revenue} грн" in week["caption"] and "Конверсія" in week["caption"]
    assert week["photo"].startswith(PNG) and int(week["chat_id"]) == MANAGERS


async def test_a_chat_nobody_answered_is_alerted_again_once(wire: Wire, db: asyncpg.Pool) -> None:
    tg = wire.telegram
    await start_handoff(db, "2502", "тест", None, None, datetime.now(UTC) - timedelta(minutes=20))
    async with running_bot(wire, admin_ids=str(ADMIN), admin_chat_id=MANAGERS, handoff_scan_interval="0.1s",
                           handoff_realert_after="15m"):
        await tg.wait_for(lambda: any("id 2502" in t and "чекає" in t for t in tg.sent_to(MANAGERS)))
    alerts = [t for t in tg.sent_to(MANAGERS) if "id 2502" in t and "чекає" in t]
    assert alerts == ["⏰ Покупець — (id 2502) чекає на відповідь менеджера вже понад 15 хв."]
    assert await db.fetchval("SELECT count(*) FROM job_runs WHERE job = 'handoff_realert' AND outcome = 'ok'") >= 1
    now = datetime.now(UTC)
    assert await claim_realerts(db, now - timedelta(minutes=15), now) == []  # claimed once: no second alert
