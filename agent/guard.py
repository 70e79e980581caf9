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


def clean(text: str) -> str:
    """Drop control and format characters (keeping line breaks and tabs) before the model reads the text.
    The text is never HTML-escaped here: the model must read what the customer wrote."""
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")


def is_injection(text: str) -> bool:
    return bool(_INJECTION.search(text))
