"""`python -m bot [run|migrate]`. Exit codes: 0 done, 2 bad configuration (one line naming it), 1 anything else."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from contextlib import AsyncExitStack

import structlog
import uvloop

from bot import __version__
from bot.catalog_cli import catalog, catalog_arguments
from bot.knowledge_cli import knowledge, knowledge_arguments
from config.logs import configure_logging
from config.settings import ConfigError, Settings, load_settings

log = structlog.get_logger(__name__)

EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2


# bot.app is imported inside the commands: aiogram alone takes seconds to import, and --help or a
# configuration error should answer at once.


async def run(settings: Settings, _: argparse.Namespace) -> None:
    from bot.app import assemble

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with AsyncExitStack() as stack:
        process = await assemble(settings, stack)
        await process.serve(stop)
    log.info("stopped")


async def migrate(settings: Settings, _: argparse.Namespace) -> None:
    from bot.app import open_database

    async with AsyncExitStack() as stack:
        await open_database(settings, stack)
    log.info("migrations_done")


COMMANDS = {
    "run": (run, "long-poll Telegram and answer customers (the default)"),
    "migrate": (migrate, "create or update the database schema, then exit"),
    "catalog": (catalog, "import or export the product catalog (.xlsx, CSV or YAML), or load the demo catalog"),
    "knowledge": (knowledge, "check the shop's knowledge file (delivery, returns, care, size charts)"),
}
COMMAND_ARGUMENTS = {"catalog": catalog_arguments, "knowledge": knowledge_arguments}


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m bot", description="MIRT Telegram sales assistant")
    root.add_argument("--version", action="version", version=__version__)
    commands = root.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_, help_text) in COMMANDS.items():
        command = commands.add_parser(name, help=help_text, description=help_text)
        if name in COMMAND_ARGUMENTS:
            COMMAND_ARGUMENTS[name](command)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    command = COMMANDS[args.command or "run"][0]
    try:
        settings = load_settings()
        configure_logging(settings.log_level, settings.log_format)
        # uvloop: the event loop in C (libuv). Every turn is a dozen socket round trips (Telegram, the model,
        # Postgres); asyncio's pure-Python selector loop and transports were a tenth of the bot's CPU per turn.
        uvloop.run(command(settings, args))
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return EXIT_OK
    except Exception:
        log.exception("failed")
        return EXIT_FAILED
    return EXIT_OK
