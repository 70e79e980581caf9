"""`python -m bot catalog import FILE [--sheet NAME] [--deactivate-missing] | export FILE | demo | sync-crm`.

The work lives in `bot.catalog_commands`, imported only when the command runs: its drivers and the LLM client take
a while to import, and `--help` or a configuration error should answer at once.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from config.settings import Settings


def catalog_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    load = actions.add_parser("import", help="load products from an .xlsx, CSV or YAML file (all rows or none)")
    load.add_argument("file", type=Path)
    load.add_argument("--sheet", metavar="NAME", help="the .xlsx sheet to read (the first one by default)")
    load.add_argument("--deactivate-missing", action="store_true",
                      help="retire active products whose sku is not in the file")
    export = actions.add_parser("export", help="write the whole catalog in the import format (.csv or .xlsx)")
    export.add_argument("file", type=Path)
    actions.add_parser("demo", help="load the demo catalog that ships with the bot")
    actions.add_parser("sync-crm", help="read products, sizes, prices per size and variation ids from Sitniks CRM")


async def catalog(settings: Settings, args: argparse.Namespace) -> None:
    from bot.catalog_commands import run_catalog

    await run_catalog(settings, args)
