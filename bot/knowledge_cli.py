"""`python -m bot knowledge check [FILE]`: validate the shop's knowledge file without starting the bot.

A good file prints its topics and exits 0; a bad one prints one line naming the file and the entry, exit 2.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from config.settings import Settings
from knowledge.file import load_knowledge


def knowledge_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    check = actions.add_parser("check", help="validate the knowledge file (KNOWLEDGE_FILE, or the built-in example)")
    check.add_argument("file", type=Path, nargs="?", help="the file to check instead of KNOWLEDGE_FILE")


async def knowledge(settings: Settings, args: argparse.Namespace) -> None:
    loaded = load_knowledge(args.file or settings.knowledge_file)
    print(f"{loaded.source}: OK, {len(loaded.entries)} topics")
    for entry in loaded.entries:
        picture = " (+ picture)" if entry.photo else ""
        print(f"  {entry.topic}: {len(entry.words)} customer words{picture}")
