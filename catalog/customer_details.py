"""Delivery details from what customers type: phone, full name (ПІБ), city, Nova Poshta branch or parcel locker.

Each parser returns the clean value or raises `Rejected` with a reason the bot can say (`Texts.say`).
"""

from __future__ import annotations

import re
import unicodedata
from importlib import resources
from pathlib import Path

import yaml

from catalog.texts import Rejected, Text, Texts
from models.delivery import DeliveryPoint, PointKind

# Ukrainian mobile operator codes (the two digits after +380): Kyivstar, Vodafone, lifecell, 3Mob, Intertelecom…
MOBILE_CODES = frozenset({"39", "50", "63", "66", "67", "68", "73", "75", "77", "89", "91", "92", "93", "94", "95",
                          "96", "97", "98", "99"})
_PHONE_RUN = re.compile(r"\+?\d[\d\s().-]*\d|\+?\d")
_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "`": "'", "‘": "'"})
# Latin letters typed for the Cyrillic ones they look like (a mixed keyboard layout: "Iрина", "Бiла Церква").
_LOOKALIKES = str.maketrans("aceiopxyABCEHIKMOPTXYïÏ", "асеіорхуАВСЕНІКМОРТХУїЇ")
_CYRILLIC = re.compile(r"[а-яёіїєґ]", re.IGNORECASE)
_NAME_WORD = re.compile(r"[^\W\d_]+(?:['-][^\W\d_]+)*")
_LATIN = re.compile(r"[a-z]", re.IGNORECASE)
# Words for a relative that customers type instead of a surname ("Мама Ірина", "Бабуся Галя"); Nova Poshta needs
# the surname from the recipient's documents. Words that are also real surnames (Кум, Брат, Дід) are left out.
_KINSHIP = frozenset({
    "мама", "мамуся", "матуся", "мамочка", "мати", "тато", "татусь", "батько", "папа", "бабуся", "бабця",
    "бабуля", "бабушка", "дідусь", "дідо", "дедушка", "тітка", "тьотя", "тётя", "дядько", "дядя", "сестра",
    "сестричка", "братик", "донька", "доня", "дочка", "синок", "чоловік", "дружина", "жена", "муж", "хрещена",
    "хрещений", "свекруха", "свекор", "теща", "онука", "онучка", "онук", "невістка", "золовка",
})
# Letters Ukrainian lacks, and "-ск"/"-цкий" endings that Ukrainian writes "-ськ"/"-цький".
_RUSSIAN = re.compile(r"[ыэъё]|(?<!ь)[сц]к(?:ий|ая|ое)?\b", re.IGNORECASE)
_CITY_PREFIX = re.compile(r"^(?:(?:м|г|с|смт|пгт)\.\s*|(?:місто|город|село|смт|пгт|у|в)\s+)+", re.IGNORECASE)
_LOCKER = re.compile(r"п[оа]?[шч]т[оа]мат|postomat|parcel\s*locker", re.IGNORECASE)
_NUMBERED = re.compile(r"(?:№|#|номер|нп|н\.п\.|відділення|відділ|від\.|отделение|отд\.|поштомат|почтомат)\D{0,3}?"
                       r"(\d{1,5})\b", re.IGNORECASE)


def as_cyrillic(text: str) -> str:
    """Each word that has Cyrillic letters gets its Latin look-alikes read as the Cyrillic they look like
    ("Iрина" → "Ірина"); an all-Latin word ("Olena") is left as typed; digits of any script are ASCII. Every
    customer-details parser reads its input through this one mapping."""
    return re.sub(r"\S+", lambda m: m.group().translate(_LOOKALIKES) if _CYRILLIC.search(m.group()) else m.group(),
                  ascii_digits(text))


def ascii_digits(text: str | None) -> str:
    """Decimal digits of any script as ASCII: a full-width "７" (a CJK keyboard, a pasted number) → "7". Only
    digits: full NFKC would also turn "№" into "No"."""
    return re.sub(r"\d", lambda m: str(unicodedata.decimal(m.group())), text or "")


def _without_symbols(word: str) -> str:
    """An emoji or other symbol typed around a word ("Оксана😊", "❤️") taken off, as Unicode classes them (S*;
    joiners and variation selectors, Cf/Mn, that build emoji)."""
    def symbol(char: str) -> bool:
        category = unicodedata.category(char)
        return category[0] == "S" or category == "Cf" or "\ufe00" <= char <= "\ufe0f"

    start, end = 0, len(word)
    while start < end and symbol(word[start]):
        start += 1
    while end > start and symbol(word[end - 1]):
        end -= 1
    return word[start:end]


def _latin(text: str) -> dict[str, str] | None:
    """The first word with Latin letters and those letters, for a refusal the customer can act on."""
    for word in text.split():
        letters = _LATIN.findall(word)
        if letters:
            return {"word": word, "letters": ", ".join(dict.fromkeys(letters))}
    return None


def parse_phone(text: str) -> str:
    """`0951234567`, `+38 (095) 123-45-67`, `380951234567`, `95 123 45 67`, `8 095 …` → `+380951234567`."""
    runs = _PHONE_RUN.findall(ascii_digits(text))
    if not runs:
        raise Rejected(Text.PHONE_MISSING)
    run = max(runs, key=lambda r: len(re.sub(r"\D", "", r)))
    digits = re.sub(r"\D", "", run)
    if run.startswith("+") and not digits.startswith("38"):
        raise Rejected(Text.PHONE_NOT_UKRAINIAN)
    national = _national(digits)
    if national[:2] not in MOBILE_CODES:
        raise Rejected(Text.PHONE_NOT_MOBILE)
    return f"+380{national}"


def _national(digits: str) -> str:
    """The nine digits after +380, whichever prefix the customer typed."""
    for prefix, length in (("380", 12), ("80", 11), ("0", 10), ("", 9)):
        if digits.startswith(prefix) and len(digits) == length:
            national = digits[len(prefix):]
            if not national.startswith("0"):
                return national
    if len(digits) < 9 or digits.startswith("380") and len(digits) < 12 or digits.startswith("0") and len(digits) < 10:
        raise Rejected(Text.PHONE_TOO_SHORT)
    raise Rejected(Text.PHONE_TOO_LONG)


def parse_full_name(text: str) -> str:
    """Surname and name (and patronymic), Cyrillic letters only, capitalised: "петренко олена" → "Петренко Олена";
    emoji around the words are dropped; a relative ("Мама Ірина") is refused with NAME_KINSHIP."""
    words = (_without_symbols(w) for w in as_cyrillic(text).translate(_APOSTROPHES).split())
    cleaned = " ".join(w for w in words if w).strip(" .,;!")
    if not cleaned:
        raise Rejected(Text.NAME_MISSING)
    words = cleaned.split(" ")
    if not all(_NAME_WORD.fullmatch(w) for w in words) or len(words) > 4:
        raise Rejected(Text.NAME_INVALID)
    if latin := _latin(cleaned):
        raise Rejected(Text.NAME_NOT_CYRILLIC, **latin)
    if kinship := next((w for w in words if w.lower() in _KINSHIP), None):
        raise Rejected(Text.NAME_KINSHIP, word=kinship)
    if len(words) < 2:
        raise Rejected(Text.NAME_INCOMPLETE)
    return " ".join(_capitalised(w) for w in words)


def _capitalised(word: str) -> str:
    return "-".join(part[:1].upper() + part[1:].lower() for part in word.split("-"))


class Cities:
    """City names as Nova Poshta writes them; Russian and old spellings mapped from `cities.uk.yaml`."""

    def __init__(self, spellings: dict[str, str]) -> None:
        self._spellings = {self._key(k): v for k, v in spellings.items()}

    @staticmethod
    def _key(text: str) -> str:
        return " ".join(text.lower().translate(_APOSTROPHES).split())

    def parse(self, text: str) -> str:
        name = _CITY_PREFIX.sub("", as_cyrillic(text).split(",")[0].strip()).strip(" .;!")
        if not name:
            raise Rejected(Text.CITY_MISSING)
        known = self._spellings.get(self._key(name))
        if known:
            return known
        if not _NAME_WORD.fullmatch(name.replace(" ", "-").translate(_APOSTROPHES)):
            raise Rejected(Text.CITY_INVALID)
        if latin := _latin(name):
            raise Rejected(Text.CITY_LATIN, **latin)
        if _RUSSIAN.search(name):
            raise Rejected(Text.CITY_RUSSIAN_SPELLING)
        return " ".join(_capitalised(w) for w in self._key(name).split(" "))


def load_cities(path: Path | None = None) -> Cities:
    source = path or resources.files("catalog") / "cities.uk.yaml"
    return Cities({str(k): str(v) for k, v in yaml.safe_load(source.read_bytes().decode("utf-8")).items()})


def point_label(point: DeliveryPoint, texts: Texts) -> str:
    """How a delivery point reads to people: "Відділення №25", "Поштомат №1234" (the shop's texts)."""
    text = Text.PARCEL_LOCKER if point.kind is PointKind.PARCEL_LOCKER else Text.BRANCH
    return texts.render(text, number=point.number)


def parse_delivery_point(text: str) -> DeliveryPoint:
    """"відділення 25", "нп №5", "поштомат 1234", "отделение 12", "25" → kind and number."""
    text = as_cyrillic(text)
    kind = PointKind.PARCEL_LOCKER if _LOCKER.search(text) else PointKind.BRANCH
    numbered = _NUMBERED.search(text)
    bare = re.search(r"\b(\d{1,5})\b", text)
    found = numbered or bare
    if not found or int(found.group(1)) == 0:
        raise Rejected(Text.DELIVERY_POINT_MISSING)
    return DeliveryPoint(kind, int(found.group(1)))
