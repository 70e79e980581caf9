"""Personal data out of the LLM trace snapshots: phones (any spelling), branch numbers and secrets as the logs mask
them, the values of personal fields wherever they sit (tool arguments included), and the customer's recorded
names, patronymic and city wherever the words appear (the customer's own messages, tool results, the replies)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from config.logs import mask
from config.names import MASK, PERSONAL_KEYS, name_words, names_pattern


def personal_words(*sources: Mapping[str, Any] | str | None) -> set[str]:
    """The words to hide: from the personal fields of each mapping (a name "Петренко Оксана Іванівна" gives each
    word) and from each plain string (a Telegram name)."""
    words: set[str] = set()
    for source in sources:
        if isinstance(source, Mapping):
            for key in ("name", "full_name", "first_name", "last_name", "city", "customer_name", "customer_city"):
                value = source.get(key)
                if isinstance(value, str):
                    words.update(name_words(value))
        elif isinstance(source, str):
            words.update(name_words(source))
    return words


def words_in_tool_calls(output: Any) -> set[str]:
    """Names and cities the model passed to tools in this answer (recorded only after the call's trace)."""
    calls = output.get("tool_calls") if isinstance(output, Mapping) else None
    words: set[str] = set()
    for call in calls or []:
        try:
            arguments = json.loads(call["function"]["arguments"])
        except (KeyError, TypeError, ValueError):
            continue
        if isinstance(arguments, Mapping):
            words |= personal_words(arguments)
    return words


def hide(value: Any, words: Iterable[str] = ()) -> Any:
    """A copy of a JSON-like value with every string masked (`config.logs.mask`), personal fields replaced by '***'
    and the given words (with their Ukrainian endings: "Оксана" also hides "Оксано") masked wherever they occur.
    A string holding JSON (tool arguments and results) is masked as JSON. A string met twice (one turn's calls
    repeat the dialog) is masked once."""
    return _Hider(names_pattern(words)).hide(value)


class _Hider:
    def __init__(self, pattern: re.Pattern[str] | None) -> None:
        self._pattern = pattern
        self._done: dict[str, str] = {}

    def hide(self, value: Any) -> Any:
        if isinstance(value, str):
            done = self._done.get(value)
            if done is None:
                done = self._done[value] = self._text(value)
            return done
        if isinstance(value, Mapping):
            return {k: MASK if k in PERSONAL_KEYS and value[k] not in (None, "", [], {}) else self.hide(value[k])
                    for k in value}
        if isinstance(value, (list, tuple)):
            return [self.hide(v) for v in value]
        return value

    def _text(self, value: str) -> str:
        if value[:1] in "{[":
            try:
                return json.dumps(self.hide(json.loads(value)), ensure_ascii=False)
            except ValueError:
                pass
        text = mask(value)
        return self._pattern.sub(MASK, text) if self._pattern else text
