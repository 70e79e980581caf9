"""Turn benchmark (on demand), from the repository root:
`python -m bench.turns [--customers 1000] [--latencies 0,3] [--max-turns 50]`.

N customers write at once to the real `python -m bot` (a child process) through the wire fakes: the fake Bot API
it long-polls and a fake OpenAI-compatible model that answers after a set latency. For each latency it reports
turns/s, the latency the bot adds on top of the model (p50/p95), the bot's peak RSS and the Postgres
transactions per turn (every autocommit statement is one; a proxy for round trips). The same run measures a bare
aiogram echo bot on the same fake Bot API as the floor: what polling and sending alone cost.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg

from storage.database import connect, embedded_server, parse_target
from storage.migrate import migrate
from tests.fakes.openai_api import FakeOpenAI, last_user_text
from tests.fakes.openai_limits import API_KEY
from tests.fakes.telegram import TOKEN, FakeTelegram
from tests.harness import clean_env
from tests.postgres import create_database

ECHO_BOT = """
import asyncio, os
import uvloop
from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
dp = Dispatcher()
@dp.message()
async def echo(message):
    await message.answer(message.text)
bot = Bot(os.environ["BOT_TOKEN"], session=AiohttpSession(api=TelegramAPIServer.from_base(os.environ["TELEGRAM_API_URL"])))
uvloop.run(dp.start_polling(bot, polling_timeout=10))  # the bot's own event loop (bot/cli.py)
"""


ANSWER = "Відповідь: "  # how the fake model's answer starts: anything else is the bot's apology, not an answer


def reply_after(seconds: float) -> Any:
    async def script(request: dict[str, Any]) -> str:
        await asyncio.sleep(seconds)
        return json.dumps({"bubbles": [f"{ANSWER}{last_user_text(request)}"], "next_state": "STATE_1_DISCOVERY",
                           "show_products": [], "facts": []}, ensure_ascii=False)

    return script


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds the process `pid` has used so far (/proc/<pid>/stat utime + stime)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def transactions(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetchval(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()")
    finally:
        await conn.close()


async def drive(telegram: FakeTelegram, customers: int, first_chat: int, timeout: float,
                answer: str = "") -> tuple[float, list[float]]:
    """Every customer writes once at the same moment; returns the wall time and each reply's delay. Raises
    SystemExit when a reply does not start with `answer` (the bot apologised: the model was not reached)."""
    chats = range(first_chat, first_chat + customers)
    sent_at = {}
    started = time.monotonic()
    for chat in chats:
        sent_at[chat] = time.monotonic()
        telegram.send(chat, "Доброго дня! Шукаю сукню на зріст 128")
    await telegram.wait_for(lambda: telegram.answered_chats() >= set(chats), timeout=timeout)
    replies = [c for c in telegram.calls_of("sendMessage") if int(c.params["chat_id"]) in sent_at]
    wrong = [c.params["text"] for c in replies if not str(c.params["text"]).startswith(answer)]
    if wrong:
        raise SystemExit(f"{len(wrong)} of {customers} replies are not the model's answer, e.g. {wrong[0]!r}")
    replied = {int(c.params["chat_id"]): c.at for c in replies}
    return time.monotonic() - started, [replied[c] - sent_at[c] for c in chats]


async def wait_polling(telegram: FakeTelegram, process: subprocess.Popen[bytes]) -> None:
    await telegram.wait_for(lambda: bool(telegram.calls_of("getUpdates")) or process.poll() is not None, timeout=120)
    if process.poll() is not None:
        raise SystemExit(f"the bot exited with {process.returncode}")


async def measure_bot(args: argparse.Namespace, latency: float, url: str) -> dict[str, Any]:
    telegram, model = FakeTelegram(), FakeOpenAI()
    await telegram.start()
    await model.start()
    model.script = reply_after(latency)
    env = clean_env(BOT_TOKEN=TOKEN, TELEGRAM_API_URL=telegram.url, DATABASE_URL=url, OPENAI_API_KEY=API_KEY,
                    OPENAI_BASE_URL=model.url, BURST_WINDOW="0s", HEALTH_PORT="0", LOG_LEVEL="WARNING",
                    MAX_CONCURRENT_TURNS=str(args.max_turns), OUTBOUND_PER_SECOND="100000",
                    LLM_TURNS_PER_HOUR="1000000", DATABASE_POOL_SIZE="20")
    log = open(args.bot_log, "ab") if args.bot_log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    process = subprocess.Popen([sys.executable, "-m", "bot"], env=env, stderr=log)
    try:
        await wait_polling(telegram, process)
        before, cpu = await transactions(url), cpu_seconds(process.pid)
        wall, delays = await drive(telegram, args.customers, 10_000_000, timeout=600, answer=ANSWER)
        cpu = cpu_seconds(process.pid) - cpu
        turns = args.customers
        added = [d - latency for d in delays]
        result = {"latency_s": latency, "turns": turns, "turns_per_s": turns / wall,
                  "added_p50_ms": percentile(added, 0.5) * 1000, "added_p95_ms": percentile(added, 0.95) * 1000,
                  "peak_rss_mb": peak_rss_mb(process.pid), "cpu_ms_per_turn": cpu * 1000 / turns,
                  "db_transactions_per_turn": (await transactions(url) - before) / turns}
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
        if args.bot_log:
            log.close()
        await model.stop()
        await telegram.stop()
    return result


async def measure_echo(args: argparse.Namespace) -> dict[str, Any]:
    telegram = FakeTelegram()
    await telegram.start()
    env = clean_env(BOT_TOKEN=TOKEN, TELEGRAM_API_URL=telegram.url)
    process = subprocess.Popen([sys.executable, "-c", ECHO_BOT], env=env, stderr=subprocess.DEVNULL)
    try:
        await wait_polling(telegram, process)
        cpu = cpu_seconds(process.pid)
        wall, delays = await drive(telegram, args.customers, 20_000_000, timeout=600)
        return {"turns_per_s": args.customers / wall,
                "cpu_ms_per_turn": (cpu_seconds(process.pid) - cpu) * 1000 / args.customers, "p50_ms": percentile(delays, 0.5) * 1000,
                "p95_ms": percentile(delays, 0.95) * 1000, "peak_rss_mb": peak_rss_mb(process.pid)}
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
        await telegram.stop()


@asynccontextmanager
async def scratch_database() -> AsyncIterator[str]:
    """A migrated database on an embedded Postgres in a temporary folder, removed afterwards; yields its URL."""
    with tempfile.TemporaryDirectory() as tmp:
        server = embedded_server(Path(tmp) / "pg", "delete")
        try:
            url = await create_database(server.get_uri(), "bench")  # type: ignore[attr-defined]
            conn = await connect(parse_target(url))
            try:
                await migrate(conn)
            finally:
                await conn.close()
            yield url
        finally:
            server.cleanup()  # type: ignore[attr-defined]


async def main(args: argparse.Namespace) -> None:
    async with scratch_database() as url:
        print(f"customers={args.customers} max_concurrent_turns={args.max_turns} cpus={os.cpu_count()}")
        echo = await measure_echo(args)
        print(f"echo floor     turns/s={echo['turns_per_s']:.1f} reply p50={echo['p50_ms']:.0f} ms "
              f"p95={echo['p95_ms']:.0f} ms cpu/turn={echo['cpu_ms_per_turn']:.1f} ms peak RSS={echo['peak_rss_mb']:.0f} MB")
        for latency in args.latencies:
            row = await measure_bot(args, latency, url)
            print(f"bot LLM {latency:g}s  turns/s={row['turns_per_s']:.1f} added p50={row['added_p50_ms']:.0f} ms "
                  f"p95={row['added_p95_ms']:.0f} ms cpu/turn={row['cpu_ms_per_turn']:.1f} ms peak RSS={row['peak_rss_mb']:.0f} MB "
                  f"db transactions/turn={row['db_transactions_per_turn']:.1f}")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.turns", description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--latencies", type=lambda s: [float(x) for x in s.split(",")], default=[0.0, 3.0])
    parser.add_argument("--bot-log", help="append the bot's log (stderr) to this file")
    parser.add_argument("--max-turns", type=int, default=50, help="MAX_CONCURRENT_TURNS for the bot")
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(arguments()))
