"""The dialog's typed state, its states and phases (the seed's names), and the allowed transitions."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, TypedDict

from langchain_core.messages import AnyMessage
from langgraph.graph.message import Messages, add_messages

# The dialog keeps this many of its latest messages verbatim (12 exchanges, follow-up nudges among them). What came
# before is carried by the dialog's structured state (stage, cart, customer, order) and the customer's memory and
# summaries, so a chat's checkpoint and the model's context stay the same size however long the chat goes on.
KEPT_MESSAGES = 24


class Stage(StrEnum):
    INIT = "STATE_0_INIT"
    DISCOVERY = "STATE_1_DISCOVERY"
    VISION = "STATE_2_VISION"
    SIZE_COLOR = "STATE_3_SIZE_COLOR"
    OFFER = "STATE_4_OFFER"
    PAYMENT_DELIVERY = "STATE_5_PAYMENT_DELIVERY"
    UPSELL = "STATE_6_UPSELL"
    END = "STATE_7_END"
    COMPLAINT = "STATE_8_COMPLAINT"
    OUT_OF_DOMAIN = "STATE_9_OOD"


class Phase(StrEnum):
    INIT = "INIT"
    DISCOVERY = "DISCOVERY"
    OFFER_MADE = "OFFER_MADE"
    WAITING_FOR_DELIVERY_DATA = "WAITING_FOR_DELIVERY_DATA"
    WAITING_FOR_PAYMENT_METHOD = "WAITING_FOR_PAYMENT_METHOD"
    WAITING_FOR_PAYMENT_PROOF = "WAITING_FOR_PAYMENT_PROOF"
    COMPLETED = "COMPLETED"
    ESCALATED = "ESCALATED"


# Where a conversation may go from each stage. The model proposes the next stage; anything else is refused and
# the stage stays. Complaints, off-topic talk and a return to discovery are reachable from everywhere.
_ANYWHERE = {Stage.DISCOVERY, Stage.COMPLAINT, Stage.OUT_OF_DOMAIN}
TRANSITIONS: dict[Stage, set[Stage]] = {
    Stage.INIT: {Stage.VISION, Stage.SIZE_COLOR, Stage.OFFER},
    Stage.DISCOVERY: {Stage.VISION, Stage.SIZE_COLOR, Stage.OFFER},
    Stage.VISION: {Stage.SIZE_COLOR, Stage.OFFER},
    Stage.SIZE_COLOR: {Stage.VISION, Stage.OFFER, Stage.PAYMENT_DELIVERY},
    Stage.OFFER: {Stage.SIZE_COLOR, Stage.VISION, Stage.PAYMENT_DELIVERY},
    Stage.PAYMENT_DELIVERY: {Stage.OFFER, Stage.SIZE_COLOR, Stage.UPSELL, Stage.END},
    Stage.UPSELL: {Stage.OFFER, Stage.SIZE_COLOR, Stage.END},
    Stage.END: {Stage.OFFER, Stage.SIZE_COLOR, Stage.VISION},
    Stage.COMPLAINT: {Stage.END},
    Stage.OUT_OF_DOMAIN: {Stage.VISION, Stage.SIZE_COLOR, Stage.OFFER},
}


def next_stage(current: Stage, proposed: Stage) -> Stage:
    if proposed == current or proposed in TRANSITIONS[current] | _ANYWHERE:
        return proposed
    return current


class CartLine(TypedDict):
    sku: str
    name: str
    size: str
    color: str | None
    quantity: int
    price: str  # Decimal as text: the catalog's price for this size


class Customer(TypedDict, total=False):
    name: str
    phone: str
    city: str
    point_kind: str
    point_number: int
    confirmed: bool


def recent_messages(kept: Messages, new: Messages) -> list[AnyMessage]:
    """LangGraph's `add_messages` (ids replace, RemoveMessage removes), then only the latest KEPT_MESSAGES."""
    return list(add_messages(kept, new))[-KEPT_MESSAGES:]  # type: ignore[arg-type]


class Dialog(TypedDict, total=False):
    messages: Annotated[list[AnyMessage], recent_messages]
    stage: str
    phase: str
    cart: list[CartLine]
    customer: Customer
    payment_method: str | None
    order_id: int | None
    metadata: dict[str, Any]


def initial_dialog() -> Dialog:
    return {"stage": Stage.INIT, "phase": Phase.INIT, "cart": [], "customer": {}, "payment_method": None,
            "order_id": None, "metadata": {}}


def session_snapshot(dialog: Dialog, session_id: str) -> dict[str, Any]:
    """The seed's agent_sessions.state shape, for admins and jobs."""
    customer = dialog.get("customer") or {}
    return {
        "current_state": str(dialog.get("stage", Stage.INIT)),
        "dialog_phase": str(dialog.get("phase", Phase.INIT)),
        "selected_products": list(dialog.get("cart") or []),
        "metadata": {"session_id": session_id, "customer_name": customer.get("name"),
                     "customer_phone": customer.get("phone"),
                     "customer_city": customer.get("city"), "order_id": dialog.get("order_id"),
                     **(dialog.get("metadata") or {})},
    }
