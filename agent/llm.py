"""The one door to the language model: timeouts, retries (the SDK's, on 429/5xx/timeouts only), and a trace row
for every call, successful or not."""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg
import openai
import structlog
from openai import AsyncOpenAI
from openai.types.chat import ChatCompletion

from bot.logs import mask
from storage.traces import LlmCall, record_llm_call

log = structlog.get_logger(__name__)

_SNAPSHOT_CHARS = 4000
_MILLION = Decimal(1_000_000)


class LlmUnavailable(Exception):
    """The model could not answer after the SDK's retries."""


@dataclass(frozen=True)
class Price:
    """USD per one million tokens."""

    input: Decimal
    output: Decimal


@dataclass(frozen=True)
class CallContext:
    trace_id: UUID
    session_id: str | None
    user_id: int | None
    node_name: str
    state_name: str | None = None
    prompt_version: str | None = None


def _snapshot(value: Any) -> Any:
    """Trimmed, masked copy for the trace table: enough to debug, no phone numbers or secrets."""
    if isinstance(value, str):
        text = mask(value)
        return text if len(text) <= _SNAPSHOT_CHARS else text[:_SNAPSHOT_CHARS] + "…"
    if isinstance(value, dict):
        return {k: _snapshot(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_snapshot(v) for v in value[-20:]]
    return value


class Llm:
    def __init__(self, client: AsyncOpenAI, pool: asyncpg.Pool, model: str, prices: dict[str, Price]) -> None:
        self._client = client
        self._pool = pool
        self.model = model
        self._prices = prices

    def cost(self, model: str, tokens_in: int, tokens_out: int) -> Decimal:
        price = self._prices.get(model)
        if price is None:
            return Decimal(0)
        return (price.input * tokens_in + price.output * tokens_out) / _MILLION

    async def chat(self, ctx: CallContext, messages: list[dict[str, Any]], **options: Any) -> ChatCompletion:
        model = options.pop("model", self.model)
        started = time.perf_counter()
        try:
            completion = await self._client.chat.completions.create(model=model, messages=messages, **options)
        except openai.OpenAIError as exc:
            await self._trace(ctx, model, started, messages, {"error": f"{type(exc).__name__}: {exc}"}, "ERROR",
                              "SYSTEM", 0, 0)
            log.warning("llm_call_failed", node=ctx.node_name, error=type(exc).__name__)
            raise LlmUnavailable(str(exc)) from exc
        usage = completion.usage
        tokens_in = usage.prompt_tokens if usage else 0
        tokens_out = usage.completion_tokens if usage else 0
        output = completion.choices[0].message.model_dump(exclude_none=True) if completion.choices else {}
        await self._trace(ctx, model, started, messages, output, "SUCCESS", None, tokens_in, tokens_out)
        return completion

    async def _trace(
        self, ctx: CallContext, model: str, started: float, messages: Any, output: Any, status: str,
        error_category: str | None, tokens_in: int, tokens_out: int,
    ) -> None:
        await record_llm_call(self._pool, LlmCall(
            session_id=ctx.session_id, user_id=ctx.user_id, trace_id=ctx.trace_id, node_name=ctx.node_name,
            state_name=ctx.state_name, model_name=model, status=status, error_category=error_category,
            latency_ms=(time.perf_counter() - started) * 1000, tokens_in=tokens_in, tokens_out=tokens_out,
            cost=self.cost(model, tokens_in, tokens_out),
            input_snapshot={"prompt_version": ctx.prompt_version, "messages": _snapshot(messages)},
            output_snapshot=_snapshot(output),
        ))
