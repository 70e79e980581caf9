"""Which language a reply is in, as far as the output check needs it: Ukrainian or not.

Evidence, not a model: letters only one of the two languages has (Ukrainian і ї є ґ, Russian ы э ъ ё), common words
only Russian spells so ("конечно", "сейчас", "платье"), and Latin text with no Cyrillic at all.
"""

from __future__ import annotations

import re

_UKRAINIAN_LETTERS = re.compile(r"[іїєґ]", re.IGNORECASE)
_RUSSIAN_LETTERS = re.compile(r"[ыэъё]", re.IGNORECASE)
# Frequent Russian words whose Ukrainian spelling differs (а Ukrainian reply never has them).
_RUSSIAN_WORDS = re.compile(
    r"(?<!\w)(?:конечно|сейчас|платье|платья|платьице|ребен\w*|ребён\w*|девочк\w*|мальчик\w*|какой|какая|какие"
    r"|какого|который|которая|что|чтобы|это|этот|эта|эти|здравствуйте|спасибо|пожалуйста|хорошо|можно|нужно|нужен"
    r"|будет|есть|тоже|только|очень|если|когда|сколько|вашей|вашего|нашей|нашего|подбер\w*|подойд\w*|цена|цены"
    r"|рост|размеры|сегодня|или|нет|сделаем|скидк\w*|оплатить)(?!\w)",
    re.IGNORECASE)
_CYRILLIC = re.compile(r"[а-яёіїєґ]", re.IGNORECASE)
_LATIN = re.compile(r"[a-z]", re.IGNORECASE)
_LATIN_WORD = re.compile(r"(?<![\w-])[a-z]{2,}(?![\w-])", re.IGNORECASE)  # not "UA2130...", not "MIRT-ANNA"
MIN_LETTERS = 20  # fewer mixed letters cannot be told apart ("Ок 👍", "Anna — 1850 грн")
MIN_LATIN_ONLY = 6  # Latin letters with no Cyrillic at all: "Sure! What size?" is English, however short


def reads_ukrainian(text: str) -> bool:
    """True when `text` is Ukrainian or too little text to tell. False for mostly-Latin text (or any text with no
    Cyrillic whose Latin words have MIN_LATIN_ONLY letters) and for Russian: more Russian evidence (letters ы э ъ ё and
    Russian-only words) than Ukrainian (і ї є ґ), at least two pieces of it."""
    cyrillic = len(_CYRILLIC.findall(text))
    latin = len(_LATIN.findall(text))
    if cyrillic == 0:
        return len("".join(_LATIN_WORD.findall(text))) < MIN_LATIN_ONLY
    if cyrillic + latin < MIN_LETTERS:
        return True
    if latin > cyrillic:
        return False
    russian = len(_RUSSIAN_LETTERS.findall(text)) + len(_RUSSIAN_WORDS.findall(text))
    ukrainian = len(_UKRAINIAN_LETTERS.findall(text))
    return not (russian >= 2 and russian > ukrainian)
