"""Process configuration: environment variables and `.env`, names as in DESIGN.md.

Every setting is declared here with its default; nothing reads the environment elsewhere.
"""

from __future__ import annotations

import re
from datetime import time, timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


class ConfigError(Exception):
    """A setting is missing or wrong; the message names it in one line."""


def parse_duration(text: str) -> timedelta:
    """`30s`, `15m`, `4h`, `1d` (a bare number means seconds)."""
    text = str(text).strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return timedelta(seconds=float(text))
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"expected a duration like 30s, 15m or 4h, got {text!r}")
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])


def _as_duration(value: object) -> timedelta:
    return value if isinstance(value, timedelta) else parse_duration(str(value))


Duration = Annotated[timedelta, NoDecode, BeforeValidator(_as_duration)]


def _split(value: object) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part.strip() for part in str(value or "").split(",") if part.strip()]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    # Telegram
    bot_token: SecretStr | None = None
    telegram_api_url: str | None = None

    # people
    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    admin_chat_id: int | None = None

    # storage
    database_url: SecretStr | None = None
    data_dir: Path = Path("data")
    database_transaction_pooler: bool = False
    database_pool_size: int = Field(default=10, ge=2, le=100)

    # models
    openai_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    llm_model: str = "gpt-4o-mini"
    vision_model: str = "gpt-4o-mini"
    embedding_model: str = "text-embedding-3-small"
    transcription_model: str = "gpt-4o-mini-transcribe"  # voice and video notes → text (audio.transcriptions)
    llm_timeout: Duration = timedelta(seconds=30)

    # CRM
    sitniks_api_url: str = "https://crm.sitniks.com"
    sitniks_api_key: SecretStr | None = None
    sitniks_ai_manager: str | None = None  # the CRM manager (full name) a chat is assigned to while the bot talks
    sitniks_human_manager: str | None = None  # the CRM manager an escalated chat is assigned to
    sitniks_status_taken: str = "Взято в роботу"  # chat status titles as the shop's CRM names them
    sitniks_status_invoiced: str = "Виставлено рахунок"
    sitniks_status_attention: str = "AI Увага"
    # CRM order status titles (comma-separated) that mean paid / shipped / delivered / cancelled to us
    sitniks_paid_statuses: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["Оплачено", "Оформлено замовлення"])
    sitniks_shipped_statuses: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["Відправлено"])
    sitniks_delivered_statuses: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["Отримано", "Доставлено"])
    sitniks_cancelled_statuses: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["Скасовано", "Відмова", "Повернення"])
    crm_timeout: Duration = timedelta(seconds=15)  # one CRM request
    crm_retry_base: Duration = timedelta(seconds=30)  # the first retry's delay; it doubles per attempt
    crm_retry_max: Duration = timedelta(hours=1)  # the longest delay between retries
    crm_status_poll_interval: Duration = timedelta(minutes=10)  # how often a CRM order's status is read
    crm_chat_lookback: Duration = timedelta(days=1)  # chats active this recently get CRM chat statuses
    # how far back the CRM's chats are searched for a customer's (the CRM filters chats by creation date, and a
    # returning customer's chat was created long ago)
    crm_chat_search_lookback: Duration = timedelta(days=365)
    # Sitniks' public API offers no known way to assign a chat's manager (see README): only when the shop's does
    sitniks_assign_managers: bool = False

    # schedule
    shop_timezone: str = "Europe/Kyiv"
    quiet_hours: str = "21:00-09:00"
    followup_delays: Annotated[list[timedelta], NoDecode] = Field(
        default_factory=lambda: [timedelta(hours=4), timedelta(hours=23)]
    )
    followup_scan_interval: Duration = timedelta(minutes=5)
    crm_sync_interval: Duration = timedelta(seconds=60)
    inbox_retention: Duration = timedelta(days=14)  # handled inbox rows are deleted after this
    trace_retention: Duration = timedelta(days=90)  # LLM trace snapshots (prompts, answers) are emptied after this
    checkpoint_retention: Duration = timedelta(days=7)  # a chat quiet this long keeps only its latest checkpoint
    handoff_realert_after: Duration = timedelta(minutes=15)  # a chat with managers unanswered this long: alert again
    handoff_scan_interval: Duration = timedelta(minutes=1)  # how often the re-alert sweep looks
    managers_chat_retry: Duration = timedelta(minutes=1)  # an unreachable managers' chat is tried again this often

    # shop
    shop_file: Path | None = None
    knowledge_file: Path | None = None  # the shop's answers (delivery, returns, care, sizes); unset: the example

    # conversation flow
    burst_window: Duration = timedelta(seconds=1.5)
    # Turns in flight ≈ active conversations × model latency / (think time + model latency): 1,000 parents writing
    # every 5-20 s with a 3 s model keep ~200 turns waiting on the model at once (bench.load).
    max_concurrent_turns: int = Field(default=300, ge=1)
    max_message_length: int = Field(default=4000, ge=100)
    # "typing…" is shown only when the answer takes longer than this: Telegram recommends sendChatAction "only when
    # a response from the bot will take a noticeable amount of time to arrive" (Bot API, sendChatAction).
    typing_after: Duration = timedelta(seconds=1)
    llm_turns_per_hour: int = Field(default=60, ge=1)
    llm_retry_delay: Duration = timedelta(seconds=30)  # a turn the model could not answer is retried after this
    # Telegram Business: which of the account's chats the assistant answers (all, only chats the customer opened,
    # none: follow-ups only), and how long after the account owner last typed in a chat the assistant takes it back
    business_chats: Literal["all", "new", "none"] = "all"
    business_human_quiet: Duration = timedelta(hours=12)
    # Telegram's limits, kept by waiting: ~1 message/s into one chat, 20/min into a group, 30/s overall.
    outbound_chat_interval: Duration = timedelta(seconds=1)
    outbound_group_interval: Duration = timedelta(seconds=3)
    outbound_per_second: float = Field(default=30, gt=0)

    # process
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "console"] = "console"
    health_port: int | None = Field(default=8080, ge=0, le=65535)
    shutdown_grace: Duration = timedelta(seconds=8)

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _admin_ids(cls, value: object) -> list[int]:
        parts = _split(value)
        bad = [p for p in parts if not re.fullmatch(r"-?\d+", p)]
        if bad:
            raise ValueError(f"must be comma-separated Telegram user ids, got {bad[0]!r}")
        return [int(p) for p in parts]

    @field_validator("followup_delays", mode="before")
    @classmethod
    def _delays(cls, value: object) -> list[timedelta]:
        items = value if isinstance(value, (list, tuple)) else _split(value)
        return [_as_duration(item) for item in items]

    @field_validator("sitniks_paid_statuses", "sitniks_shipped_statuses", "sitniks_delivered_statuses",
                     "sitniks_cancelled_statuses", mode="before")
    @classmethod
    def _crm_titles(cls, value: object) -> list[str]:
        return _split(value)

    @field_validator("llm_timeout", "crm_timeout")
    @classmethod
    def _some_time(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):  # every call would time out before it is sent
            raise ValueError(f"a call needs time to be answered: expected more than 0s, got {value.total_seconds():g}s")
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_hours(cls, value: str) -> str:
        if value.strip():
            quiet_hours_window(value)
        return value.strip()

    @field_validator("shop_timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    def require(self, *names: str) -> None:
        """Stop with a ConfigError naming the first of `names` that is unset."""
        for name in names:
            value = getattr(self, name)
            if value is None or (isinstance(value, SecretStr) and not value.get_secret_value()):
                raise ConfigError(f"{name.upper()} is required but not set")


def quiet_hours_window(text: str) -> tuple[time, time]:
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", text)
    if not match:
        raise ValueError(f"expected HH:MM-HH:MM, got {text!r}")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    try:
        return time(h1, m1), time(h2, m2)
    except ValueError as exc:
        raise ValueError(f"expected HH:MM-HH:MM, got {text!r}") from exc


def load_settings() -> Settings:
    """Read the settings, turning pydantic's report into one line that names the setting."""
    try:
        return Settings()
    except ValidationError as exc:
        error = exc.errors()[0]
        name = str(error["loc"][0]).upper() if error["loc"] else "settings"
        message = str(error["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"{name}: {message}") from None
