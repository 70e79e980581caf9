"""The one door to the language model: timeouts, retries (the SDK's, on 429/5xx/timeouts only), and a trace row
for every call, successful or not."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg
import openai
import structlog
from openai import AsyncOpenAI
from openai.types.chat import ChatCompletion

from config.names import add_customer_words
from config.shop import Price
from llm.privacy import hide, personal_words, words_in_tool_calls
from llm.tracing import TurnTraces, input_snapshot, masked, snapshot
from storage.traces import UNANSWERED, LlmCall, record_llm_call, recorded_names, rewrite_snapshots

log = structlog.get_logger(__name__)

_MILLION = Decimal(1_000_000)


class LlmUnavailable(Exception):
    """The model could not answer after the SDK's retries."""


class NoAnswer(LlmUnavailable):
    """The model answered twice with something that is not an answer: a refusal, nothing, a reply cut off at the
    token limit or by the content filter, or broken JSON where a JSON object was asked for."""


RETRY_BUDGET = 4096  # output tokens for the second try after a reply was cut off at the limit
# OpenAI API reference, chat completion object: `message.refusal` (string or null) and `finish_reason`
# ("stop", "length", "content_filter", "tool_calls").
_CATEGORY = {"refusal": "SAFETY", "content_filter": "SAFETY", "length": "SCHEMA", "empty": "SCHEMA",
             "invalid_json": "SCHEMA", "wrong_shape": "SCHEMA"}


def not_an_answer(completion: ChatCompletion, structured: bool,
                  readable: Callable[[str], bool] | None = None) -> str | None:
    """Why this completion is no answer (a key of _CATEGORY), or None when it is one. Plain text where JSON was
    asked for still counts as an answer; text that starts as JSON and does not parse does not, nor content the
    caller's `readable` (content → whether it has the asked shape) refuses."""
    if not completion.choices:
        return "empty"
    choice = completion.choices[0]
    if getattr(choice.message, "refusal", None):
        return "refusal"
    if choice.finish_reason in ("content_filter", "length"):
        return choice.finish_reason
    if choice.message.tool_calls:
        return None
    content = (choice.message.content or "").strip()
    if not content:
        return "empty"
    if structured and content[0] in "{[":
        try:
            json.loads(content)
        except json.JSONDecodeError:
            return "invalid_json"
    if readable is not None and not readable(content):
        return "wrong_shape"
    return None


@dataclass(frozen=True)
class CallContext:
    trace_id: UUID
    session_id: str | None
    user_id: int | None
    node_name: str
    state_name: str | None = None
    prompt_version: str | None = None
    customer: Mapping[str, Any] | None = None  # the dialog's customer details, live: names/city to mask in traces
    traces: TurnTraces | None = None  # a dialog turn's: its traces are written when the turn closes, not per call
    static_prefix: int = 0  # leading messages that are the versioned static prompt: traced by version and hash


class Llm:
    def __init__(self, client: AsyncOpenAI, pool: asyncpg.Pool, model: str, prices: dict[str, Price]) -> None:
        self._client = client
        self._pool = pool
        self.model = model
        self._prices = prices

    def cost(self, model: str, tokens_in: int, tokens_out: int, tokens_cached: int = 0) -> Decimal:
        """USD for one call; `tokens_cached` of the `tokens_in` are counted at the cached price."""
        price = self._prices.get(model)
        if price is None:
            return Decimal(0)
        cached = price.input if price.cached_input is None else price.cached_input
        return (price.input * (tokens_in - tokens_cached) + cached * tokens_cached
                + price.output * tokens_out) / _MILLION

    async def chat(self, ctx: CallContext, messages: list[dict[str, Any]],
                   readable: Callable[[str], bool] | None = None, **options: Any) -> ChatCompletion:
        """One answer of the model; a non-answer (see not_an_answer; `readable` checks the content's shape) is
        traced as an ERROR and asked once more (with RETRY_BUDGET output tokens after a cut-off). Raises
        LlmUnavailable when the model is down, NoAnswer after two non-answers."""
        structured = "response_format" in options
        completion = await self._call(ctx, messages, options, readable)
        reason = not_an_answer(completion, structured, readable)
        if reason is None:
            return completion
        log.warning("llm_no_answer", node=ctx.node_name, reason=reason)
        if reason == "length":
            options["max_completion_tokens"] = max(RETRY_BUDGET, 2 * options.get("max_completion_tokens", 0))
        completion = await self._call(ctx, messages, options, readable)
        reason = not_an_answer(completion, structured, readable)
        if reason is None:
            return completion
        log.error("llm_no_answer_twice", node=ctx.node_name, reason=reason)
        raise NoAnswer(reason)

    async def _call(self, ctx: CallContext, messages: list[dict[str, Any]], options: dict[str, Any],
                    readable: Callable[[str], bool] | None = None) -> ChatCompletion:
        options = dict(options)
        model = options.pop("model", self.model)
        started = time.perf_counter()
        try:
            # The SDK's documented route for custom requests (README, "Undocumented endpoints"): the same client
            # timeout, retries and error classes as `chat.completions.create`, without its per-message TypedDict
            # transform of the request, a large share of a turn's CPU. The body is JSON as the API reference has it.
            completion = await self._client.post(
                "/chat/completions", body={"model": model, "messages": messages, **options}, cast_to=ChatCompletion,
                options={"security": {"bearer_auth": True}})
        except openai.OpenAIError as exc:
            await self._trace(ctx, model, started, messages, {"error": f"{type(exc).__name__}: {exc}"}, "ERROR",
                              UNANSWERED, 0, 0)
            if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
                # Not an outage that passes by itself: someone has to change the key.
                log.error("llm_key_refused", node=ctx.node_name, status=exc.status_code,
                          problem="the model server refused OPENAI_API_KEY: set a valid key and restart")
            else:
                log.warning("llm_call_failed", node=ctx.node_name, error=type(exc).__name__)
            raise LlmUnavailable(str(exc)) from exc
        usage = completion.usage
        tokens_in = usage.prompt_tokens if usage else 0
        tokens_out = usage.completion_tokens if usage else 0
        # OpenAI API reference, the chat completion object: usage.prompt_tokens_details.cached_tokens.
        details = usage.prompt_tokens_details if usage else None
        tokens_cached = (details.cached_tokens or 0) if details else 0
        output = completion.choices[0].message.model_dump(exclude_none=True) if completion.choices else {}
        reason = not_an_answer(completion, "response_format" in options, readable)
        if reason is not None:
            output = {**output, "no_answer": reason}
        await self._trace(ctx, model, started, messages, output, "SUCCESS" if reason is None else "ERROR",
                          None if reason is None else _CATEGORY[reason], tokens_in, tokens_out, tokens_cached)
        return completion

    async def transcribe(self, ctx: CallContext, audio: bytes, filename: str, model: str) -> str:
        """What is said in `audio` (a voice or video note as Telegram serves it, e.g. OGG/Opus or MP4), through the
        same OpenAI-compatible API (`audio.transcriptions`, https://platform.openai.com/docs/api-reference/audio);
        traced and costed like a chat call from the token usage the gpt-4o transcribe models report.
        Raises LlmUnavailable when the model could not answer."""
        started = time.perf_counter()
        request = {"audio": f"{filename} ({len(audio)} bytes)"}
        try:
            result = await self._client.audio.transcriptions.create(model=model, file=(filename, audio))
        except openai.OpenAIError as exc:
            await self._trace(ctx, model, started, request, {"error": f"{type(exc).__name__}: {exc}"}, "ERROR",
                              UNANSWERED, 0, 0)
            log.warning("llm_call_failed", node=ctx.node_name, error=type(exc).__name__)
            raise LlmUnavailable(str(exc)) from exc
        usage = getattr(result, "usage", None)
        tokens_in = getattr(usage, "input_tokens", 0) or 0
        tokens_out = getattr(usage, "output_tokens", 0) or 0
        await self._trace(ctx, model, started, request, {"text": result.text}, "SUCCESS", None, tokens_in, tokens_out)
        return result.text

    async def _trace(
        self, ctx: CallContext, model: str, started: float, messages: Any, output: Any, status: str,
        error_category: str | None, tokens_in: int, tokens_out: int, tokens_cached: int = 0,
    ) -> None:
        call = LlmCall(
            session_id=ctx.session_id, user_id=ctx.user_id, trace_id=ctx.trace_id, node_name=ctx.node_name,
            state_name=ctx.state_name, model_name=model, status=status, error_category=error_category,
            latency_ms=(time.perf_counter() - started) * 1000, tokens_in=tokens_in, tokens_out=tokens_out,
            tokens_cached=tokens_cached, cost=self.cost(model, tokens_in, tokens_out, tokens_cached),
            input_snapshot=input_snapshot(messages, ctx.prompt_version, ctx.static_prefix),
            output_snapshot=snapshot(output),
        )
        # The dialog's customer as it is now and the names the model passed to tools in this answer.
        known = personal_words(ctx.customer) | words_in_tool_calls(output)
        add_customer_words(known)  # the turn's later log lines hide a name the model just recorded, too
        if ctx.traces is not None:  # a dialog turn: masked and written once, when the turn closes
            ctx.traces.add(call, known)
            return
        # One transaction for the names read, the trace written and the turn's earlier traces masked.
        async with self._pool.acquire() as conn, conn.transaction():
            # Whatever the customer is called or lives: recorded earlier, recorded in this dialog, or given to a
            # tool in this very answer (the customer's message in `messages` said it before any tool recorded it).
            words = (personal_words(ctx.customer, *await recorded_names(conn, ctx.session_id))
                     | words_in_tool_calls(output))
            await record_llm_call(conn, masked([call], words)[0])
            if words:
                await rewrite_snapshots(conn, ctx.trace_id, lambda snapshot: hide(snapshot, words))
