"""Embeddings through the real openai SDK and the fake server: batched, only for changed products, used in search."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from importlib import resources
from pathlib import Path

import asyncpg
import pytest_asyncio
from openai import AsyncOpenAI

from catalog.embeddings import openai_embed, refresh_embeddings
from catalog.finder import Catalog
from catalog.importer import import_file
from catalog.morphology import Morphology
from catalog.search import SearchQuery
from catalog.vocabulary import load_vocabulary
from storage.products import similar_products
from tests.fakes.openai_api import FakeOpenAI, embedding_of
from tests.fakes.openai_limits import API_KEY

DEMO = Path(str(resources.files("catalog") / "demo.yaml"))
MODEL = "text-embedding-3-small"


@pytest_asyncio.fixture
async def openai_fake() -> AsyncIterator[FakeOpenAI]:
    fake = FakeOpenAI()
    await fake.start()
    yield fake
    await fake.stop()


@pytest_asyncio.fixture
async def client(openai_fake: FakeOpenAI) -> AsyncIterator[AsyncOpenAI]:
    client = AsyncOpenAI(api_key=API_KEY, base_url=openai_fake.url, max_retries=0)
    yield client
    await client.close()


async def test_only_changed_products_are_embedded_in_batches(db: asyncpg.Pool, tmp_path: Path,
                                                             openai_fake: FakeOpenAI, client: AsyncOpenAI) -> None:
    await db.execute("TRUNCATE products RESTART IDENTITY CASCADE")
    await import_file(db, DEMO)
    embed = openai_embed(client, MODEL, batch_size=4)
    assert await refresh_embeddings(db, embed, MODEL) == 9
    assert [len(r["input"]) for r in openai_fake.embedding_requests] == [4, 4, 1]
    assert all(r["model"] == MODEL and r["dimensions"] == 1536 for r in openai_fake.embedding_requests)

    assert await refresh_embeddings(db, embed, MODEL) == 0
    assert len(openai_fake.embedding_requests) == 3

    changed = tmp_path / "changed.yaml"
    changed.write_text(DEMO.read_text(encoding="utf-8").replace("Для школи та урочистих подій.",
                                                                "Для школи, свят і концертів."), encoding="utf-8")
    assert (await import_file(db, changed)).updated == 1
    assert await refresh_embeddings(db, embed, MODEL) == 1
    assert "концертів" in openai_fake.embedding_requests[-1]["input"][0]

    assert await refresh_embeddings(db, embed, "another-model") == 9  # vectors of another model are not reused


async def test_search_uses_the_vectors_when_the_catalog_has_them(db: asyncpg.Pool, openai_fake: FakeOpenAI,
                                                                 client: AsyncOpenAI) -> None:
    await db.execute("TRUNCATE products RESTART IDENTITY CASCADE")
    await import_file(db, DEMO)
    embed = openai_embed(client, MODEL)
    vocabulary = load_vocabulary(Morphology())
    text = "спортивний костюм для школи та секцій"

    assert (await Catalog(db, vocabulary).product("MIRT-ANNA")).price == Decimal("1850.00")  # type: ignore[union-attr]
    assert await Catalog(db, vocabulary).product("NO-SUCH") is None
    words_only = await Catalog(db, vocabulary).find(SearchQuery(text))
    assert words_only[0].product.name == "Костюм Ритм"
    assert openai_fake.embedding_requests == []

    await refresh_embeddings(db, embed, MODEL)
    requests = len(openai_fake.embedding_requests)
    nearest = await similar_products(db, embedding_of(text), MODEL)
    assert len(nearest) == 9
    with_vectors = await Catalog(db, vocabulary, embed, MODEL).find(SearchQuery(text))
    assert openai_fake.embedding_requests[-1]["input"] == [text]
    assert len(openai_fake.embedding_requests) == requests + 1
    assert with_vectors[0].product.name == "Костюм Ритм"
    assert with_vectors[0].score > words_only[0].score  # the vector similarity was added to the word score
