"""The shop's knowledge file (`knowledge.uk.yaml`): delivery, payment, exchange and return, care by fabric, size
charts, hours and contacts, wholesale, gift wrapping — in the shop's own words, which the assistant passes on.

Loaded strictly at start, like the other shop files: a file that is missing, not UTF-8, not YAML, or has an entry
without its topic or text, an unknown key (a typo such as `txt`) or a photo that is not an http(s) link stops the
process with one line naming the file and the entry. There are no fallbacks.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from config.settings import ConfigError
from config.templates import read_shop_file

ENTRY_KEYS = {"topic", "words", "text", "photo"}
FILE_KEYS = {"not_covered", "stop_words", "entries"}


@dataclass(frozen=True)
class Entry:
    """One topic: `text` is said in the shop's words; `words` are how customers ask about it."""

    topic: str
    words: tuple[str, ...]
    text: str
    photo: str | None = None  # an http(s) link to a picture (a size chart) sent with the answer


@dataclass(frozen=True)
class Knowledge:
    entries: tuple[Entry, ...]
    not_covered: str  # the honest answer with the manager offered, when no entry covers a question
    stop_words: tuple[str, ...]  # question words that say nothing about the topic ("скільки", "можна")
    source: str  # where it was read from, for messages


def default_knowledge_file() -> Traversable:
    return resources.files("knowledge") / "knowledge.uk.yaml"


def load_knowledge(path: Path | Traversable | None = None) -> Knowledge:
    """Read and check the file; raises ConfigError naming the file (and the entry by number and topic, or the
    line for a YAML error)."""
    source = path or default_knowledge_file()
    where = f"KNOWLEDGE_FILE: {source}"
    data = read_shop_file(source, "KNOWLEDGE_FILE")
    if not isinstance(data, dict):
        raise ConfigError(f"{where} must be a mapping with not_covered, stop_words and entries")
    unknown = sorted(set(map(str, data)) - FILE_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown key '{unknown[0]}' (expected {', '.join(sorted(FILE_KEYS))})")
    if not _text(data.get("not_covered")):
        raise ConfigError(f"{where}: 'not_covered' (the answer when nothing here covers a question) is missing")
    raw_entries = data.get("entries")
    if not isinstance(raw_entries, list) or not raw_entries:
        raise ConfigError(f"{where}: 'entries' must be a non-empty list of topics")
    entries = tuple(_entry(where, number, raw) for number, raw in enumerate(raw_entries, start=1))
    seen: set[str] = set()
    for number, entry in enumerate(entries, start=1):
        if entry.topic.casefold() in seen:
            raise ConfigError(f"{where}: entry {number} ('{entry.topic}'): the topic is used twice")
        seen.add(entry.topic.casefold())
    return Knowledge(entries, _text(data["not_covered"]), _strings(where, "stop_words", data.get("stop_words")),
                     str(source))


def _entry(where: str, number: int, raw: Any) -> Entry:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: entry {number} must be a mapping with topic, words and text")
    topic = _text(raw.get("topic"))
    name = f"entry {number} ('{topic}')" if topic else f"entry {number}"
    unknown = sorted(set(map(str, raw)) - ENTRY_KEYS)
    if unknown:
        raise ConfigError(f"{where}: {name}: unknown key '{unknown[0]}' (expected {', '.join(sorted(ENTRY_KEYS))})")
    for key in ("topic", "text"):
        if not _text(raw.get(key)):
            raise ConfigError(f"{where}: {name}: '{key}' is missing")
    photo = _text(raw.get("photo")) or None
    if photo is not None and not photo.startswith(("https://", "http://")):
        raise ConfigError(f"{where}: {name}: 'photo' must be an http(s) link, got {photo[:60]!r}")
    return Entry(topic, _strings(where, f"{name}: 'words'", raw.get("words")), _text(raw["text"]), photo)


def _strings(where: str, name: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
        raise ConfigError(f"{where}: {name} must be a list of words")
    return tuple(str(v).strip() for v in value if str(v).strip())


def _text(value: Any) -> str:
    return str(value).strip() if isinstance(value, (str, int, float)) else ""
