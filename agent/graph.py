"""The conversation graph: guard → (memory, when the customer has one) → (payment proof | vision | document | sales)
→ (escalation) → end.

State lives in the checkpointer under thread_id = the chat; nodes return partial updates and routing happens in
conditional edges."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from uuid import UUID

from langchain_core.messages import HumanMessage, RemoveMessage
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime

from agent.cards import Card, card
from agent.guard import asks_if_bot, is_abuse
from agent.injection import screen
from agent.sales import SalesAgent, reply_message
from agent.state import Dialog, Phase, Stage
from agent.tools import Draft
from agent.vision import PhotoRecognizer, Recognition
from config.shop import Shop
from llm.client import CallContext
from llm.tracing import TurnTraces


class EscalationKind(StrEnum):
    ASKED = "asked"  # the dialog needs a human (complaint, "покличте менеджера", repeated failure): the bot goes quiet
    PAYMENT = "payment"  # a payment proof to check
    LLM_DOWN = "llm_down"  # the model does not answer


@dataclass(frozen=True)
class Escalation:
    """A chat the agent hands to the managers, with what they need to act on it."""

    kind: EscalationKind
    session_id: str
    reason: str = ""
    dialog: Dialog | None = None  # the dialog as it stands (cart, customer, order), when the graph has it
    attachments: tuple[int, ...] = ()  # the customer's messages carrying the proof's file, to pass on as they are


NotifyManagers = Callable[[Escalation], Awaitable[None]]
MemoryContext = Callable[[str, str], Awaitable[str]]

# "оплатила", "сплатив", "переказала", "скинула гроші" — a word that starts like these, not a substring anywhere.
_PAID = re.compile(r"(?<!\w)(оплат|сплат|переказ|перевел|перевела|скинул|оплач)\w*", re.IGNORECASE)


@dataclass(frozen=True)
class Turn:
    """What one turn is about, handed to nodes as LangGraph's run-scoped context."""

    trace_id: UUID
    session_id: str
    user_id: int | None
    turn_id: str
    text: str
    photos: tuple[bytes, ...] = ()  # the customer's photos of this turn, largest size, as downloaded
    attachments: tuple[int, ...] = ()  # ids of the customer's messages in this turn carrying a photo or a file
    turns_last_hour: int = 0  # the chat's turns that reached the model in the last hour, before this one
    remembered: bool = True  # the customer has a memory worth looking up (False: skip the lookup)
    traces: TurnTraces = field(default_factory=TurnTraces)  # the turn's model calls, stored when the turn closes


class State(Dialog, total=False):
    said: str  # the customer's words of this turn as the model may read them (attempts screened out)
    outbox: list[str]  # this turn's reply bubbles; reset by every new turn
    cards: list[Card]  # product cards shown after the bubbles; reset by every new turn
    pictures: list[str]  # links to the shop's pictures (a size chart) sent after the bubbles; reset every turn
    memory: str
    talked: bool  # the model answered this turn (not the guard or a fixed text): worth remembering
    learned: Any  # the facts the model proposes to remember of this turn (its answer's `facts`); reset every turn


@dataclass(frozen=True)
class Services:
    agent: SalesAgent
    shop: Shop
    notify_managers: NotifyManagers
    memory: MemoryContext
    turn_budget: int
    photos: PhotoRecognizer


def _draft(state: State, turn: Turn) -> Draft:
    return Draft(
        stage=Stage(state.get("stage", Stage.INIT)), phase=Phase(state.get("phase", Phase.INIT)),
        cart=list(state.get("cart") or []), customer=dict(state.get("customer") or {}),  # type: ignore[arg-type]
        payment_method=state.get("payment_method"), order_id=state.get("order_id"), user_id=str(turn.user_id),
        session_id=turn.session_id, update_id=int(turn.turn_id), question=state.get("said", ""),
    )


def build_graph(services: Services, checkpointer: BaseCheckpointSaver) -> CompiledStateGraph:
    shop, agent = services.shop, services.agent

    async def guard(state: State, runtime: Runtime[Turn]) -> dict[str, Any]:
        turn = runtime.context
        screened = screen(turn.text)
        if screened.suspicious and not screened.kept and not turn.photos:
            # Nothing but an attempt: it leaves the dialog, later prompts never carry it to the model.
            return {"outbox": [shop.text("injection_refusal")],
                    "messages": [RemoveMessage(id=customer_message_id(turn.turn_id))]}
        # The rest of the message is still answered; the suspicious sentences never reach the model.
        update: dict[str, Any] = {"said": screened.kept}
        if screened.suspicious:
            update["messages"] = [customer_message(screened.kept, turn.turn_id)]
        if is_abuse(screened.kept):
            return {**update, "outbox": [shop.text("abuse_reply")]}
        if asks_if_bot(screened.kept):
            disclosure = shop.text("bot_disclosure")
            return {**update, "outbox": [disclosure],
                    "messages": [*update.get("messages", []), reply_message([disclosure], turn.turn_id)]}
        if turn.turns_last_hour >= services.turn_budget:
            return {**update, "outbox": [shop.text("turn_budget_exceeded")]}
        return update

    async def remember(state: State, runtime: Runtime[Turn]) -> dict[str, Any]:
        turn = runtime.context
        return {"memory": await services.memory(str(turn.user_id), state.get("said", ""))}

    async def sales(state: State, runtime: Runtime[Turn]) -> dict[str, Any]:
        turn = runtime.context
        draft = _draft(state, turn)
        ctx = CallContext(turn.trace_id, turn.session_id, turn.user_id, "sales", draft.stage.value,
                          agent.prompt_version, customer=draft.customer, traces=turn.traces,
                          static_prefix=agent.static_messages)
        bubbles = await agent.reply(state, draft, ctx, state.get("memory", ""), state.get("said", ""))
        quoted = {*(state.get("metadata") or {}).get("quoted_amounts", []), *(str(p) for p in draft.prices)}
        return {
            "outbox": bubbles, "talked": True, "learned": draft.facts,
            "cards": [card(draft.products[sku]) for sku in draft.shown], "pictures": draft.pictures,
            "stage": draft.stage, "phase": draft.phase, "cart": draft.cart,
            "customer": draft.customer, "payment_method": draft.payment_method, "order_id": draft.order_id,
            "metadata": {**(state.get("metadata") or {}), "quoted_amounts": sorted(quoted),
                         "escalation": draft.escalation},
            "messages": [reply_message(bubbles, turn.turn_id)],
        }

    async def payment_proof(state: State, runtime: Runtime[Turn]) -> dict[str, Any]:
        turn = runtime.context
        order = state.get("order_id")
        await services.notify_managers(Escalation(EscalationKind.PAYMENT, turn.session_id, dialog=state,
                                                  attachments=turn.attachments))
        thanks = shop.text("payment_thanks", order=order)
        return {"outbox": [thanks], "stage": Stage.END, "phase": Phase.COMPLETED,
                "messages": [reply_message([thanks], turn.turn_id)]}

    async def escalate(state: State, runtime: Runtime[Turn]) -> dict[str, Any]:
        reason = (state.get("metadata") or {}).get("escalation") or ""
        await services.notify_managers(Escalation(EscalationKind.ASKED, runtime.context.session_id, reason, state))
        outbox = [*state.get("outbox", []), shop.text("manager_called")]
        return {"outbox": outbox}

    async def after_guard(state: State, runtime: Runtime[Turn]) -> str:
        if state.get("outbox"):
            return "done"
        # Nothing remembered of this customer: no lookup, no embedding, and no step of the graph for it.
        return "remember" if runtime.context.remembered else await answer_with(state, runtime)

    async def vision(state: State, runtime: Runtime[Turn]) -> dict[str, Any]:
        turn = runtime.context
        ctx = CallContext(turn.trace_id, turn.session_id, turn.user_id, "vision", Stage.VISION.value,
                          customer=state.get("customer"), traces=turn.traces)
        said = "\n".join(line for line in state.get("said", "").splitlines()
                          if line.strip() != shop.text("kind_photo"))  # the caption, wherever in an album it was
        seen = await services.photos.recognise(turn.photos, said, ctx, str(turn.user_id))
        text = photo_reply(shop, seen)
        stage = Stage.SIZE_COLOR if seen.verdict == "ours" else Stage.VISION
        return {"outbox": [text], "stage": stage, "messages": [reply_message([text], turn.turn_id)]}

    async def answer_with(state: State, runtime: Runtime[Turn]) -> str:
        turn = runtime.context
        paid = turn.photos or turn.attachments or _PAID.search(state.get("said", ""))
        if state.get("phase") == Phase.WAITING_FOR_PAYMENT_PROOF and paid:
            return "payment_proof"
        return "vision" if turn.photos else "document" if turn.attachments else "sales"

    async def document(state: State, runtime: Runtime[Turn]) -> dict[str, Any]:
        """A receipt-like file (PDF) before anything waits for payment: thanked for, not read."""
        text = shop.text("document_received")
        return {"outbox": [text], "messages": [reply_message([text], runtime.context.turn_id)]}

    async def after_sales(state: State) -> str:
        return "escalate" if (state.get("metadata") or {}).get("escalation") else "done"

    graph = StateGraph(State, context_schema=Turn)
    graph.add_node("guard", guard)
    graph.add_node("remember", remember)
    graph.add_node("sales", sales)
    graph.add_node("payment_proof", payment_proof)
    graph.add_node("escalate", escalate)
    graph.add_node("vision", vision)
    graph.add_node("document", document)
    graph.add_edge(START, "guard")
    answering = {"payment_proof": "payment_proof", "vision": "vision", "document": "document", "sales": "sales"}
    graph.add_conditional_edges("guard", after_guard, {"done": END, "remember": "remember", **answering})
    graph.add_conditional_edges("remember", answer_with, answering)
    graph.add_conditional_edges("sales", after_sales, {"escalate": "escalate", "done": END})
    graph.add_edge("payment_proof", END)
    graph.add_edge("escalate", END)
    graph.add_edge("vision", END)
    graph.add_edge("document", END)
    return graph.compile(checkpointer=checkpointer)


def photo_reply(shop: Shop, seen: Recognition) -> str:
    """What the customer hears about their photo: the shop's words around the catalog's model name."""
    if seen.verdict == "ours" and seen.product:
        return shop.text("vision_match", name=seen.product.name)
    if seen.verdict == "unsure" and seen.product:
        return seen.question or shop.text("vision_unsure", name=seen.product.name)
    if seen.product:
        return shop.text("vision_similar", name=seen.product.name)
    return shop.text("photo_not_recognised")


def customer_message_id(turn_id: str) -> str:
    return f"update-{turn_id}"


def customer_message(text: str, turn_id: str) -> HumanMessage:
    # The id makes a replayed turn idempotent: add_messages replaces a message with the same id.
    return HumanMessage(content=text, id=customer_message_id(turn_id))
