"""The catalog as the sales agent asks it: products for a customer's words and constraints, one product by sku."""

from __future__ import annotations

import asyncpg
import openai
import structlog

from catalog.embeddings import Embed, EmbeddingMismatch
from catalog.search import Match, SearchQuery, search
from catalog.vocabulary import Vocabulary
from models.products import Product
from storage.products import has_embeddings, load_products, products_by_sku, similar_products

log = structlog.get_logger(__name__)


class Catalog:
    """Reads the active catalog per question (30-100 products), so an import is visible at once."""

    def __init__(self, pool: asyncpg.Pool, vocabulary: Vocabulary, embed: Embed | None = None,
                 embedding_model: str | None = None) -> None:
        self._pool = pool
        self._vocabulary = vocabulary
        self._embed = embed if embedding_model else None
        self._model = embedding_model or ""

    async def find(self, query: SearchQuery) -> list[Match]:
        products = await load_products(self._pool)
        return search(self._vocabulary, products, query, await self._similarity(query.text))

    async def product(self, sku: str) -> Product | None:
        return (await products_by_sku(self._pool, [sku])).get(sku)

    async def _similarity(self, text: str) -> dict[int, float]:
        if self._embed is None or not text.strip() or not await has_embeddings(self._pool, self._model):
            return {}
        try:
            vector = (await self._embed([text]))[0]
        except (openai.OpenAIError, EmbeddingMismatch) as exc:
            # the words still find products; search by meaning comes back with the provider
            log.warning("query_embedding_failed", error=type(exc).__name__)
            return {}
        return await similar_products(self._pool, vector, self._model)
