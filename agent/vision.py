"""Recognising the model on a customer's photo: the vision model compares it with the catalog; the answer is
remembered by the photo's bytes. The photo travels as a base64 data URL, never as a URL with the bot token."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

import asyncpg
import structlog

from agent.llm import CallContext, Llm
from catalog.products import Product
from storage.photos import recognition, remember_recognition
from storage.products import load_products

log = structlog.get_logger(__name__)

VERDICTS = ("ours", "unsure", "not_ours")
RESPONSE_FORMAT = {"type": "json_schema", "json_schema": {"name": "photo", "strict": True, "schema": {
    "type": "object", "additionalProperties": False, "required": ["verdict", "sku", "question"],
    "properties": {"verdict": {"type": "string", "enum": list(VERDICTS)},
                   "sku": {"type": ["string", "null"]}, "question": {"type": ["string", "null"]}}}}}


@dataclass(frozen=True)
class Recognition:
    verdict: str
    product: Product | None
    question: str | None
    seen_before: bool


def _data_url(photo: bytes) -> str:
    kind = "image/png" if photo.startswith(b"\x89PNG") else "image/jpeg"
    return f"data:{kind};base64,{base64.b64encode(photo).decode()}"


def _catalog_lines(products: list[Product]) -> str:
    return "\n".join(f"- {p.sku}: {p.name} ({p.category or '—'}; кольори: {', '.join(p.colors) or '—'})"
                     for p in products)


class PhotoRecognizer:
    def __init__(self, llm: Llm, pool: asyncpg.Pool, model: str) -> None:
        self._llm = llm
        self._pool = pool
        self._model = model
        self._prompt = (resources.files("agent") / "prompts" / "vision.uk.md").read_text(encoding="utf-8")

    async def recognise(self, photo: bytes, caption: str, ctx: CallContext) -> Recognition:
        products = {p.sku: p for p in await load_products(self._pool)}
        digest = hashlib.sha256(photo).hexdigest()
        known = await recognition(self._pool, digest)
        if known is not None:
            return Recognition(known["verdict"], products.get(known["sku"]), known["question"], seen_before=True)
        completion = await self._llm.chat(ctx, [
            {"role": "system", "content": self._prompt.format(catalog=_catalog_lines(list(products.values())))},
            {"role": "user", "content": [{"type": "text", "text": caption or "Що це за модель?"},
                                         {"type": "image_url", "image_url": {"url": _data_url(photo)}}]},
        ], model=self._model, response_format=RESPONSE_FORMAT)
        parsed = self._parse(completion.choices[0].message.content or "")
        if parsed is None:  # not remembered: the same photo deserves a proper look next time
            return Recognition("unsure", None, None, seen_before=False)
        verdict, sku, question = parsed
        product = products.get(sku or "")
        if verdict == "ours" and product is None:
            verdict = "unsure"  # a sku we do not sell is not a confident match
        await remember_recognition(self._pool, digest, verdict, product.sku if product else None, question)
        return Recognition(verdict, product, question, seen_before=False)

    @staticmethod
    def _parse(content: str) -> tuple[str, str | None, str | None] | None:
        try:
            data: dict[str, Any] = json.loads(content)
            verdict = str(data["verdict"])
            if verdict not in VERDICTS:
                raise ValueError(verdict)
            return verdict, data.get("sku"), data.get("question")
        except (json.JSONDecodeError, KeyError, TypeError, ValueError):
            log.warning("vision_reply_not_structured")
            return None
