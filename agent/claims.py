"""What a reply claims: every number with a unit — money in any currency, in words, in thousands ("1,2 тис. грн") or
without its unit where only money is meant ("коштує 500"), a percentage, "півціни", a discount, "безкоштовно", a
duration ("14 днів", "двох тижнів") with its topic (returns, delivery), a time of day ("до 18:00"), a measure
("128 см"). The output check (agent.prices) asks each to be backed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from agent.requisites import without_requisites


class Kind(StrEnum):
    MONEY = "money"
    PERCENT = "percent"
    DURATION = "duration"
    MEASURE = "measure"  # cm, kg, a child's age: the customer may state these themselves
    DISCOUNT = "discount"  # "знижка" with no number, "півціни": backed only when a tool spoke of a discount
    FREE = "free"  # "безкоштовна доставка": backed only when a tool or the shop said "безкоштовн..."
    TIME = "time"  # a time of day "до 18:00", as hhmm


NUMBER = r"\d{1,3}(?:[ \u00a0]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
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
    rf"(?<![\w.,])(?P<a>{NUMBER})(?:\s*[-–—]\s*(?P<b>{NUMBER}))?\s*(?:{_MULTIPLIER}\s*)?[(\[]?\s*"
    rf"(?:{_QUALIFIER}\s+)?(?P<unit>" + "|".join(f"(?P<{k.value}>{u})" for k, u in _UNITS.items()) + r")(?!\w)",
    re.IGNORECASE)
# "коштує 500", "ціна 500", "за 500,": an amount without its unit where only money can be meant.
_PRICED = re.compile(rf"(?:(?:кошту\w*|ціна|ціну|ціною|вартість\w*|цена|стоит|стоимость)\s+(?:\w+\s+)??"
                     rf"(?P<a>{NUMBER})(?![\d:]))|(?:(?<!\w)за\s+(?P<b>{NUMBER})(?![\w:]|\s*[-–]?\s*\w))",
                     re.IGNORECASE)
_CURRENCY_FIRST = re.compile(rf"(?:₴|\$|€|uah|usd|eur)\s?(?P<a>{NUMBER})", re.IGNORECASE)
NUMBER_WORD = (r"(?:од[иі]н\w*|одна|дв[аіео]\w*|три\w*|трь\w*|чотир\w*|четыр\w*|п'?ят\w*|шіст\w*|шест\w*|сім\w*|сем\w*"
                r"|вісім\w*|восем\w*|дев'?ят\w*|десят\w*|сорок\w*|сто|сотн\w*|\w+сот\w*|тисяч\w*|тысяч\w*"
                r"|one|two|three|four|five|six|seven|eight|nine|ten|\w+ty|hundred|thousand)")
_DURATION_WORDS = re.compile(
    rf"(?<!\w)(?P<w>{NUMBER_WORD}(?:\s+{NUMBER_WORD})*)\s+(?:{_QUALIFIER}\s+)?(?:{_UNITS[Kind.DURATION]})(?!\w)"
    r"|(?<!\w)(?:протягом|впродовж|за|через|на)\s+(?P<m>місяц\w*|тиж(?:день|ня|ні)|добу|день)(?!\w)", re.IGNORECASE)
_SMALL = {"од": 1, "дв": 2, "тр": 3, "чо": 4, "че": 4, "п'": 5, "пя": 5, "пʼ": 5, "ші": 6, "ше": 6, "сі": 7,
          "се": 7, "ві": 8, "во": 8, "де": 9}  # the first letters of a number word up to nine ("дев'ять", not "десять")
_IN_WORDS = re.compile(
    rf"(?<!\w){NUMBER_WORD}(?:\s+{NUMBER_WORD})*\s+(?:{_UNITS[Kind.MONEY]}|{_UNITS[Kind.PERCENT]})", re.IGNORECASE)
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
TOPICS = {"return": r"поверн\w*|обмін\w*|обміня\w*|возврат\w*|обмен\w*|return\w*|exchange\w*|refund\w*",
           "delivery": r"достав\w*|відправ\w*|надійд\w*|доїд\w*|пошт\w*|отрима\w*|deliver\w*|ship\w*"}
TOPIC = re.compile("|".join(f"(?P<{k}>{v})" for k, v in TOPICS.items()), re.IGNORECASE)
@dataclass(frozen=True)
class Claim:
    kind: Kind
    values: tuple[Decimal, ...]  # empty: an amount in words, never a tool's
    topic: str | None = None  # a duration's: "return" or "delivery" when its clause names one


def decimal_of(text: str) -> Decimal | None:
    """"1 990,50" → Decimal("1990.5"); None for what is no number."""
    try:
        return Decimal(re.sub(r"[\s\u00a0]", "", text).replace(",", ".")).normalize()
    except InvalidOperation:
        return None


def _topic(text: str, start: int) -> str | None:
    """The topic of the clause around position `start`: the nearest topic word before it, else the first after."""
    left = re.split(r"[,;:.!?\n]", text[:start])[-1]
    right = re.split(r"[,;:.!?\n]", text[start:])[0]
    before = list(TOPIC.finditer(left))
    found = before[-1] if before else TOPIC.search(right)
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
        values = tuple(v * scale for v in (decimal_of(match["a"]), decimal_of(match["b"] or "")) if v is not None)
        found.append(Claim(kind, values, _topic(text, match.start()) if kind is Kind.DURATION else None))
    rest = _CLAIM.sub(" ", text)  # what a matched claim said is not said again without its unit
    found += [Claim(Kind.MONEY, (v,)) for m in _PRICED.finditer(rest) if (v := decimal_of(m["a"] or m["b"]))]
    found += [Claim(Kind.MONEY, (v,)) for m in _CURRENCY_FIRST.finditer(rest) if (v := decimal_of(m["a"]))]
    found += [Claim(Kind.MONEY, ()) for _ in _IN_WORDS.finditer(rest)]
    found += [Claim(Kind.DURATION, _word_value(m["w"]) if m["w"] else (Decimal(1),), _topic(rest, m.start()))
              for m in _DURATION_WORDS.finditer(rest)]
    found += [Claim(Kind.TIME, (Decimal(int(m["h"]) * 100 + int(m["m"])),)) for m in _TIME.finditer(rest)]
    found += [Claim(Kind.FREE, ()) for _ in _FREE.finditer(rest)]
    found += [Claim(Kind.PERCENT, (Decimal(50),)) for _ in _HALF.finditer(rest)]
    return found + _discounts(rest)
