"""The shop's own file (persona, customer-facing texts, model prices): Ukrainian, UTF-8, edited by the shop.

Every text the code needs must be present; a missing one stops the process at start instead of falling back.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any

import structlog

from config.settings import ConfigError
from config.templates import FORMAT_ERRORS, check_placeholders, read_shop_file, shipped_placeholders

REQUIRED_TEXTS = (
    "greeting", "llm_unavailable", "too_long", "unsupported_media", "payment_options", "payment_thanks",
    "injection_refusal", "turn_budget_exceeded", "manager_called", "price_unsure", "fact_unsure",
    "photo_not_recognised", "cannot_answer", "vision_match", "vision_unsure", "vision_similar", "card_caption",
    "picked_size", "picked_color",
    "abuse_reply", "bot_disclosure", "shipped", "shipped_without_tracking", "payment_confirmed",
    "sticker_reply", "document_unsupported", "document_received", "file_too_big", "voice_unavailable",
    "contact_shared", "contact_confirm", "share_phone_button", "edited", "kind_photo", "kind_document",
    "kind_contact", "kind_sticker", "kind_voice", "kind_other",
)
# Follow-up templates by what the conversation waits for, and the managers' alerts; with the values each may use.
REQUIRED_FOLLOWUPS = {
    "discovery": (), "size_color": (), "offer": ("model",), "delivery_data": (), "payment": (),
    "managers_delivery_data": ("customer", "chat_id"), "managers_payment": ("customer", "chat_id"),
}
ALWAYS = ("persona", "shop")  # every text and follow-up may name the assistant and the shop
REQUISITES = ("order", "amount")  # agent/sales.py fills the requisites with the order number and the sum in грн

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Price:
    """USD per one million tokens; `cached_input` for prompt tokens served from the provider's prompt cache (None:
    the provider gives no discount, they cost `input`)."""

    input: Decimal
    output: Decimal
    cached_input: Decimal | None = None


@dataclass(frozen=True)
class Payment:
    prepayment: Decimal  # the part paid before shipping when the customer chooses prepayment
    cash_on_delivery_fee: str  # Nova Poshta's fee, as the shop words it
    requisites: str  # shown verbatim, with {order} and {amount} filled in


@dataclass(frozen=True)
class Shop:
    name: str
    persona: str
    texts: dict[str, str]
    llm_prices: dict[str, Price]
    payment: Payment
    followups: dict[str, str]
    reply_language: str = "uk"  # ISO 639-1; replies in another language are asked again (agent/prices.py)

    def text(self, key: str, **values: Any) -> str:
        """The shop's text `key` filled with `values`; the generic "cannot_answer" text (logged) if it cannot be
        filled, so the customer always gets an answer (load_shop checks the placeholders; this is the fallback)."""
        return self._filled(self.texts, key, values)

    def followup(self, key: str, **values: Any) -> str:
        return self._filled(self.followups, key, values)

    def _filled(self, templates: dict[str, str], key: str, values: dict[str, Any]) -> str:
        try:
            return templates[key].format(persona=self.persona, shop=self.name, **values)
        except FORMAT_ERRORS as exc:
            log.error("shop_text_not_filled", text=key, error=repr(exc))
            return self.texts["cannot_answer"].replace("{persona}", self.persona).replace("{shop}", self.name)


def load_shop(path: Path | None) -> Shop:
    source = path or resources.files("config") / "shop.uk.yaml"
    data = read_shop_file(source, "SHOP_FILE")
    if not isinstance(data, dict):
        raise ConfigError(f"SHOP_FILE: {source} must be a mapping of settings")
    texts = data.get("texts") or {}
    missing = [key for key in REQUIRED_TEXTS if not str(texts.get(key) or "").strip()]
    if missing:
        raise ConfigError(f"SHOP_FILE: text '{missing[0]}' is missing in {source}")
    for key in ("shop_name", "persona_name"):
        if not str(data.get(key) or "").strip():
            raise ConfigError(f"SHOP_FILE: '{key}' is missing in {source}")
    shipped = shipped_placeholders(read_shop_file(resources.files("config") / "shop.uk.yaml", "SHOP_FILE")["texts"])
    for key, text in texts.items():
        check_placeholders(f"SHOP_FILE: {source}", str(key), str(text), {*ALWAYS, *shipped.get(str(key), ())})
    return Shop(
        name=str(data["shop_name"]),
        persona=str(data["persona_name"]),
        texts={k: str(v) for k, v in texts.items()},
        llm_prices=_prices(data.get("llm_prices") or {}, source),
        payment=_payment(data.get("payment") or {}, source),
        followups=_followups(data.get("followups") or {}, source),
        reply_language=str(data.get("reply_language") or "uk"),
    )


def _prices(raw: dict[str, Any], source: object) -> dict[str, Price]:
    try:
        return {model: Price(Decimal(str(p["input"])), Decimal(str(p["output"])),
                             None if p.get("cached_input") is None else Decimal(str(p["cached_input"])))
                for model, p in raw.items()}
    except (KeyError, TypeError, AttributeError, InvalidOperation):
        raise ConfigError(f"SHOP_FILE: llm_prices in {source} need input and output numbers per model") from None


def _payment(raw: dict[str, Any], source: object) -> Payment:
    for key in ("prepayment", "cash_on_delivery_fee", "requisites"):
        if not str(raw.get(key) or "").strip():
            raise ConfigError(f"SHOP_FILE: payment.{key} is missing in {source}")
    check_placeholders(f"SHOP_FILE: {source}", "payment.requisites", str(raw["requisites"]), REQUISITES)
    try:
        prepayment = Decimal(str(raw["prepayment"]))
    except InvalidOperation:
        raise ConfigError(f"SHOP_FILE: payment.prepayment in {source} must be an amount in грн") from None
    return Payment(prepayment, str(raw["cash_on_delivery_fee"]), str(raw["requisites"]))


def _followups(raw: dict[str, Any], source: object) -> dict[str, str]:
    templates = {key: str(raw.get(key) or "").strip() for key in REQUIRED_FOLLOWUPS}
    for key, names in REQUIRED_FOLLOWUPS.items():
        if not templates[key]:
            raise ConfigError(f"SHOP_FILE: follow-up '{key}' is missing in {source}")
        check_placeholders(f"SHOP_FILE: {source}", f"followups.{key}", templates[key], {*ALWAYS, *names})
    return templates
