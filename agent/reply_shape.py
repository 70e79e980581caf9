"""The shape of the sales model's final answer, and reading it from what a model really sends.

Asked for `{"bubbles": [...], "next_state": ..., "show_products": [...]}` (REPLY_FORMAT), a model that ignores
or half-follows strict mode sends the JSON in a ```json fence, after a byte-order mark, with one string where
the list belongs, with `{"text": ...}` objects as bubbles, or forty bubbles. `read_reply` (the shape agent.sales.REPLY_FORMAT asks for) takes what is
unambiguous and refuses the rest (None): JSON-looking content that is not a reply is never shown to a customer.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

# Telegram messages the model may send in one reply: the prompt asks for 1–3 (agent/prompts/sales.uk.md), and the
# shop's own bubbles (payment options, requisites, "I'll check") may follow; forty is a broken answer.
MAX_BUBBLES = 3

_FENCE = re.compile(r"^```[a-zA-Z]*\s*\n?(.*?)\n?\s*```$", re.DOTALL)


@dataclass(frozen=True)
class Reply:
    """A readable final answer: 1..MAX_BUBBLES non-empty texts; `next_state` and `show_products` as the model
    gave them (None / [] when missing: plain text carries neither)."""

    bubbles: list[str]
    next_state: str | None = None
    show_products: tuple[str, ...] = ()
    facts: Any = None  # the reply's "facts" as given (agent.sales reads them)


def unwrapped(content: str) -> str:
    """The content without a byte-order mark, surrounding blanks and a Markdown code fence around it."""
    text = content.replace("\ufeff", "").strip()
    fenced = _FENCE.match(text)
    return fenced.group(1).strip() if fenced else text


def _bubble(item: Any) -> str | None:
    if isinstance(item, str):
        return item.strip()
    if isinstance(item, dict) and list(item) == ["text"] and isinstance(item["text"], str):
        return item["text"].strip()  # [{"text": ...}]: one obvious reading
    return None  # numbers, lists, other objects: what the customer should read is unknowable


def _capped(bubbles: list[str]) -> list[str]:
    """At most MAX_BUBBLES: the extra ones are joined onto the last, so no word the model wrote (the price, the
    question at the end) is lost and the output check still reads all of it."""
    if len(bubbles) <= MAX_BUBBLES:
        return bubbles
    return [*bubbles[:MAX_BUBBLES - 1], "\n".join(bubbles[MAX_BUBBLES - 1:])]


def looks_like_json(content: str) -> bool:
    """Whether the content is JSON (after unwrapping) or carries a JSON object: then it must be a reply."""
    text = unwrapped(content)
    if text[:1] in ("{", "["):
        return True
    start = text.find("{")
    if start < 0:
        return False
    try:
        json.JSONDecoder().raw_decode(text[start:])
    except json.JSONDecodeError:
        return False
    return True


def read_reply(content: str) -> Reply | None:
    """The answer in `content`, or None when it is none: empty, or JSON-looking without a readable `bubbles`
    (a string, a list of strings or of {"text": str} objects). Plain text is an answer of one bubble."""
    text = unwrapped(content)
    if not looks_like_json(text):
        return Reply([text]) if text else None
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return None
    if not isinstance(data, dict):
        return None
    raw = data.get("bubbles")
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list):
        return None
    bubbles = [_bubble(item) for item in items]
    if any(b is None or looks_like_json(b) for b in bubbles):
        return None  # a bubble of JSON is the same broken answer one level down
    bubbles = [b for b in bubbles if b]
    if not bubbles:
        return None
    state = data.get("next_state")
    products = data.get("show_products")
    return Reply(_capped(bubbles), state if isinstance(state, str) else None,
                 tuple(p for p in products if isinstance(p, str)) if isinstance(products, list) else (),
                 data.get("facts"))
