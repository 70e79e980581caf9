"""Payment details in a text: IBANs, card numbers, phones (Ukrainian or any other country's), links and Telegram
handles. The output check lets a customer read only the shop's own ones or those a tool read back.

A model hides a detail by writing it differently, so each is found in a plain form first: no-break spaces as spaces,
dots or " / " between four-digit groups as spaces, Cyrillic letters that look Latin as Latin ("UА21..." with a
Cyrillic А).
"""

from __future__ import annotations

import re

_LOOKALIKES = str.maketrans("АВЕКМНОРСТУХІаеорсухі", "ABEKMHOPCTYXIaeopcyxi")
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?:[ ]?[A-Za-z0-9]){11,30}(?![A-Za-z0-9])")
# A card number whole, masked ("4149 60** **** 5678") or begun ("4149…"); "карткою 1850 грн" is not one.
_CARD = re.compile(r"(?<!\d)\d(?:[ \-]?\d){12,18}(?!\d)|(?<!\d)\d{4}(?:[ \-]?[\d*•x]{4}){3}(?!\d)"
                   r"|(?<![\d.,])\d{4}(?:[ \-]?\d{2,4})?\s?(?:…|\.{3})")
_PHONE = re.compile(r"(?<![\d+])(?:\+?\s?38\s?)?\(?0[\s\-]?\(?\d{2}\)?[\s\-]?\d{3}[\s\-]?\d{2}[\s\-]?\d{2}(?!\d)"
                    r"|\+\s?(?!38\s?0)\d(?:[\s\-()]{0,2}\d){7,13}(?!\d)")  # any other country's number too
_LINK = re.compile(r"(?:https?://|www\.)\S+|(?<![\w@.])(?:[a-z0-9-]+\.)+(?:ua|com|me|net|org|io|link|ly|app|shop|pay)"
                   r"(?:/\S*)?(?![\w.])|(?<![\w@.])@[a-z][a-z0-9_]{3,31}(?!\w)", re.IGNORECASE)


def plain(text: str) -> str:
    """No-break spaces as spaces; "4149.6090" and "4149 / 6090" (digit groups of four) as "4149 6090"."""
    text = re.sub(r"[\u00a0\u202f\u2007]", " ", text)
    return re.sub(r"(?<=\d{4})(?:\.|\s*/\s*)(?=\d{4})", " ", text)


def ids(text: str) -> set[str]:
    """IBANs and card numbers in `text`, upper case without spaces ("UA213223130000026007233566991")."""
    found = plain(text).translate(_LOOKALIKES)
    return {re.sub(r"\s", "", m).upper() for p in (_IBAN, _CARD) for m in p.findall(found)}


def phones(text: str) -> set[str]:
    """Phone numbers in `text` as their last nine digits ("671234567"), whatever the country code."""
    return {re.sub(r"\D", "", p)[-9:] for p in _PHONE.findall(plain(text))}


def links(text: str) -> set[str]:
    """Links ("https://...", "send.monobank.ua/jar/...", "t.me/...") and @handles in `text`, lower case."""
    return {m.lower().rstrip(".,!?;:)»\"'") for m in _LINK.findall(text)}


def without_requisites(text: str) -> str:
    """`text` (made plain) with every payment detail blanked, so none of its digits reads as an amount."""
    text = plain(text)
    for pattern in (_IBAN, _CARD, _PHONE, _LINK):
        text = pattern.sub(" ", text)
    return text
