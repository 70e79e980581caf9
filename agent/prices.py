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

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from agent.claims import NUMBER, TOPIC, Claim, Kind, claims, decimal_of
from agent.language import reads_ukrainian
from agent.requisites import ids, links, phones, without_requisites

PROMPT_NGRAM = 8  # words in a row; a self-introduction shares 7 with the first line of the instructions


class Problem(StrEnum):
    AMOUNT = "amount"
    REQUISITES = "requisites"
    PROMPT = "prompt"
    LANGUAGE = "language"


_WORD = re.compile(r"[\w']+")
_BARE = re.compile(rf"\s*(?:{NUMBER})(?:\s*[-–]\s*(?:{NUMBER}))?\s*")
# Keys whose bare numbers are amounts of money: a size, a height, a stock count or an id never backs money.
_MONEY_KEY = re.compile(r"price|total|amount|prepay|sum|cost|fee|paid|ціна|сума|вартість", re.IGNORECASE)


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
                topic = claim.topic or ((m := TOPIC.search(key)) and m.lastgroup)
                if claim.kind is Kind.DURATION and topic:
                    self.topics.setdefault(topic, set()).update(claim.values)
                if claim.kind in (Kind.DISCOUNT, Kind.FREE):  # a fee's "2%" speaks of no discount
                    self.said.add(claim.kind)
            if _BARE.fullmatch(text):
                numbers = {v for n in re.findall(NUMBER, text) if (v := decimal_of(n)) is not None}
                self.bare |= numbers
                if _MONEY_KEY.search(key):
                    self.bare_money |= numbers
            self.phones |= phones(text)
            self.links |= links(text)
        return self

    def add_amounts(self, values: Iterable[Decimal | str]) -> Backing:
        self.stated[Kind.MONEY].update(v for a in values if (v := decimal_of(str(a))) is not None)
        return self

    def add_customer_words(self, text: str) -> Backing:
        """What the customer said backs only measures (their child's height, age) and phones (their own, read back
        to them): never money, discounts or requisites."""
        said_phones, measures = _customer_backing(text)
        self.phones |= said_phones
        self.stated[Kind.MEASURE] |= measures
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


@functools.lru_cache(maxsize=4096)
def _customer_backing(text: str) -> tuple[frozenset[str], frozenset[Decimal]]:
    """The phones and the measures in a customer's message. Cached: every turn reads the dialog's earlier messages
    again (0.4 ms for nine of them)."""
    measures = {v for c in claims(text) if c.kind is Kind.MEASURE for v in c.values}
    measures |= {v for n in re.findall(NUMBER, without_requisites(text)) if (v := decimal_of(n)) is not None}
    return frozenset(phones(text)), frozenset(measures)


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


