"""The output check: what a customer reads must be backed by this turn's tool results and the shop's own data.

Every number with a unit in a reply is a claim — money in any currency, in words, in thousands ("1,2 тис. грн") or
without its unit where only money is meant ("коштує 500"), a percentage, "півціни", a discount, "безкоштовно", a
duration ("14 днів", "двох тижнів"), a time of day ("до 18:00"), a measure ("128 см") — and each must be stated by
a tool result of this turn, the dialog's own facts or the shop's settings; money only by price-like fields or
amounts with a money unit, a duration by one of its own topic (returns, delivery) when the turn named it. A payment
detail (IBAN, card number, phone, link, @handle; agent.requisites) must be the shop's own or one a tool read back.
No run of PROMPT_NGRAM words of the instructions may appear. A reply in another language than the shop's fails too
(agent.language). The caller regenerates once and then shows the shop's honest fallback text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from agent.language import reads_ukrainian
from agent.requisites import ids, links, phones, without_requisites

PROMPT_NGRAM = 8  # words in a row; a self-introduction shares 7 with the first line of the instructions


class Kind(StrEnum):
    MONEY = "money"
    PERCENT = "percent"
    DURATION = "duration"
    MEASURE = "measure"  # cm, kg, a child's age: the customer may state these themselves
    DISCOUNT = "discount"  # "знижка" with no number, "півціни": backed only when a tool spoke of a discount
    FREE = "free"  # "безкоштовна доставка": backed only when a tool or the shop said "безкоштовн..."
    TIME = "time"  # a time of day "до 18:00", as hhmm


class Problem(StrEnum):
    AMOUNT = "amount"
    REQUISITES = "requisites"
    PROMPT = "prompt"
    LANGUAGE = "language"


_NUMBER = r"\d{1,3}(?:[ \u00a0]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
_UNITS = {
    Kind.MONEY: r"грн\.?|гр\.?(?!\w)|гривн\w*|гривен\w*|гривень|₴|uah|hryvn\w*|hrn|\$|usd|dollars?|долар\w*"
                r"|доллар\w*|€|eur\w*|євро|евро|руб\w*|₽|pln|zł|злот\w*",
    Kind.PERCENT: r"%|відсот\w*|процент\w*|проц\.?|percent\w*",
    Kind.DURATION: r"дн[іяе]\w*|день|днів|діб|доб[аи]|сут\w*|тиж\w*|недел\w*|неділ\w*|місяц\w*|месяц\w*|годин\w*|год"
                   r"|час\w*|хв\w*|хвилин\w*|минут\w*|days?|weeks?|months?|hours?|minutes?|h\b",
    Kind.MEASURE: r"см|cm|сантиметр\w*|мм|mm|кг|kg|рок\w*|лет|years?",
}
# "10 робочих днів", "3 календарні дні", "2 повних тижні": a word between the number and its unit.
_QUALIFIER = (r"(?:робоч\w*|рабоч\w*|календарн\w*|повн\w*|полн\w*|банківськ\w*|банковск\w*|working|business"
              r"|calendar|full)")
_MULTIPLIER = r"(?P<k>тис\.?|тисяч\w*|тыс\.?|тысяч\w*|к|k)"  # "1,2 тис. грн", "2к грн", "2 тисячі гривень"
_CLAIM = re.compile(
    rf"(?<![\w.,])(?P<a>{_NUMBER})(?:\s*[-–—]\s*(?P<b>{_NUMBER}))?\s*(?:{_MULTIPLIER}\s*)?[(\[]?\s*"
    rf"(?:{_QUALIFIER}\s+)?(?P<unit>" + "|".join(f"(?P<{k.value}>{u})" for k, u in _UNITS.items()) + r")(?!\w)",
    re.IGNORECASE)
# "коштує 500", "ціна 500", "за 500,": an amount without its unit where only money can be meant.
_PRICED = re.compile(rf"(?:(?:кошту\w*|ціна|ціну|ціною|вартість\w*|цена|стоит|стоимость)\s+(?:\w+\s+)??"
                     rf"(?P<a>{_NUMBER})(?![\d:]))|(?:(?<!\w)за\s+(?P<b>{_NUMBER})(?![\w:]|\s*[-–]?\s*\w))",
                     re.IGNORECASE)
_CURRENCY_FIRST = re.compile(rf"(?:₴|\$|€|uah|usd|eur)\s?(?P<a>{_NUMBER})", re.IGNORECASE)
_NUMBER_WORD = (r"(?:од[иі]н\w*|одна|дв[аіео]\w*|три\w*|трь\w*|чотир\w*|четыр\w*|п'?ят\w*|шіст\w*|шест\w*|сім\w*|сем\w*"
                r"|вісім\w*|восем\w*|дев'?ят\w*|десят\w*|сорок\w*|сто|сотн\w*|\w+сот\w*|тисяч\w*|тысяч\w*"
                r"|one|two|three|four|five|six|seven|eight|nine|ten|\w+ty|hundred|thousand)")
_DURATION_WORDS = re.compile(
    rf"(?<!\w)(?P<w>{_NUMBER_WORD}(?:\s+{_NUMBER_WORD})*)\s+(?:{_QUALIFIER}\s+)?(?:{_UNITS[Kind.DURATION]})(?!\w)"
    r"|(?<!\w)(?:протягом|впродовж|за|через|на)\s+(?P<m>місяц\w*|тиж(?:день|ня|ні)|добу|день)(?!\w)", re.IGNORECASE)
_SMALL = {"од": 1, "дв": 2, "тр": 3, "чо": 4, "че": 4, "п'": 5, "пя": 5, "пʼ": 5, "ші": 6, "ше": 6, "сі": 7,
          "се": 7, "ві": 8, "во": 8, "де": 9}  # the first letters of a number word up to nine ("дев'ять", not "десять")
_IN_WORDS = re.compile(
    rf"(?<!\w){_NUMBER_WORD}(?:\s+{_NUMBER_WORD})*\s+(?:{_UNITS[Kind.MONEY]}|{_UNITS[Kind.PERCENT]})", re.IGNORECASE)
_HALF = re.compile(r"пів\s?ціни|півціни|пол\s?цены|половин\w* (ціни|вартості|цены|стоимости)|half[- ]price|half off",
                   re.IGNORECASE)
_DISCOUNT = re.compile(r"знижк\w*|скидк\w*|discount\w*|промокод\w*|promo\w*|акці[яйї]\w*|акци[яи]\w*", re.IGNORECASE)
# A negation governs the discount word: "без знижки", "не діє знижка", "знижок зараз немає" — not any "не" nearby.
_NEGATED_BEFORE = re.compile(r"(?<!\w)(?:не|без|нема\w*|нет|ні|жодн\w*|никак\w*|no|not|without)\s+"
                             r"(?:(?:\w+\s+)?|\w+\s+(?:\w+,\s*)+)$", re.IGNORECASE)  # "не вигадуй ціну, знижку"
_NEGATED_AFTER = re.compile(r"^\s+(?:\w+\s+){0,2}?(?:не|немає|нема\w*|нет|відсутн\w*)(?!\w)", re.IGNORECASE)
_FREE = re.compile(r"безкоштовн\w*|безплатн\w*|бесплатн\w*|free(?!\w)", re.IGNORECASE)
_TIME = re.compile(r"(?<![\d:.,])(?P<h>[01]?\d|2[0-3]):(?P<m>[0-5]\d)(?![\d:])")
# A duration belongs to the topic named nearest before it in its clause (else after): returns and delivery
# periods back only their own topic's claims.
_TOPICS = {"return": r"поверн\w*|обмін\w*|обміня\w*|возврат\w*|обмен\w*|return\w*|exchange\w*|refund\w*",
           "delivery": r"достав\w*|відправ\w*|надійд\w*|доїд\w*|пошт\w*|отрима\w*|deliver\w*|ship\w*"}
_TOPIC = re.compile("|".join(f"(?P<{k}>{v})" for k, v in _TOPICS.items()), re.IGNORECASE)
_WORD = re.compile(r"[\w']+")
_BARE = re.compile(rf"\s*(?:{_NUMBER})(?:\s*[-–]\s*(?:{_NUMBER}))?\s*")
# Keys whose bare numbers are amounts of money: a size, a height, a stock count or an id never backs money.
_MONEY_KEY = re.compile(r"price|total|amount|prepay|sum|cost|fee|paid|ціна|сума|вартість", re.IGNORECASE)


@dataclass(frozen=True)
class Claim:
    kind: Kind
    values: tuple[Decimal, ...]  # empty: an amount in words, never a tool's
    topic: str | None = None  # a duration's: "return" or "delivery" when its clause names one


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(re.sub(r"[\s\u00a0]", "", text).replace(",", ".")).normalize()
    except InvalidOperation:
        return None


def _topic(text: str, start: int) -> str | None:
    """The topic of the clause around position `start`: the nearest topic word before it, else the first after."""
    left = re.split(r"[,;:.!?\n]", text[:start])[-1]
    right = re.split(r"[,;:.!?\n]", text[start:])[0]
    before = list(_TOPIC.finditer(left))
    found = before[-1] if before else _TOPIC.search(right)
    return found.lastgroup if found else None


def _word_value(words: str) -> tuple[Decimal, ...]:
    """A small number in words ("двох", "три") as (2,), (3,); () for bigger or compound ones."""
    parts = words.lower().replace("’", "'").split()
    if len(parts) != 1 or parts[0].startswith("десят") or parts[0][:2] not in _SMALL:
        return ()
    return (Decimal(_SMALL[parts[0][:2]]),)


def _discounts(text: str) -> list[Claim]:
    """A discount word not governed by a negation ("знижок немає", "без знижки") is a claim."""
    return [Claim(Kind.DISCOUNT, ()) for m in _DISCOUNT.finditer(text)
            if not _NEGATED_BEFORE.search(text[:m.start()]) and not _NEGATED_AFTER.match(text[m.end():])]


def claims(text: str) -> list[Claim]:
    """Every number-with-unit (also "1,2 тис. грн"), amount in words or without its unit where only money is meant
    ("коштує 500"), period in words ("двох тижнів"), time of day, "безкоштовно", "півціни" and discount in `text`."""
    text = without_requisites(text)
    found = []
    for match in _CLAIM.finditer(text):
        kind = next(k for k in Kind if k in _UNITS and match.group(k.value))
        scale = 1000 if match["k"] else 1
        values = tuple(v * scale for v in (_decimal(match["a"]), _decimal(match["b"] or "")) if v is not None)
        found.append(Claim(kind, values, _topic(text, match.start()) if kind is Kind.DURATION else None))
    rest = _CLAIM.sub(" ", text)  # what a matched claim said is not said again without its unit
    found += [Claim(Kind.MONEY, (v,)) for m in _PRICED.finditer(rest) if (v := _decimal(m["a"] or m["b"]))]
    found += [Claim(Kind.MONEY, (v,)) for m in _CURRENCY_FIRST.finditer(rest) if (v := _decimal(m["a"]))]
    found += [Claim(Kind.MONEY, ()) for _ in _IN_WORDS.finditer(rest)]
    found += [Claim(Kind.DURATION, _word_value(m["w"]) if m["w"] else (Decimal(1),), _topic(rest, m.start()))
              for m in _DURATION_WORDS.finditer(rest)]
    found += [Claim(Kind.TIME, (Decimal(int(m["h"]) * 100 + int(m["m"])),)) for m in _TIME.finditer(rest)]
    found += [Claim(Kind.FREE, ()) for _ in _FREE.finditer(rest)]
    found += [Claim(Kind.PERCENT, (Decimal(50),)) for _ in _HALF.finditer(rest)]
    return found + _discounts(rest)


@dataclass
class Backing:
    """What this turn's tools, the dialog and the shop stated. A number without a unit backs money only under a
    price-like key ("price": "1850", "total", "prepayment"...) and measures under any key (a size "122-128");
    durations, percentages, times need their unit said; a duration said of returns or delivery backs only that."""

    stated: dict[Kind, set[Decimal]] = field(default_factory=lambda: {k: set() for k in Kind})
    topics: dict[str, set[Decimal]] = field(default_factory=dict)  # durations by topic ("return", "delivery")
    bare: set[Decimal] = field(default_factory=set)
    bare_money: set[Decimal] = field(default_factory=set)
    said: set[Kind] = field(default_factory=set)  # DISCOUNT, FREE: spoken of without a number
    phones: set[str] = field(default_factory=set)
    links: set[str] = field(default_factory=set)

    def add(self, value: Any) -> Backing:
        """Add a tool result (any JSON-like value) or a text of the shop's. A value that is only a number or a
        range ("1850", 12, "122-128") is bare; inside free text only numbers with their unit count."""
        for text, key in _leaves(value):
            for claim in claims(text):
                self.stated[claim.kind].update(claim.values)
                topic = claim.topic or ((m := _TOPIC.search(key)) and m.lastgroup)
                if claim.kind is Kind.DURATION and topic:
                    self.topics.setdefault(topic, set()).update(claim.values)
                if claim.kind in (Kind.DISCOUNT, Kind.FREE):  # a fee's "2%" speaks of no discount
                    self.said.add(claim.kind)
            if _BARE.fullmatch(text):
                numbers = {v for n in re.findall(_NUMBER, text) if (v := _decimal(n)) is not None}
                self.bare |= numbers
                if _MONEY_KEY.search(key):
                    self.bare_money |= numbers
            self.phones |= phones(text)
            self.links |= links(text)
        return self

    def add_amounts(self, values: Iterable[Decimal | str]) -> Backing:
        self.stated[Kind.MONEY].update(v for a in values if (v := _decimal(str(a))) is not None)
        return self

    def add_customer_words(self, text: str) -> Backing:
        """What the customer said backs only measures (their child's height, age) and phones (their own, read back
        to them): never money, discounts or requisites."""
        self.phones |= phones(text)
        self.stated[Kind.MEASURE].update(v for c in claims(text) if c.kind is Kind.MEASURE for v in c.values)
        numbers = re.findall(_NUMBER, without_requisites(text))
        self.stated[Kind.MEASURE].update(v for n in numbers if (v := _decimal(n)) is not None)
        return self

    def backs(self, claim: Claim) -> bool:
        if claim.kind in (Kind.DISCOUNT, Kind.FREE):
            return claim.kind in self.said
        if not claim.values:
            return False
        known = self.stated[claim.kind] | {Kind.MONEY: self.bare_money, Kind.MEASURE: self.bare}.get(claim.kind, set())
        if claim.kind is Kind.DURATION and claim.topic in self.topics:
            known = self.topics[claim.topic]
        return all(v in known for v in claim.values)


class OutputCheck:
    """The shop's rules for any text a customer reads. `own` is the shop's own text holding its IBAN, card and
    phone (the payment requisites); `prompts` are the instructions the models get; `language` is the shop's
    reply language (ISO 639-1; "uk" is checked, others are not); `public` are the shop's own texts for customers
    (their links and handles may be shown)."""

    def __init__(self, own: str, prompts: Iterable[str], language: str = "uk", public: Iterable[str] = ()) -> None:
        public = list(public)
        self._own_ids = ids(own)
        self._own_phones = phones(own)
        self._own_links = {link for text in (own, *public) for link in links(text)}
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
        if (ids(text) - self._own_ids or phones(text) - self._own_phones - backing.phones
                or links(text) - self._own_links - backing.links):
            found.append(Problem.REQUISITES)
        if any(not backing.backs(c) for c in claims(text)):
            found.append(Problem.AMOUNT)
        if self._language == "uk" and not reads_ukrainian(without_requisites(text)):
            found.append(Problem.LANGUAGE)
        return found

    def unbacked(self, bubbles: Iterable[str], backing: Backing) -> list[Claim]:
        return [c for b in bubbles for c in claims(b) if not backing.backs(c)]


def _leaves(value: Any, key: str = "") -> Iterable[tuple[str, str]]:
    """Every key and scalar of a JSON-like value, as text, each with the keys it sits under ("products price")."""
    if isinstance(value, dict):
        for name, item in value.items():
            yield str(name), ""  # a key (a size under "price_by_size") is never an amount
            yield from _leaves(item, f"{key} {name}")
    elif isinstance(value, (list, tuple, set)):
        for item in value:
            yield from _leaves(item, key)
    elif value is not None:
        yield str(value), key


def _ngrams(text: str) -> set[tuple[str, ...]]:
    words = _WORD.findall(text.lower().replace("’", "'"))
    return {tuple(words[i:i + PROMPT_NGRAM]) for i in range(len(words) - PROMPT_NGRAM + 1)}


