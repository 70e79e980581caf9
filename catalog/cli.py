"""`python -m bot catalog import FILE [--deactivate-missing] | export FILE | demo`.

A file with bad rows prints every one with its line and reason on stderr, writes nothing, and exits with 1.
"""

from __future__ import annotations

import argparse
import sys
from contextlib import AsyncExitStack
from importlib import resources
from pathlib import Path

import asyncpg
from openai import AsyncOpenAI, OpenAIError
from tqdm import tqdm

from bot.app import open_database
from bot.settings import Settings
from catalog.embeddings import EmbeddingMismatch, openai_embed, refresh_embeddings
from catalog.files import FileRejected, write_csv
from catalog.importer import Progress, import_file
from catalog.texts import Text, Texts, load_texts
from storage.database import open_pool
from storage.products import load_products


def catalog_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    load = actions.add_parser("import", help="load products from a CSV or YAML file (all rows or none)")
    load.add_argument("file", type=Path)
    load.add_argument("--deactivate-missing", action="store_true",
                      help="retire active products whose sku is not in the file")
    export = actions.add_parser("export", help="write the whole catalog as CSV in the import format")
    export.add_argument("file", type=Path)
    actions.add_parser("demo", help="load the demo catalog that ships with the bot")


async def catalog(settings: Settings, args: argparse.Namespace) -> None:
    texts = load_texts()
    async with AsyncExitStack() as stack:
        target, _ = await open_database(settings, stack)
        pool = await open_pool(target, size=2)
        stack.push_async_callback(pool.close)
        if args.action == "export":
            count = write_csv(args.file, await load_products(pool, active_only=False))
            print(texts.render(Text.EXPORT_DONE, count=count, path=args.file))
            return
        if args.action == "import":
            path, deactivate = args.file, args.deactivate_missing
        else:
            path, deactivate = Path(str(resources.files("catalog") / "demo.yaml")), False
        try:
            report = await import_file(pool, path, deactivate, _progress_bar)
        except FileRejected as exc:
            _print_errors(texts, exc)
            raise SystemExit(1) from None
        print(texts.render(Text.IMPORT_DONE, **vars(report)))
        await _embed(settings, pool, texts, stack)


def _progress_bar(total: int) -> Progress:
    """A bar on stderr for long imports; tqdm hides it when stderr is not a terminal or the file is short."""
    bar = tqdm(total=total, desc="Імпорт", unit=" товарів", file=sys.stderr, disable=None if total > 50 else True,
               leave=False)

    def advance(n: int) -> None:
        bar.update(n)
        if bar.n >= total:
            bar.close()

    return advance


def _print_errors(texts: Texts, rejected: FileRejected) -> None:
    print(texts.render(Text.IMPORT_FAILED, count=len({e.line for e in rejected.errors})), file=sys.stderr)
    for error in rejected.errors:
        print(texts.render(Text.IMPORT_ROW, line=error.line, reason=texts.say(error.reason)), file=sys.stderr)


async def _embed(settings: Settings, pool: asyncpg.Pool, texts: Texts, stack: AsyncExitStack) -> None:
    """Embeddings for changed products; the catalog is already saved, so a provider failure only warns."""
    if settings.openai_api_key is None:
        print(texts.render(Text.IMPORT_NO_EMBEDDINGS), file=sys.stderr)
        return
    client = AsyncOpenAI(api_key=settings.openai_api_key.get_secret_value(), base_url=settings.openai_base_url,
                         timeout=settings.llm_timeout.total_seconds(), max_retries=2)
    stack.push_async_callback(client.close)
    embed = openai_embed(client, settings.embedding_model)
    try:
        count = await refresh_embeddings(pool, embed, settings.embedding_model)
    except (OpenAIError, EmbeddingMismatch) as exc:
        print(texts.render(Text.IMPORT_EMBEDDINGS_FAILED, error=str(exc) or type(exc).__name__), file=sys.stderr)
        return
    print(texts.render(Text.IMPORT_EMBEDDINGS_DONE, count=count))
