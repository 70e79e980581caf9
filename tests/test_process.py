"""`python -m bot` as a real process: configuration errors, SIGKILL mid-turn, SIGTERM with a turn in flight."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import asyncpg

from tests.harness import Wire, clean_env, spawn_bot


def run_cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", *args], env=clean_env(**env), cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)


def test_missing_bot_token_exits_2_with_one_line_naming_it(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "run", OPENAI_API_KEY="sk-x")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == ["configuration error: BOT_TOKEN is required but not set"]


def test_invalid_admin_ids_exit_2_with_one_line_naming_it(tmp_path: Path) -> None:
    result = run_cli(tmp_path, BOT_TOKEN="1:x", OPENAI_API_KEY="sk-x", ADMIN_IDS="12345,abc")
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("configuration error: ADMIN_IDS:") and "'abc'" in line


def test_a_call_timeout_of_zero_exits_2_with_one_line_naming_it(tmp_path: Path) -> None:
    for name in ("LLM_TIMEOUT", "CRM_TIMEOUT"):
        result = run_cli(tmp_path, BOT_TOKEN="1:x", OPENAI_API_KEY="sk-x", **{name: "0s"})
        assert result.returncode == 2, result.stderr
        [line] = result.stderr.strip().splitlines()
        assert line.startswith(f"configuration error: {name}:") and "more than 0s" in line


def test_help_lists_the_subcommands(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "--help")
    assert result.returncode == 0
    assert "run" in result.stdout and "migrate" in result.stdout


def test_migrate_prepares_a_database_and_exits(tmp_path: Path, database_url: str) -> None:
    result = run_cli(tmp_path, "migrate", DATABASE_URL=database_url, LOG_FORMAT="json")
    assert result.returncode == 0, result.stderr
    assert '"event": "migrations_done"' in result.stderr


async def test_killed_while_the_model_answers_then_restarted_answers_exactly_once(
    wire: Wire, db: asyncpg.Pool, tmp_path: Path
) -> None:
    chat = 801
    wire.openai.gate.clear()
    first = spawn_bot(wire, tmp_path / "first.log")
    update_id = wire.telegram.send(chat, "Є сукня на зріст 128?")
    await wire.openai.wait_for_requests(1, timeout=60)
    first.process.kill()
    assert await first.exit_code() == -signal.SIGKILL
    assert wire.telegram.sent_to(chat) == []

    wire.openai.gate.set()
    second = spawn_bot(wire, tmp_path / "second.log")
    await wire.telegram.wait_for_messages(chat, 1, timeout=60)
    second.process.send_signal(signal.SIGTERM)
    assert await second.exit_code() == 0, second.output()
    assert wire.telegram.sent_to(chat) == ["Відповідь на: Є сукня на зріст 128?"]
    assert await db.fetchval("SELECT handled_at IS NOT NULL FROM update_inbox WHERE update_id = $1", update_id)


async def test_sigterm_lets_the_turn_in_flight_finish_and_exits_0(
    wire: Wire, db: asyncpg.Pool, tmp_path: Path
) -> None:
    chat = 802
    wire.openai.gate.clear()
    child = spawn_bot(wire, tmp_path / "bot.log")
    wire.telegram.send(chat, "Скільки коштує костюм?")
    await wire.openai.wait_for_requests(1, timeout=60)
    child.process.send_signal(signal.SIGTERM)
    wire.openai.gate.set()
    assert await child.exit_code() == 0, child.output()
    assert wire.telegram.sent_to(chat) == ["Відповідь на: Скільки коштує костюм?"]


async def test_sigterm_after_the_grace_leaves_the_turn_for_the_next_start(
    wire: Wire, db: asyncpg.Pool, tmp_path: Path
) -> None:
    chat = 803
    wire.openai.gate.clear()
    child = spawn_bot(wire, tmp_path / "first.log", shutdown_grace="0.5s")
    update_id = wire.telegram.send(chat, "Доставка у Львів?")
    await wire.openai.wait_for_requests(1, timeout=60)
    child.process.send_signal(signal.SIGTERM)
    assert await child.exit_code() == 0, child.output()
    assert wire.telegram.sent_to(chat) == []
    assert not await db.fetchval("SELECT handled_at IS NOT NULL FROM update_inbox WHERE update_id = $1", update_id)

    wire.openai.gate.set()
    again = spawn_bot(wire, tmp_path / "second.log")
    await wire.telegram.wait_for_messages(chat, 1, timeout=60)
    again.process.send_signal(signal.SIGTERM)
    assert await again.exit_code() == 0
    assert wire.telegram.sent_to(chat) == ["Відповідь на: Доставка у Львів?"]


async def test_without_database_url_the_bot_runs_its_own_postgres_and_stops_it(wire: Wire, tmp_path: Path) -> None:
    chat = 804
    data_dir = tmp_path / "data"
    child = spawn_bot(wire, tmp_path / "bot.log", database_url="", data_dir=str(data_dir))
    wire.telegram.send(chat, "/start")
    [greeting] = await wire.telegram.wait_for_messages(chat, 1, timeout=90)
    assert "Вітаю" in greeting
    assert (data_dir / "postgres" / "postmaster.pid").exists()
    child.process.send_signal(signal.SIGTERM)
    assert await child.exit_code() == 0, child.output()
    assert not (data_dir / "postgres" / "postmaster.pid").exists()  # the embedded server stopped with the bot
