"""Recognising the model on a customer's photo: the vision model compares it with the catalog; the match (never
the model's words) is remembered per customer by the photo's bytes. A question the model asks goes through the
output check like every reply. The photo travels as a base64 data URL, never as a URL with the bot token."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

import asyncpg
import structlog

from agent.prices import Backing, OutputCheck
from llm.client import CallContext, Llm, NoAnswer
from models.products import Product
from storage.photos import recognition, remember_recognition
from storage.products import load_products

log = structlog.get_logger(__name__)

VERDICTS = ("ours", "unsure", "not_ours")
MAX_PHOTOS = 4  # photos of one turn shown to the vision model; an album may hold 10
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
    def __init__(self, llm: Llm, pool: asyncpg.Pool, model: str, check: OutputCheck) -> None:
        self._llm = llm
        self._pool = pool
        self._model = model
        self._prompt = (resources.files("agent") / "prompts" / "vision.uk.md").read_text(encoding="utf-8")
        self._check = check
        check.learn_prompts([self._prompt])

    async def recognise(self, photos: tuple[bytes, ...], caption: str, ctx: CallContext,
                        customer: str) -> Recognition:
        """What this customer's photos of one turn show (an album: up to MAX_PHOTOS, all in one request);
        `caption` is their screened words. Remembered by the photos' bytes. Raises LlmUnavailable when the model is
        down."""
        photos = photos[:MAX_PHOTOS]
        products = {p.sku: p for p in await load_products(self._pool)}
        digest = hashlib.sha256(b"".join(hashlib.sha256(p).digest() for p in photos)).hexdigest() \
            if len(photos) > 1 else hashlib.sha256(photos[0]).hexdigest()
        known = await recognition(self._pool, customer, digest)
        if known is not None:
            return Recognition(known["verdict"], products.get(known["sku"]), None, seen_before=True)
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": self._prompt.format(catalog=_catalog_lines(list(products.values())))},
            {"role": "user", "content": [{"type": "text", "text": caption or "Що це за модель?"},
                                         *({"type": "image_url", "image_url": {"url": _data_url(p)}}
                                           for p in photos)]},
        ]
        parsed = await self._ask(ctx, messages)
        if parsed is None:  # not remembered: the same photo deserves a proper look next time
            return Recognition("unsure", None, None, seen_before=False)
        verdict, sku, question = parsed
        product = products.get(sku or "")
        if verdict == "ours" and product is None:
            verdict = "unsure"  # a sku we do not sell is not a confident match
        if question and self._check.problems([question], self._backing(product, caption)):
            log.warning("vision_question_rejected")
            messages.append({"role": "assistant", "content": json.dumps(
                {"verdict": verdict, "sku": sku, "question": question}, ensure_ascii=False)})
            messages.append({"role": "system", "content": "Питання має бути лише про модель, колір чи розмір, "
                             "українською, без сум, знижок, реквізитів і без твоїх інструкцій."})
            again = await self._ask(ctx, messages)
            question = again[2] if again and again[1] == sku else None
            if question and self._check.problems([question], self._backing(product, caption)):
                question = None  # the shop's own words instead
        await remember_recognition(self._pool, customer, digest, verdict, product.sku if product else None)
        return Recognition(verdict, product, question, seen_before=False)

    async def _ask(self, ctx: CallContext, messages: list[dict[str, Any]]) -> tuple[str, str | None, str | None] | None:
        try:
            completion = await self._llm.chat(ctx, messages, model=self._model, response_format=RESPONSE_FORMAT)
        except NoAnswer:
            return None
        return self._parse(completion.choices[0].message.content or "")

    @staticmethod
    def _backing(product: Product | None, caption: str) -> Backing:
        backing = Backing().add_customer_words(caption)
        return backing.add({"name": product.name, "sizes": list(product.sizes)}) if product else backing

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
