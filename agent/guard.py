"""The guard in front of the model: prompt injection and runaway turn counts are answered without an LLM call."""

from __future__ import annotations

import re
import unicodedata

# Attempts to change the assistant's role or read its instructions, in Ukrainian, Russian and English.
_INJECTION = re.compile(
    r"ignore (all |the )?(previous|prior|above) instructions|system prompt|developer mode|\bDAN\b|jailbreak"
    r"|ти тепер|ты теперь|забудь (всі |все )?(попередні |предыдущие )?(інструкції|инструкции|правила)"
    r"|(покажи|виведи|розкажи|покажите|выведи)\s+(свої |свои |твої |твои )?(інструкції|инструкции|промпт|prompt)"
    r"|\"role\"\s*:\s*\"(system|developer|assistant)\"|<\|?(system|im_start)\|?>"
    r"|(admin|адмін|админ)\w*\s*(override|режим|mode|доступ)",
    re.IGNORECASE,
)


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


def is_injection(text: str) -> bool:
    return bool(_INJECTION.search(text))
