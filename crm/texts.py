"""The CRM's own texts (the order note, the managers' alerts), Ukrainian in `texts.uk.yaml`; each one must be there."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any

from config.settings import ConfigError
from config.templates import check_placeholders, read_shop_file

# Every text with the values it may use.
REQUIRED = {
    "note": ("order", "payment", "items", "delivery"), "note_item": ("name", "size", "color", "quantity"),
    "payment_full": (), "payment_prepayment": ("prepayment",),
    "alert_unauthorized": (), "alert_forbidden": ("reason",), "alert_order_failed": ("order", "reason"),
    "alert_manager_missing": ("name",), "alert_order_unsendable": ("order", "reason"),
    "alert_variation_missing": ("order", "product", "sku", "size", "color"),
}


@dataclass(frozen=True)
class CrmTexts:
    texts: dict[str, str]

    def say(self, key: str, **values: Any) -> str:
        return self.texts[key].format(**values)


def load_crm_texts() -> CrmTexts:
    source = resources.files("crm") / "texts.uk.yaml"
    data = read_shop_file(source) or {}
    texts = {key: str(data.get(key) or "").strip() for key in REQUIRED}
    for key, names in REQUIRED.items():
        if not texts[key]:
            raise ConfigError(f"CRM texts: '{key}' is missing in {source}")
        check_placeholders(f"CRM texts: {source}", key, texts[key], names)
    return CrmTexts(texts)
