"""The work behind `python -m bot catalog …`: reach Postgres, import or export, refresh embeddings.

A file with bad rows prints every one with its line and reason on stderr, writes nothing, and exits with 1.
"""

from __future__ import annotations

import argparse
import sys
from contextlib import AsyncExitStack
from importlib import resources
from pathlib import Path

import asyncpg
from tqdm import tqdm

from catalog.files import FileRejected, write_file
from catalog.importer import ImportReport, Progress, import_file
from catalog.texts import Text, Texts, load_texts
from config.settings import Settings
from storage.database import open_pool
from storage.migrate import migrated
from storage.products import load_products


async def run_catalog(settings: Settings, args: argparse.Namespace) -> None:
    texts = load_texts()
    async with AsyncExitStack() as stack:
        target = await migrated(settings, stack)  # without LangGraph's tables and aiogram's import: not needed
        pool = await open_pool(target, size=2)
        stack.push_async_callback(pool.close)
        if args.action == "sync-crm":
            _print_report(texts, await _sync_crm(settings, pool, texts, stack))
            await _embed(settings, pool, texts, stack)
            return
        try:
            if args.action == "export":
                count = write_file(args.file, await load_products(pool, active_only=False))
                print(texts.render(Text.EXPORT_DONE, count=count, path=args.file))
                return
            if args.action == "import":
                path, deactivate, sheet = args.file, args.deactivate_missing, args.sheet
            else:
                path, deactivate, sheet = Path(str(resources.files("catalog") / "demo.yaml")), False, None
            report = await import_file(pool, path, deactivate, _progress_bar, sheet)
        except FileRejected as exc:
            _print_errors(texts, exc)
            raise SystemExit(1) from None
        _print_report(texts, report)
        await _embed(settings, pool, texts, stack)


def _print_report(texts: Texts, report: ImportReport) -> None:
    if report.read_as is not None:
        print(texts.render(report.read_as.read_as, **report.read_as.details))
    print(texts.render(Text.IMPORT_DONE, created=report.created, updated=report.updated,
                       unchanged=report.unchanged, deactivated=report.deactivated))


async def _sync_crm(settings: Settings, pool: asyncpg.Pool, texts: Texts, stack: AsyncExitStack) -> ImportReport:
    """The CRM's products into the catalog (`crm.catalog_sync`, imported here only: this command is the one place
    the catalog commands reach the CRM). Without a key, or when the CRM cannot be read, says why and exits 1."""
    from crm.catalog_sync import sync_catalog
    from crm.client import CrmError, SitniksClient

    key = settings.sitniks_api_key.get_secret_value().strip() if settings.sitniks_api_key else ""
    if not key:
        print(texts.render(Text.SYNC_CRM_NO_KEY), file=sys.stderr)
        raise SystemExit(1)
    client = SitniksClient(settings.sitniks_api_url, key, settings.crm_timeout)
    stack.push_async_callback(client.close)
    try:
        return await sync_catalog(pool, client)
    except CrmError as exc:
        print(texts.render(Text.SYNC_CRM_FAILED, reason=exc.reason), file=sys.stderr)
        raise SystemExit(1) from None


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
    print(texts.render(Text.IMPORT_FAILED), file=sys.stderr)
    for error in rejected.errors:
        reason = texts.say(error.reason)
        print(texts.render(Text.IMPORT_ROW, line=error.line, reason=reason) if error.line else reason, file=sys.stderr)


async def _embed(settings: Settings, pool: asyncpg.Pool, texts: Texts, stack: AsyncExitStack) -> None:
    """Embeddings for changed products; the catalog is already saved, so a provider failure only warns."""
    if settings.openai_api_key is None:
        print(texts.render(Text.IMPORT_NO_EMBEDDINGS), file=sys.stderr)
        return
    from openai import AsyncOpenAI, OpenAIError  # only when embeddings are configured: a slow import

    from catalog.embeddings import EmbeddingMismatch, openai_embed, refresh_embeddings

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
