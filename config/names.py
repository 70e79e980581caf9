"""Customers' names out of log lines and trace snapshots: the words a person is called (with their Ukrainian endings:
"Оксана" also hides "Оксани", "Оксано") and the fields that are personal by name.

The log processor `mask_names` hides the names of the customer the current turn serves, wherever they appear in a
log line: our own events, library lines (aiogram, asyncpg), exception messages and tracebacks. The turn binds
those names with `customer_words(...)`; they live in a context variable of their own, never rendered. Words
learned later in the same turn (a recipient's name the model just recorded) join with `add_customer_words(...)`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

MASK = "***"
# Fields that hold a person's name (not "name": products have one), phone, username or delivery place: tool
# arguments (record_customer_details), the dialog's customer details, the session snapshot, orders, log events.
PERSONAL_KEYS = frozenset({
    "full_name", "first_name", "last_name", "username", "phone", "city", "delivery_point", "point_number",
    "customer_name", "customer_phone", "customer_city", "delivery_address", "recipient", "read_back",
})
_MIN_STEM = 4  # shorter names are matched whole
# The turn's customer words; a mutable set, so words added inside LangGraph's tasks reach the turn's later lines.
_WORDS: ContextVar[set[str] | None] = ContextVar("customer_words", default=None)


def name_words(text: str) -> list[str]:
    """The words of a name, at least two letters each ("Петренко Оксана-Марія" → both; "О." is left out)."""
    return [w for w in re.findall(r"[^\W\d_]+(?:['ʼ’-][^\W\d_]+)*", text) if len(w) >= 2]


def names_pattern(words: Iterable[str]) -> re.Pattern[str] | None:
    """A case-blind pattern for the words with any ending (a word longer than four letters loses its last two to
    a stem: "Оксана" → "окса…"), or None for no words."""
    return _compiled(frozenset(w.lower() for w in words))


@lru_cache(maxsize=256)
def _compiled(words: frozenset[str]) -> re.Pattern[str] | None:
    stems = sorted({w if len(w) <= _MIN_STEM else w[:max(_MIN_STEM, len(w) - 2)] for w in words},
                   key=len, reverse=True)
    if not stems:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(s) for s in stems) + r")\w*", re.IGNORECASE)


@contextmanager
def customer_words(*names: str | None) -> Iterator[None]:
    """Within the block, log lines hide the words of these names (Telegram first/last name, username, the
    dialog's recipient), besides any the enclosing block bound."""
    words = set(_WORDS.get() or ())
    for name in names:
        if name:
            words.update(name_words(name))
    token = _WORDS.set(words)
    try:
        yield
    finally:
        _WORDS.reset(token)


def add_customer_words(words: Iterable[str]) -> None:
    """Hide these words too for the rest of the bound turn (no-op outside `customer_words`)."""
    bound = _WORDS.get()
    if bound is not None:
        bound.update(words)


def mask_names(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: personal fields become '***' at any depth, the bound customer words are hidden in
    every string (keys are kept, they are ours)."""
    pattern = names_pattern(_WORDS.get() or ())
    return {key: _masked(key, value, pattern) for key, value in event_dict.items()}


def _masked(key: Any, value: Any, pattern: re.Pattern[str] | None) -> Any:
    if key in PERSONAL_KEYS and value not in (None, "", [], {}):
        return MASK
    if isinstance(value, str):
        return pattern.sub(MASK, value) if pattern else value
    if isinstance(value, Mapping):
        return {k: _masked(k, v, pattern) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_masked(None, v, pattern) for v in value)
    return value
