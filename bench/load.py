"""Realistic load benchmark (on demand), from the repository root:
`python -m bench.load [--conversations 1000] [--turns 6] [--think 5,20] [--latency 3]`.

Where `bench.turns` fires one message per customer at once, here every conversation behaves like a parent: it
writes, waits for the answer, thinks for a random 5-20 s, and writes again, for several turns; conversations start
spread over the first think time. The real `python -m bot` (a child process) answers through the wire fakes (the
fake Bot API it long-polls, a fake OpenAI-compatible model that answers after a set latency). It reports turns/s,
the latency the bot adds on top of the model (p50/p95/p99), the bot's CPU ms per turn, its peak RSS, Postgres
transactions per turn (every autocommit statement is one; a proxy for round trips), model calls, embedding calls
and tokens per customer message (from `llm_traces`) — and the same conversations against a bare aiogram echo bot
in the same run, the floor of what polling and sending cost. The machine's load average is printed with it: on a
busy machine compare the bot with the echo of the same run, not with another run.

Smaller runs finish in a few minutes: `--conversations 200 --turns 5`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from bench.turns import (
    ANSWER, ECHO_BOT, cpu_seconds, peak_rss_mb, percentile, reply_after, scratch_database, transactions, wait_polling,
)
from tests.fakes.openai_api import FakeOpenAI
from tests.fakes.openai_limits import API_KEY
from tests.fakes.telegram import TOKEN, FakeTelegram
from tests.harness import clean_env

# What parents write, turn after turn (the fake model answers each; no catalog is needed for that).
LINES = ["Доброго дня! Шукаю сукню доньці", "Зріст 128, їй 7 років", "А є інші кольори?",
         "Скільки коштує з доставкою?", "Добре, подумаю", "А на хлопчика 140 щось є?", "Дякую!", "Беру"]


class AnsweringTelegram(FakeTelegram):
    """The fake Bot API that also wakes the one conversation a message was sent to (the base class re-checks
    every waiter on every call, which at a thousand waiters would cost the benchmark more than the bot)."""

    def __init__(self, answer: str = "") -> None:
        super().__init__()
        self.waiting: dict[int, asyncio.Future[float]] = {}
        self.answer = answer  # how a real answer starts: any other reply is the bot's apology
        self.apologies = 0

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "sendMessage":
            future = self.waiting.pop(int(params["chat_id"]), None)
            if not str(params.get("text", "")).startswith(self.answer):
                self.apologies += 1
            elif future is not None and not future.done():
                future.set_result(time.monotonic())
        return super()._result(method, params)


@dataclass
class Run:
    delays: list[float] = field(default_factory=list)  # seconds from a message to the first bubble of its answer
    unanswered: int = 0


async def conversation(telegram: AnsweringTelegram, chat: int, args: argparse.Namespace, rng: random.Random,
                       run: Run) -> None:
    await asyncio.sleep(rng.uniform(0, args.think[1]))
    for turn in range(args.turns):
        if turn:
            await asyncio.sleep(rng.uniform(*args.think))
        answered = asyncio.get_running_loop().create_future()
        telegram.waiting[chat] = answered
        sent = time.monotonic()
        telegram.send(chat, LINES[turn % len(LINES)])
        try:
            run.delays.append(await asyncio.wait_for(answered, args.timeout) - sent)
        except TimeoutError:
            telegram.waiting.pop(chat, None)
            run.unanswered += 1
            return  # a conversation left unanswered does not go on


async def drive(telegram: AnsweringTelegram, pid: int, first_chat: int,
                args: argparse.Namespace) -> tuple[Run, float, float]:
    """All conversations to the end; returns them, the wall time and the CPU seconds the process `pid` spent."""
    run, rng = Run(), random.Random(args.seed)
    cpu, started = cpu_seconds(pid), time.monotonic()
    await asyncio.gather(*(conversation(telegram, first_chat + i, args, rng, run)
                           for i in range(args.conversations)))
    return run, time.monotonic() - started, cpu_seconds(pid) - cpu


def summary(run: Run, wall: float, cpu: float, pid: int, less: float) -> dict[str, float]:
    """Turns/s, the delays less `less` seconds (the model's own latency) as percentiles, CPU per turn, RSS."""
    added = [d - less for d in run.delays] or [float("nan")]
    turns = max(1, len(run.delays))
    return {"turns": len(run.delays), "unanswered": run.unanswered, "turns_per_s": len(run.delays) / wall,
            "p50_ms": percentile(added, 0.50) * 1000, "p95_ms": percentile(added, 0.95) * 1000,
            "p99_ms": percentile(added, 0.99) * 1000, "cpu_ms_per_turn": cpu * 1000 / turns,
            "peak_rss_mb": peak_rss_mb(pid)}


async def model_use(url: str) -> dict[str, float]:
    conn = await asyncpg.connect(url)
    try:
        row = await conn.fetchrow(
            """SELECT count(*) AS calls, count(*) FILTER (WHERE node_name = 'sales') AS sales_calls,
                      coalesce(sum(tokens_in), 0) AS tokens_in, coalesce(sum(tokens_out), 0) AS tokens_out
               FROM llm_traces""")
        return dict(row)
    finally:
        await conn.close()


async def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    await asyncio.to_thread(process.wait, 120)


async def measure_bot(args: argparse.Namespace, url: str) -> dict[str, float]:
    telegram, model = AnsweringTelegram(ANSWER), FakeOpenAI()
    await telegram.start()
    await model.start()
    model.script = reply_after(args.latency)
    env = clean_env(BOT_TOKEN=TOKEN, TELEGRAM_API_URL=telegram.url, DATABASE_URL=url, OPENAI_API_KEY=API_KEY,
                    OPENAI_BASE_URL=model.url, BURST_WINDOW=args.burst_window, HEALTH_PORT="0", LOG_LEVEL="WARNING",
                    OUTBOUND_PER_SECOND="100000", LLM_TURNS_PER_HOUR="1000000",
                    **({"MAX_CONCURRENT_TURNS": str(args.max_turns)} if args.max_turns else {}))
    process = subprocess.Popen([sys.executable, "-m", "bot"], env=env, stderr=subprocess.DEVNULL)
    try:
        await wait_polling(telegram, process)
        before = await transactions(url)
        run, wall, cpu = await drive(telegram, process.pid, 10_000_000, args)
        result = summary(run, wall, cpu, process.pid, args.latency) | {"apologies": telegram.apologies}
        await asyncio.sleep(2)  # memory writes after the last replies, and Postgres's statistics, settle
        turns = max(1, result["turns"])
        use = await model_use(url)
        result |= {"db_transactions_per_turn": (await transactions(url) - before) / turns,
                   "model_calls_per_message": use["calls"] / turns,
                   "sales_calls_per_message": use["sales_calls"] / turns,
                   "embedding_calls_per_message": len(model.embedding_requests) / turns,
                   "tokens_in_per_message": use["tokens_in"] / turns,
                   "tokens_out_per_message": use["tokens_out"] / turns}
    finally:
        await stop(process)
        await model.stop()
        await telegram.stop()
    return result


async def measure_echo(args: argparse.Namespace) -> dict[str, float]:
    telegram = AnsweringTelegram()
    await telegram.start()
    process = subprocess.Popen([sys.executable, "-c", ECHO_BOT], env=clean_env(BOT_TOKEN=TOKEN,
                               TELEGRAM_API_URL=telegram.url), stderr=subprocess.DEVNULL)
    try:
        await wait_polling(telegram, process)
        run, wall, cpu = await drive(telegram, process.pid, 20_000_000, args)
        return summary(run, wall, cpu, process.pid, 0.0)
    finally:
        await stop(process)
        await telegram.stop()


def line(name: str, row: dict[str, float]) -> str:
    return (f"{name:5} turns={row['turns']:.0f} unanswered={row['unanswered']:.0f} turns/s={row['turns_per_s']:.1f} "
            f"added p50={row['p50_ms']:.0f} p95={row['p95_ms']:.0f} p99={row['p99_ms']:.0f} ms "
            f"cpu/turn={row['cpu_ms_per_turn']:.1f} ms peak RSS={row['peak_rss_mb']:.0f} MB")


async def main(args: argparse.Namespace) -> None:
    async with scratch_database() as url:
        print(f"conversations={args.conversations} turns={args.turns} think={args.think[0]:g}-{args.think[1]:g}s "
              f"model latency={args.latency:g}s burst window={args.burst_window} "
              f"max concurrent turns={args.max_turns or 'default'} cpus={os.cpu_count()} "
              f"load average={' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
        echo = await measure_echo(args)
        print(line("echo", echo), flush=True)
        bot = await measure_bot(args, url)
        print(line("bot", bot) + f" apologies instead of answers={bot['apologies']:.0f}")
        print(f"      bot/echo CPU per turn={bot['cpu_ms_per_turn'] / max(echo['cpu_ms_per_turn'], 1e-9):.1f}x "
              f"db transactions/turn={bot['db_transactions_per_turn']:.1f} "
              f"model calls/message={bot['model_calls_per_message']:.2f} "
              f"(sales {bot['sales_calls_per_message']:.2f}) "
              f"embedding calls/message={bot['embedding_calls_per_message']:.2f} "
              f"tokens/message in={bot['tokens_in_per_message']:.0f} out={bot['tokens_out_per_message']:.0f}")
        print(f"      load average={' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=1000)
    parser.add_argument("--turns", type=int, default=6, help="messages each conversation writes")
    parser.add_argument("--think", type=lambda s: tuple(float(x) for x in s.split(",")), default=(5.0, 20.0),
                        help="a parent's pause between an answer and the next message: MIN,MAX seconds")
    parser.add_argument("--latency", type=float, default=3.0, help="the model's latency per call, seconds")
    parser.add_argument("--burst-window", default="0s",
                        help="BURST_WINDOW for the bot (0s: the added latency is the bot's own work)")
    parser.add_argument("--max-turns", type=int, default=None,
                        help="MAX_CONCURRENT_TURNS for the bot (default: the bot's own); turns in flight are about "
                             "conversations x model latency / (think time + model latency)")
    parser.add_argument("--timeout", type=float, default=120.0, help="an answer later than this counts as none")
    parser.add_argument("--seed", type=int, default=17)
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(arguments()))
