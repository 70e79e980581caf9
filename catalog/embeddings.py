"""Product embeddings for semantic search: computed in batches, only for products whose text (or model) changed."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable

import asyncpg
from openai import AsyncOpenAI

from models.products import Product
from storage.products import embedding_hashes, load_products, save_embeddings

Embed = Callable[[list[str]], Awaitable[list[list[float]]]]

BATCH_SIZE = 64
DIMENSIONS = 1536  # products.embedding is VECTOR(1536), as in the seed


class EmbeddingMismatch(Exception):
    """The model's vectors do not fit the column; choose a model with 1536 dimensions."""


def openai_embed(client: AsyncOpenAI, model: str, batch_size: int = BATCH_SIZE) -> Embed:
    """An embedding function over any OpenAI-compatible server; one request per `batch_size` texts.

    text-embedding-3 models are asked for 1536 dimensions (they can shorten their vectors); any other model must
    produce 1536 itself, or the import says so instead of storing vectors search could not compare.
    """
    extra = {"dimensions": DIMENSIONS} if model.startswith("text-embedding-3") else {}

    async def embed(texts: list[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        for start in range(0, len(texts), batch_size):
            response = await client.embeddings.create(model=model, input=texts[start:start + batch_size], **extra)
            vectors.extend(item.embedding for item in sorted(response.data, key=lambda d: d.index))
        wrong = next((len(v) for v in vectors if len(v) != DIMENSIONS), None)
        if wrong is not None:
            raise EmbeddingMismatch(f"{model} gives {wrong}-dimensional vectors, the catalog stores {DIMENSIONS}")
        return vectors

    return embed


def product_text(product: Product) -> str:
    """What a product is about, in words; prices and sizes are left out (they are exact filters, not meaning)."""
    parts = [product.name, product.category, product.subcategory, product.description,
             ", ".join(product.colors)]
    return "\n".join(p for p in parts if p)


def text_hash(model: str, text: str) -> str:
    return hashlib.sha256(f"{model}\n{text}".encode()).hexdigest()


async def refresh_embeddings(pool: asyncpg.Pool, embed: Embed, model: str) -> int:
    """Embed the active products whose text changed since their last embedding; returns how many were embedded."""
    hashes = await embedding_hashes(pool)
    stale = []
    for product in await load_products(pool):
        text = product_text(product)
        digest = text_hash(model, text)
        if hashes.get(product.id) != digest:
            stale.append((product.id, text, digest))
    if not stale:
        return 0
    vectors = await embed([text for _, text, _ in stale])
    await save_embeddings(pool, model, [(pid, vector, digest) for (pid, _, digest), vector in zip(stale, vectors,
                                                                                                     strict=True)])
    return len(stale)
