"""What Postgres refuses to store, removed before anything reaches it, and how to tell a refused value from an
outage.

Postgres text and jsonb cannot hold the NUL character (U+0000: "invalid byte sequence for encoding UTF8: 0x00"
for text, "unsupported Unicode escape sequence" / UntranslatableCharacterError for jsonb; PostgreSQL docs,
"Character Set Support" and "JSON Types"), and a lone UTF-16 surrogate (U+D800..U+DFFF, which JSON may spell as
`\\ud800`) is not valid UTF-8 at all, so asyncpg cannot even encode it. Telegram passes both through from clients.
"""

from __future__ import annotations

import re
from typing import Any

import asyncpg

_REFUSED = re.compile("[\x00\ud800-\udfff]")

# Errors that say "this value cannot be stored", not "Postgres is unreachable": retrying them changes nothing.
# SQLSTATE class 22 (data exception: untranslatable character, numeric value out of range, invalid text), class 23
# (integrity constraint violation); asyncpg's client-side DataError (an argument it cannot encode, e.g. an int
# beyond int64) and Python's own UnicodeError for a string that has no UTF-8 form.
_DATA_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.exceptions.DataError,
    asyncpg.exceptions.IntegrityConstraintViolationError,
    # asyncpg's client-side "invalid input for query argument" (not exported under its own name: the public
    # asyncpg.DataError is SQLSTATE class 22)
    asyncpg.exceptions._base.DataError,  # noqa: SLF001
    UnicodeError,
    OverflowError,
)


def clean_text(text: str) -> str:
    """`text` without the characters Postgres refuses (NUL, lone surrogates)."""
    return _REFUSED.sub("", text)


def clean(value: Any) -> tuple[Any, int]:
    """A copy of a JSON-like value (str, dict, list, numbers) with refused characters removed from every string,
    keys included; returns the copy and how many characters were removed (0: the value was fine)."""
    if isinstance(value, str):
        cleaned = clean_text(value)
        return cleaned, len(value) - len(cleaned)
    if isinstance(value, dict):
        out, removed = {}, 0
        for key, item in value.items():
            new_key, n_key = clean(key) if isinstance(key, str) else (key, 0)
            out[new_key], n_item = clean(item)
            removed += n_key + n_item
        return out, removed
    if isinstance(value, (list, tuple)):
        items = [clean(item) for item in value]
        return type(value)(i for i, _ in items), sum(n for _, n in items)
    return value, 0


def is_data_error(exc: BaseException) -> bool:
    """True when Postgres (or the driver) refused the value itself; False for lost connections, timeouts, too many
    connections and everything else that may pass if tried again."""
    return isinstance(exc, _DATA_ERRORS)
