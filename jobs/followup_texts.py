"""Which follow-up a silent chat gets, from where the conversation stopped; None where a nudge would annoy."""

from __future__ import annotations

from typing import Any

from config.shop import Shop

# A phase that waits for something precise says more than the stage; otherwise the stage decides.
_BY_PHASE = {
    "OFFER_MADE": "offer",
    "WAITING_FOR_DELIVERY_DATA": "delivery_data",
    "WAITING_FOR_PAYMENT_METHOD": "payment",
    "WAITING_FOR_PAYMENT_PROOF": "payment",
}
_BY_STATE = {
    "STATE_1_DISCOVERY": "discovery",
    "STATE_2_VISION": "discovery",
    "STATE_3_SIZE_COLOR": "size_color",
    "STATE_4_OFFER": "offer",
    "STATE_5_PAYMENT_DELIVERY": "delivery_data",
}
# Greeting only, upsell after a sale, the end, a complaint, off-topic: silence there is the customer's right.
_NO_FOLLOWUP_STATES = {"STATE_0_INIT", "STATE_6_UPSELL", "STATE_7_END", "STATE_8_COMPLAINT", "STATE_9_OOD"}
_NO_FOLLOWUP_PHASES = {"UPSELL_OFFERED", "COMPLETED", "COMPLAINT", "ESCALATED", "OUT_OF_DOMAIN"}

# An order stopped half-way: when the customer stays silent after the last nudge, the managers step in.
HALF_WAY = {"delivery_data": "managers_delivery_data", "payment": "managers_payment"}


def template_for(state: dict[str, Any]) -> str | None:
    current, phase = state.get("current_state"), state.get("dialog_phase")
    if current in _NO_FOLLOWUP_STATES or phase in _NO_FOLLOWUP_PHASES:
        return None
    template = _BY_PHASE.get(phase) or _BY_STATE.get(current)
    if template == "offer" and not _models(state):
        return "discovery"  # nothing to name: offer help choosing instead
    return template


def nudge_text(shop: Shop, template: str, state: dict[str, Any]) -> str:
    if template == "offer":
        return shop.followup(template, model=", ".join(_models(state)))
    return shop.followup(template)


def _models(state: dict[str, Any]) -> list[str]:
    """Product names from state.selected_products (names, or product dicts with a name)."""
    names: list[str] = []
    for product in state.get("selected_products") or []:
        name = product.get("name") if isinstance(product, dict) else product
        if isinstance(name, str) and name.strip() and name.strip() not in names:
            names.append(name.strip())  # one model in two sizes is named once
    return names
