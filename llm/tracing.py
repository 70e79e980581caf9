"""What a model call's trace row keeps, and the rows of one dialog turn held until the turn closes.

A trace keeps enough to debug a call: the versioned static prompt only as its version and a hash (it is the same
text for every call), the rest of the prompt and the answer trimmed, and no personal data (`llm.privacy.hide`)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from llm.privacy import hide, personal_words
from storage.traces import LlmCall

_SNAPSHOT_CHARS = 4000


def snapshot(value: Any) -> Any:
    """Trimmed copy for the trace table (strings to 4,000 characters, lists to their last 20 items); not masked."""
    if isinstance(value, str):
        return value if len(value) <= _SNAPSHOT_CHARS else value[:_SNAPSHOT_CHARS] + "…"
    if isinstance(value, dict):
        return {k: snapshot(v) for k, v in value.items()}
    if isinstance(value, list):
        return [snapshot(v) for v in value[-20:]]
    return value


def input_snapshot(messages: Any, prompt_version: str | None, static_prefix: int) -> dict[str, Any]:
    """The prompt as a trace keeps it: {"prompt_version", "messages"} where `messages` (trimmed, not masked) leaves
    out the first `static_prefix` messages, the versioned static prompt, which is named by "prompt_sha256" (the
    first 12 hex digits of SHA-256 over their texts) instead."""
    if static_prefix and isinstance(messages, list):
        static = tuple(str(m.get("content")) for m in messages[:static_prefix] if isinstance(m, Mapping))
        return {"prompt_version": prompt_version, "prompt_sha256": _digest(static),
                "messages": snapshot(messages[static_prefix:])}
    return {"prompt_version": prompt_version, "messages": snapshot(messages)}


@lru_cache(maxsize=16)
def _digest(texts: tuple[str, ...]) -> str:
    return hashlib.sha256("\n".join(texts).encode()).hexdigest()[:12]


def masked(calls: list[LlmCall], words: set[str]) -> list[LlmCall]:
    """The calls with their prompt messages and answers masked (`llm.privacy.hide` with `words`), all with one
    pattern; the prompt's version and hash stay as they are."""
    hidden = hide([[c.input_snapshot.get("messages"), c.output_snapshot] for c in calls], words)
    return [replace(c, input_snapshot={**c.input_snapshot, "messages": inp}, output_snapshot=out)
            for c, (inp, out) in zip(calls, hidden, strict=True)]


@dataclass
class TurnTraces:
    """The trace rows of one dialog turn's model calls, kept in memory (snapshots not yet masked) and written once,
    masked with every name the turn came to know, in the transaction that closes the turn
    (`storage.turns.close_turn`), or right away when the model is down or the turn fails. A process that dies
    mid-turn loses them: the inbox replays that turn, whose calls are traced then."""

    calls: list[LlmCall] = field(default_factory=list)
    words: set[str] = field(default_factory=set)  # names and cities known when each call ended (llm.privacy)

    def add(self, call: LlmCall, words: set[str]) -> None:
        """Keep `call`; `words` (names and cities known when it ended: llm.privacy.personal_words) will be masked in
        every row of the turn."""
        self.calls.append(call)
        self.words |= words

    def masked(self, *known: Mapping[str, Any] | str | None) -> list[LlmCall]:
        """The rows to store, masked with the words seen so far and those of `known` (the dialog's customer at the
        turn's end, the Telegram name: see llm.privacy.personal_words)."""
        return masked(self.calls, self.words | personal_words(*known)) if self.calls else []
