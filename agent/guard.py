"""The guard in front of the model: swearing and "are you a bot?" are answered without an LLM call; attempts to
steer the model are screened out by agent/injection.py."""

from __future__ import annotations

import re
import unicodedata

# Swearing at the assistant, by word roots (Ukrainian, Russian, surzhyk); answered calmly, never by the model.
_ABUSE = re.compile(
    r"(?<!\w)(ху[йяєеї]|пизд|п[іи]зд|бля(?:\b|д|т)|сук[аи]\b|[єеі]бан|[єеі]б[аи]т|мудак|п[іи]д[оа]р|довб[оа]йоб"
    r"|дебіл|идиот|ідіот)\w*",
    re.IGNORECASE,
)


# "Ти бот?" — asked in any of the usual ways; the answer is always the honest one, never left to the model.
_ARE_YOU_A_BOT = re.compile(
    r"(?<!\w)(ти|ты|ви|вы|це|это|я\s+(говорю|спілкуюсь|пишу)\s+з)\s+(бот|робот|чат-?бот|штучн\w*|ші|ии|ai)(?!\w)",
    re.IGNORECASE,
)


def asks_if_bot(text: str) -> bool:
    return bool(_ARE_YOU_A_BOT.search(text))


def is_abuse(text: str) -> bool:
    return bool(_ABUSE.search(text))


def clean(text: str) -> str:
    """Drop control and format characters (keeping line breaks and tabs) before the model reads the text.
    The text is never HTML-escaped here: the model must read what the customer wrote."""
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")

