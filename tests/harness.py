"""Starting the real application assembly (the same one `python -m bot` runs) against the wire fakes."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from bot.app import BotProcess, assemble
from config.settings import Settings
from jobs.scheduler import utc_now
from tests.fakes.openai_api import FakeOpenAI
from tests.fakes.openai_limits import API_KEY
from tests.fakes.telegram import TOKEN, FakeTelegram


@dataclass
class Wire:
    """The fakes one test talks to, and the database the bot under test uses."""

    telegram: FakeTelegram
    openai: FakeOpenAI
    database_url: str

    def env(self, **overrides: Any) -> dict[str, str]:
        """Environment for the bot: everything pointed at the fakes, short waits for tests."""
        values = {
            "BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": self.telegram.url,
            "DATABASE_URL": self.database_url,
            "OPENAI_API_KEY": API_KEY,
            "OPENAI_BASE_URL": self.openai.url,
            "BURST_WINDOW": "0.05s",
            "OUTBOUND_CHAT_INTERVAL": "0s",  # the pacing test sets Telegram's real intervals itself
            "OUTBOUND_GROUP_INTERVAL": "0s",
            "HEALTH_PORT": "0",
            "LOG_FORMAT": "json",
            "LOG_LEVEL": "INFO",
            **{k.upper(): str(v) for k, v in overrides.items()},
        }
        return values

    def settings(self, **overrides: Any) -> Settings:
        return Settings(_env_file=None, **{k.lower(): v for k, v in self.env(**overrides).items()})


@asynccontextmanager
async def running_bot(wire: Wire, clock: Callable[[], datetime] = utc_now, **overrides: Any
                      ) -> AsyncIterator[BotProcess]:
    """The bot running in this event loop until the block ends (then shut down as on SIGTERM); its scheduled jobs
    see `clock` as the time."""
    stop = asyncio.Event()
    async with AsyncExitStack() as stack:
        process = await assemble(wire.settings(**overrides), stack, clock)
        serving = asyncio.create_task(process.serve(stop))
        polling = asyncio.create_task(wire.telegram.wait_for(lambda: bool(wire.telegram.calls_of("getUpdates"))))
        try:
            await asyncio.wait({serving, polling}, return_when=asyncio.FIRST_COMPLETED)
            if serving.done():
                serving.result()  # it failed to start: show why
            yield process
        finally:
            polling.cancel()
            stop.set()
            await serving


def clean_env(**values: str) -> dict[str, str]:
    """This process's environment without any of the bot's settings, plus `values`."""
    return {k: v for k, v in os.environ.items() if k.upper() not in SETTING_NAMES} | values


SETTING_NAMES = {name.upper() for name in Settings.model_fields}


@dataclass
class ChildBot:
    """`python -m bot` as a real child process (for kill and signal tests); its log goes to a file."""

    process: subprocess.Popen[bytes]
    log: Path

    async def exit_code(self, timeout: float = 30) -> int:
        return await asyncio.to_thread(self.process.wait, timeout)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


SPAWNED: list[subprocess.Popen[bytes]] = []  # child bots; killed after each test (tests/conftest.py), whatever it did


def spawn_bot(wire: Wire, log: Path, **overrides: Any) -> ChildBot:
    with log.open("ab") as sink:
        process = subprocess.Popen([sys.executable, "-m", "bot"], env=clean_env(**wire.env(**overrides)),
                                   stdout=sink, stderr=sink, cwd=log.parent)
    SPAWNED.append(process)
    return ChildBot(process, log)
