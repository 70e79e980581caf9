"""A fake OpenAI-compatible server on 127.0.0.1, driven through the real `openai` SDK.

Chat completions (plain text, tool calls, json_schema output; image parts accepted) answer from a per-test
script; a script may also answer as the API does when the model gives no answer (`refusal`, `cut_off`, `filtered`:
`message.refusal` and `finish_reason` as OpenAI's API reference documents them); embeddings are deterministic
vectors of the text; audio transcriptions (`POST /v1/audio/transcriptions`, multipart with `file` and `model`,
answered `{"text", "usage"}` with token usage as the API reference documents for the gpt-4o transcribe models)
answer from `transcripts`, keyed by the audio's bytes. Requests are recorded; answers can be held at a gate (to kill
a process mid-call) or turned into HTTP errors. Like the real API it answers 401 to any key but `API_KEY`, 400 to a
strict json_schema that strict mode does not accept, and 429 with Retry-After when told
(tests/fakes/openai_limits.py). A scripted JSON answer to a strict json_schema request is held to that schema (the
real API's complete answers always match it): one that does not is answered 500 and written down in `refusals`,
unless the test turns `hold_to_schema` off to try the product's guards against such answers.
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import inspect
import itertools
import json
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from tests.fakes.openai_limits import rate_limited, refused_format, refused_key, schema_mismatch
from tests.fakes.server import LocalServer

Reply = str | dict[str, Any]  # text, or a full assistant message (e.g. with tool_calls)
Script = Callable[[dict[str, Any]], Reply | Awaitable[Reply]]

EMBEDDING_DIMENSIONS = 1536
# OpenAI's prompt caching (platform docs, "Prompt caching"): automatic for prompts of 1,024 tokens or more, a hit
# needs an exact prefix match with a recent prompt, and cached tokens come in 128-token steps from 1,024 on.
CACHE_MIN_TOKENS, CACHE_STEP = 1024, 128
_RECENT_PROMPTS = 32


def prefix_digests(head: str, text: str) -> list[bytes]:
    """Digests of `head` (tools and schema) followed by `text`'s prefixes of 1, 2, 3… cache steps (CACHE_STEP tokens
    at this fake's 4 characters a token): two prompts share k steps of prefix when their first k digests match."""
    step, digest, digests = CACHE_STEP * 4, hashlib.blake2b(head.encode()), []
    for end in range(step, len(text) + 1, step):
        digest.update(text[end - step:end].encode())
        digests.append(digest.copy().digest())
    return digests


def last_user_text(request: dict[str, Any]) -> str:
    for message in reversed(request["messages"]):
        if message["role"] == "user":
            content = message["content"]
            if isinstance(content, list):
                return " ".join(part.get("text", "") for part in content if part.get("type") == "text")
            return str(content)
    return ""


def echo(request: dict[str, Any]) -> Reply:
    return f"Відповідь на: {last_user_text(request)}"


def refusal(text: str = "I'm sorry, I can't help with that.") -> dict[str, Any]:
    """The model declined: `message.refusal` is set and `content` is null."""
    return {"role": "assistant", "content": None, "refusal": text}


def cut_off(fragment: str) -> dict[str, Any]:
    """The answer stopped at the output token limit: `finish_reason` "length", content is what came so far."""
    return {"role": "assistant", "content": fragment, "finish_reason": "length"}


def filtered(fragment: str | None = None) -> dict[str, Any]:
    """The answer was stopped by the content filter: `finish_reason` "content_filter"."""
    return {"role": "assistant", "content": fragment, "finish_reason": "content_filter"}


def embedding_of(text: str) -> list[float]:
    """A unit vector determined by the text's words, so similar texts get similar vectors."""
    vector = [0.0] * EMBEDDING_DIMENSIONS
    for word in text.lower().split():
        digest = hashlib.sha256(word.encode()).digest()
        for i in range(0, 16, 2):
            vector[int.from_bytes(digest[i:i + 2], "big") % EMBEDDING_DIMENSIONS] += 1.0
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [v / norm for v in vector]


class FakeOpenAI(LocalServer):
    def __init__(self, refusals: list[str] | None = None) -> None:
        """`refusals`: where what this fake refuses is written down (shared with the other fakes of a test)."""
        super().__init__()
        self.refusals = refusals if refusals is not None else []  # what the real API would have refused, in order
        self.requests: list[dict[str, Any]] = []
        self.hold_to_schema = True  # False: a test of the guards for what strict mode should make impossible
        self.embedding_requests: list[dict[str, Any]] = []
        self.script: Script = echo
        self.gate = asyncio.Event()
        self.gate.set()
        self._errors: list[int] = []
        self._rate_limits: list[float | None] = []
        self._ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self.transcripts: dict[bytes, str] = {}  # audio bytes → what was said in it
        self.transcription_requests: list[dict[str, Any]] = []
        self._transcription_errors: list[int] = []
        self._recent: collections.deque[list[bytes]] = collections.deque()  # prefix digests of recent prompts
        self._recent_prefixes: collections.Counter[bytes] = collections.Counter()  # … counted over all of them

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_post("/v1/embeddings", self._embeddings)
        app.router.add_post("/v1/audio/transcriptions", self._transcription)

    @property
    def url(self) -> str:
        return f"{self.base}/v1"

    async def stop(self) -> None:
        self.gate.set()
        await super().stop()

    def requests_for(self, schema: str) -> list[dict[str, Any]]:
        """The chat requests that asked for this structured-output schema (e.g. "reply" for the sales dialog)."""
        return [r for r in self.requests if r.get("response_format", {}).get("json_schema", {}).get("name") == schema]

    def fail(self, status: int, times: int = 1) -> None:
        self._errors.extend([status] * times)

    def fail_transcriptions(self, status: int, times: int = 1) -> None:
        self._transcription_errors.extend([status] * times)

    def rate_limit(self, times: int = 1, retry_after: float | None = None) -> None:
        """The next `times` chat calls answer 429 rate_limit_exceeded, with Retry-After: `retry_after` seconds."""
        self._rate_limits.extend([retry_after] * times)

    async def wait_for_requests(self, count: int, timeout: float = 15) -> None:
        try:
            async with self._changed:
                await asyncio.wait_for(self._changed.wait_for(lambda: len(self.requests) >= count), timeout)
        except TimeoutError:
            if self.refusals:
                raise AssertionError(f"waited {timeout} s in vain; the fakes refused: {self.refusals}") from None
            raise

    def _noted(self, request: web.Request, refused: web.Response | None) -> web.Response | None:
        """`refused` (an answer the real API gives to a request it refuses), written down on the way out."""
        if refused is not None:
            self.refusals.append(f"OpenAI {request.path} {refused.status}: {refused.text}")
        return refused

    async def _chat(self, request: web.Request) -> web.Response:
        body = await request.json()
        refused = self._noted(request, refused_key(request) or refused_format(body))
        if refused is not None:
            return refused
        self.requests.append(body)
        body["_at"] = time.monotonic()  # when it arrived (not sent on by the fake)
        async with self._changed:
            self._changed.notify_all()
        if self._rate_limits:
            return rate_limited(body["model"], self._rate_limits.pop(0))
        if self._errors:
            status = self._errors.pop(0)
            return web.json_response({"error": {"message": "fake failure", "type": "server_error"}}, status=status)
        await self.gate.wait()
        reply = self.script(body)
        if inspect.isawaitable(reply):
            reply = await reply
        message = {"role": "assistant", "content": reply} if isinstance(reply, str) else dict(reply)
        mismatch = schema_mismatch(body, message.get("content")) if self.hold_to_schema else None
        # A cut-off or filtered answer is what came so far; a complete one that does not match is the script's fault.
        if mismatch is not None and not message.get("finish_reason"):
            self.refusals.append(f"OpenAI script: {mismatch}")
            return web.json_response({"error": {"message": mismatch, "type": "server_error"}}, status=500)
        finish_reason = message.pop("finish_reason", None) or ("tool_calls" if message.get("tool_calls") else "stop")
        message.setdefault("refusal", None)
        prompt_tokens = sum(len(json.dumps(m, ensure_ascii=False)) // 4 for m in body["messages"])
        completion_tokens = max(1, len(json.dumps(message, ensure_ascii=False)) // 4)
        return web.json_response({
            "id": f"chatcmpl-{next(self._ids)}", "object": "chat.completion", "created": int(time.time()),
            "model": body["model"],
            "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens,
                      "prompt_tokens_details": {"cached_tokens": self._cached_tokens(body, prompt_tokens)}},
        })

    def _cached_tokens(self, body: dict[str, Any], prompt_tokens: int) -> int:
        """Tokens of this prompt's prefix that a recent prompt with the same tools and schema began with."""
        head = json.dumps([body.get("tools"), body.get("response_format")], ensure_ascii=False)
        digests = prefix_digests(head, json.dumps(body["messages"], ensure_ascii=False))
        steps = next((i for i, d in enumerate(digests) if d not in self._recent_prefixes), len(digests))
        if len(self._recent) == _RECENT_PROMPTS:
            self._recent_prefixes -= collections.Counter(self._recent.popleft())
        self._recent.append(digests)
        self._recent_prefixes.update(digests)
        tokens = min(steps * CACHE_STEP, prompt_tokens)
        return 0 if tokens < CACHE_MIN_TOKENS else tokens // CACHE_STEP * CACHE_STEP

    async def _embeddings(self, request: web.Request) -> web.Response:
        refused = self._noted(request, refused_key(request))
        if refused is not None:
            return refused
        body = await request.json()
        self.embedding_requests.append(body)
        texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        tokens = sum(len(t) // 4 + 1 for t in texts)
        return web.json_response({
            "object": "list", "model": body["model"],
            "data": [{"object": "embedding", "index": i, "embedding": embedding_of(t)} for i, t in enumerate(texts)],
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        })


    async def _transcription(self, request: web.Request) -> web.Response:
        refused = self._noted(request, refused_key(request))
        if refused is not None:
            return refused
        form = await request.post()
        upload = form.get("file")
        if not isinstance(upload, web.FileField) or not form.get("model"):
            return web.json_response({"error": {"message": "file and model are required",
                                                "type": "invalid_request_error"}}, status=400)
        audio = upload.file.read()
        self.transcription_requests.append({"model": form["model"], "filename": upload.filename, "audio": audio})
        if self._transcription_errors:
            status = self._transcription_errors.pop(0)
            return web.json_response({"error": {"message": "fake failure", "type": "server_error"}}, status=status)
        text = self.transcripts.get(audio, "")
        audio_tokens, text_tokens = max(1, len(audio) // 32), max(1, len(text) // 4)
        return web.json_response({"text": text, "usage": {
            "type": "tokens", "input_tokens": audio_tokens, "output_tokens": text_tokens,
            "total_tokens": audio_tokens + text_tokens,
            "input_token_details": {"audio_tokens": audio_tokens, "text_tokens": 0}}})


def sleeps(seconds: float, then: Script = echo) -> Script:
    async def slow(request: dict[str, Any]) -> Reply:
        await asyncio.sleep(seconds)
        result = then(request)
        return await result if inspect.isawaitable(result) else result

    return slow
