"""The output check: what a customer reads must be backed by this turn's tool results and the shop's own data.

Every number with a unit in a reply is a claim — money in any currency or in words, a percentage, "півціни", a
discount, a duration ("14 днів", "2-3 дні"), a measure ("128 см") — and each must be stated by a tool result of
this turn (whatever the tool), the dialog's own facts or the shop's settings. A payment detail (IBAN, card number,
phone) must be the shop's own or one a tool read back (the customer's phone). No run of PROMPT_NGRAM words of the
instructions may appear. A reply in another language than the shop's fails too. The caller regenerates once and
then shows the shop's honest fallback text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

PROMPT_NGRAM = 8  # words in a row; a self-introduction shares 7 with the first line of the instructions


class Kind(StrEnum):
    MONEY = "money"
    PERCENT = "percent"
    DURATION = "duration"
    MEASURE = "measure"  # cm, kg, a child's age: the customer may state these themselves
    DISCOUNT = "discount"  # "знижка" with no number, "півціни": backed only when a tool spoke of a discount


class Problem(StrEnum):
    AMOUNT = "amount"
    REQUISITES = "requisites"
    PROMPT = "prompt"
    LANGUAGE = "language"


_NUMBER = r"\d{1,3}(?:[ \u00a0]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
_UNITS = {
    Kind.MONEY: r"грн\.?|гривн\w*|гривен\w*|гривень|₴|uah|hryvn\w*|hrn|\$|usd|dollars?|долар\w*|доллар\w*|€|eur\w*"
                r"|євро|евро|руб\w*|₽|pln|zł|злот\w*",
    Kind.PERCENT: r"%|відсот\w*|процент\w*|percent\w*",
    Kind.DURATION: r"дн[іяе]\w*|день|днів|діб|доб[аи]|сут\w*|тиж\w*|недел\w*|неділ\w*|місяц\w*|месяц\w*|годин\w*|год"
                   r"|час\w*|хв\w*|хвилин\w*|минут\w*|days?|weeks?|months?|hours?|minutes?|h\b",
    Kind.MEASURE: r"см|cm|сантиметр\w*|мм|mm|кг|kg|рок\w*|лет|years?",
}
# "10 робочих днів", "3 календарні дні", "2 повних тижні": a word between the number and its unit.
_QUALIFIER = (r"(?:робоч\w*|рабоч\w*|календарн\w*|повн\w*|полн\w*|банківськ\w*|банковск\w*|working|business"
              r"|calendar|full)")
_CLAIM = re.compile(
    rf"(?<![\w.,])(?P<a>{_NUMBER})(?:\s*[-–—]\s*(?P<b>{_NUMBER}))?\s*[(\[]?\s*(?:{_QUALIFIER}\s+)?(?P<unit>"
    + "|".join(f"(?P<{k.value}>{u})" for k, u in _UNITS.items()) + r")(?!\w)", re.IGNORECASE)
_CURRENCY_FIRST = re.compile(rf"(?:₴|\$|€|uah|usd|eur)\s?(?P<a>{_NUMBER})", re.IGNORECASE)
_NUMBER_WORD = (r"(?:од[иі]н\w*|одна|дв[аіе]\w*|три\w*|чотир\w*|четыр\w*|п'?ят\w*|шіст\w*|шест\w*|сім\w*|сем\w*"
                r"|вісім\w*|восем\w*|дев'?ят\w*|десят\w*|сорок\w*|сто|сотн\w*|\w+сот\w*|тисяч\w*|тысяч\w*"
                r"|one|two|three|four|five|six|seven|eight|nine|ten|\w+ty|hundred|thousand)")
_IN_WORDS = re.compile(
    rf"(?<!\w){_NUMBER_WORD}(?:\s+{_NUMBER_WORD})*\s+(?:{_UNITS[Kind.MONEY]}|{_UNITS[Kind.PERCENT]})", re.IGNORECASE)
_HALF = re.compile(r"пів\s?ціни|півціни|пол\s?цены|половин\w* (ціни|вартості|цены|стоимости)|half[- ]price|half off",
                   re.IGNORECASE)
_DISCOUNT = re.compile(r"знижк\w*|скидк\w*|discount\w*|промокод\w*|promo\w*|акці[яйї]\w*|акци[яи]\w*", re.IGNORECASE)
_NEGATION = re.compile(r"(?<!\w)(не|нема\w*|нет|no|not)(?!\w)", re.IGNORECASE)
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?:[ ]?[A-Za-z0-9]){11,30}(?![A-Za-z0-9])")
# A card number whole, masked ("4149 60** **** 5678") or begun ("4149…"); "карткою 1850 грн" is not one.
_CARD = re.compile(r"(?<!\d)\d(?:[ \-]?\d){12,18}(?!\d)|(?<!\d)\d{4}(?:[ \-]?[\d*•x]{4}){3}(?!\d)"
                   r"|(?<![\d.,])\d{4}(?:[ \-]?\d{2,4})?\s?(?:…|\.{3})")
_PHONE = re.compile(r"(?<![\d+])(?:\+?\s?38\s?)?\(?0[\s\-]?\(?\d{2}\)?[\s\-]?\d{3}[\s\-]?\d{2}[\s\-]?\d{2}(?!\d)")
_WORD = re.compile(r"[\w']+")
_BARE = re.compile(rf"\s*(?:{_NUMBER})(?:\s*[-–]\s*(?:{_NUMBER}))?\s*")


@dataclass(frozen=True)
class Claim:
    kind: Kind
    values: tuple[Decimal, ...]  # empty: an amount in words, never a tool's


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(re.sub(r"[\s\u00a0]", "", text).replace(",", ".")).normalize()
    except InvalidOperation:
        return None


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _without_requisites(text: str) -> str:
    for pattern in (_IBAN, _CARD, _PHONE):
        text = pattern.sub(" ", text)
    return text


def claims(text: str) -> list[Claim]:
    """Every number-with-unit, amount in words, "півціни" and unqualified discount in `text`."""
    text = _without_requisites(text)
    found = []
    for match in _CLAIM.finditer(text):
        kind = next(k for k in Kind if k in _UNITS and match.group(k.value))
        values = tuple(v for v in (_decimal(match["a"]), _decimal(match["b"] or "")) if v is not None)
        found.append(Claim(kind, values))
    found += [Claim(Kind.MONEY, (v,)) for m in _CURRENCY_FIRST.finditer(text) if (v := _decimal(m["a"]))]
    found += [Claim(Kind.MONEY, ()) for _ in _IN_WORDS.finditer(text)]
    found += [Claim(Kind.PERCENT, (Decimal(50),)) for _ in _HALF.finditer(text)]
    for sentence in re.split(r"(?<=[.!?\n])", text):
        if _DISCOUNT.search(sentence) and not _NEGATION.search(sentence):
            found.append(Claim(Kind.DISCOUNT, ()))
    return found


@dataclass
class Backing:
    """What this turn's tools, the dialog and the shop stated. A number without a unit (a price field "1850", a
    size "122-128") backs money and measures; durations and percentages need their unit said."""

    stated: dict[Kind, set[Decimal]] = field(default_factory=lambda: {k: set() for k in Kind})
    bare: set[Decimal] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)
    discount: bool = False

    def add(self, value: Any) -> Backing:
        """Add a tool result (any JSON-like value) or a text of the shop's. A value that is only a number or a
        range ("1850", 12, "122-128") is bare; inside free text only numbers with their unit count."""
        for text in _leaves(value):
            for claim in claims(text):
                self.stated[claim.kind].update(claim.values)
                self.discount |= claim.kind in (Kind.DISCOUNT, Kind.PERCENT)
            if _BARE.fullmatch(text):
                self.bare.update(v for n in re.findall(_NUMBER, text) if (v := _decimal(n)) is not None)
            self.phones.update(_digits(p)[-9:] for p in _PHONE.findall(text))
        return self

    def add_amounts(self, values: Iterable[Decimal | str]) -> Backing:
        self.stated[Kind.MONEY].update(v for a in values if (v := _decimal(str(a))) is not None)
        return self

    def add_customer_words(self, text: str) -> Backing:
        """What the customer said backs only measures (their child's height, age) and phones (their own, read back
        to them): never money, discounts or requisites."""
        self.phones.update(_digits(p)[-9:] for p in _PHONE.findall(text))
        self.stated[Kind.MEASURE].update(v for c in claims(text) if c.kind is Kind.MEASURE for v in c.values)
        numbers = re.findall(_NUMBER, _without_requisites(text))
        self.stated[Kind.MEASURE].update(v for n in numbers if (v := _decimal(n)) is not None)
        return self

    def backs(self, claim: Claim) -> bool:
        if claim.kind is Kind.DISCOUNT:
            return self.discount
        if not claim.values:
            return False
        known = self.stated[claim.kind] | (self.bare if claim.kind in (Kind.MONEY, Kind.MEASURE) else set())
        return all(v in known for v in claim.values)


class OutputCheck:
    """The shop's rules for any text a customer reads. `own` is the shop's own text holding its IBAN, card and
    phone (the payment requisites); `prompts` are the instructions the models get; `language` is the shop's
    reply language (ISO 639-1; "uk" is checked, others are not); `public` are the shop's own texts for customers."""

    def __init__(self, own: str, prompts: Iterable[str], language: str = "uk", public: Iterable[str] = ()) -> None:
        self._own_ids = {re.sub(r"\s", "", m).upper() for p in (_IBAN, _CARD) for m in p.findall(own)}
        self._own_phones = {_digits(p)[-9:] for p in _PHONE.findall(own)}
        self._grams: set[tuple[str, ...]] = set()
        self._public = {gram for text in public for gram in _ngrams(text)}
        self._language = language
        self.learn_prompts(prompts)

    def learn_prompts(self, prompts: Iterable[str]) -> None:
        """Add instructions whose lines must never be shown (words the shop itself says to customers may)."""
        for prompt in prompts:
            self._grams |= _ngrams(prompt) - self._public

    def problems(self, bubbles: Iterable[str], backing: Backing) -> list[Problem]:
        """What is wrong with these bubbles, most serious first; empty when they may be sent."""
        text = "\n".join(bubbles)
        found = []
        if _ngrams(text) & self._grams:
            found.append(Problem.PROMPT)
        ids = {re.sub(r"\s", "", m).upper() for p in (_IBAN, _CARD) for m in p.findall(text)}
        phones = {_digits(p)[-9:] for p in _PHONE.findall(text)}
        if ids - self._own_ids or phones - self._own_phones - backing.phones:
            found.append(Problem.REQUISITES)
        if any(not backing.backs(c) for c in claims(text)):
            found.append(Problem.AMOUNT)
        if self._language == "uk" and not _reads_ukrainian(text):
            found.append(Problem.LANGUAGE)
        return found

    def unbacked(self, bubbles: Iterable[str], backing: Backing) -> list[Claim]:
        return [c for b in bubbles for c in claims(b) if not backing.backs(c)]


def _leaves(value: Any) -> Iterable[str]:
    """Every key and scalar of a JSON-like value, as text."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _leaves(item)
    elif isinstance(value, (list, tuple, set)):
        for item in value:
            yield from _leaves(item)
    elif value is not None:
        yield str(value)


def _ngrams(text: str) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.lower().replace("’", "'"))
    return {tuple(words[i:i + PROMPT_NGRAM]) for i in range(len(words) - PROMPT_NGRAM + 1)}


def _reads_ukrainian(text: str) -> bool:
    """Ukrainian, or too little text to tell: not mostly Latin letters, and not Russian (ы э ъ ё without і ї є ґ)."""
    cyrillic = len(re.findall(r"[а-яёіїєґ]", text, re.IGNORECASE))
    latin = len(re.findall(r"[a-z]", text, re.IGNORECASE))
    if cyrillic + latin < 20:
        return True
    if latin > cyrillic:
        return False
    russian = len(re.findall(r"[ыэъё]", text, re.IGNORECASE))
    ukrainian = len(re.findall(r"[іїєґ]", text, re.IGNORECASE))
    return not (russian >= 2 and russian > ukrainian)
