"""What the handlers talk to: one customer turn in, reply bubbles out. Keeps LangGraph and storage details out
of the Telegram layer and writes both sides of every exchange to `messages`."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg
import structlog
from langchain_core.messages import AIMessage
from langgraph.graph.state import CompiledStateGraph

from agent.cards import Card
from agent.graph import Escalation, EscalationKind, NotifyManagers, Turn, customer_message
from agent.guard import clean
from agent.sales import reply_message
from agent.state import Phase, Stage, session_snapshot
from config.shop import Shop
from llm.client import LlmUnavailable
from llm.tracing import TurnTraces
from memory.turns import BackgroundMemory
from storage.checkpoints import TURN_KEY
from storage.customers import add_message, save_session_state
from storage.turns import APOLOGY_TAG, DECLINED_TAG, close_turn, open_turn, store_traces

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class CustomerTurn:
    chat_id: int
    user_id: int
    customer_name: str | None
    texts: list[str]
    update_ids: list[int]
    photos: tuple[bytes, ...] = ()  # largest size of each photo in the turn
    attachments: tuple[int, ...] = ()  # ids of the customer's messages carrying a photo or a file (a receipt)
    voiced: frozenset[int] = frozenset()  # update ids whose text is a voice or video note's transcript

    @property
    def session_id(self) -> str:
        return str(self.chat_id)

    @property
    def text(self) -> str:
        return "\n".join(self.texts)


@dataclass(frozen=True)
class Reply:
    bubbles: list[str]
    error: str | None = None  # set when the customer got an apology instead of an answer
    cards: tuple[Card, ...] = ()
    pictures: tuple[str, ...] = ()  # links to the shop's own pictures (a size chart)
    asks_phone: bool = False  # the dialog waits for the phone: offer Telegram's "share contact" button


class SalesAssistant:
    def __init__(self, graph: CompiledStateGraph, pool: asyncpg.Pool, shop: Shop,
                 notify_managers: NotifyManagers, memory: BackgroundMemory) -> None:
        self._graph = graph
        self._pool = pool
        self._shop = shop
        self._notify_managers = notify_managers
        self._memory = memory
        self._outage_reported = False  # managers hear of an LLM outage once, not per message

    async def greet(self, turn: CustomerTurn) -> Reply:
        """/start: a soft reset of the dialog (orders are kept) and the greeting."""
        greeting = self._shop.text("greeting")
        await self._store_question(turn)
        await self._store_answer(turn, greeting)
        config = {"configurable": {"thread_id": turn.session_id}}
        await self._graph.aupdate_state(config, {"stage": "STATE_0_INIT", "phase": "INIT", "cart": [],
                                                 "payment_method": None, "order_id": None, "outbox": []})
        state = (await self._graph.aget_state(config)).values
        await save_session_state(self._pool, turn.session_id, session_snapshot(state, turn.session_id))
        return Reply([greeting])

    async def restart(self, turn: CustomerTurn) -> Reply:
        """/restart: the dialog starts over from nothing; orders and the message history are kept."""
        await self._graph.checkpointer.adelete_thread(turn.session_id)
        return await self.greet(turn)

    async def decline(self, turn: CustomerTurn, explanation: str) -> Reply:
        """Answer without the model (message too long, media we cannot read yet); both sides are still kept."""
        await self._store_question(turn)
        await self._store_answer(turn, explanation, tags=[DECLINED_TAG])
        return Reply([explanation])

    async def answer(self, turn: CustomerTurn, apologise: bool = True) -> Reply:
        """The model's reply; when the model is down, an apology the first time (`apologise`) and the turn is
        reported unanswered so its lane retries it. The turn's model calls are traced once, masked with every name
        the turn knows, in the transaction that closes it (or, the model down or the turn failing, right then: they
        were paid for); only a process that dies mid-turn loses them, and the inbox replays that turn."""
        started = datetime.now(UTC)
        questions = [(u, text, u in turn.voiced) for u, text in zip(turn.update_ids, turn.texts, strict=True)]
        opening = await open_turn(self._pool, turn.session_id, str(turn.user_id), questions)
        turn_id = str(turn.update_ids[-1])
        text = clean(turn.text)
        traces = TurnTraces()
        context = Turn(trace_id=uuid.uuid4(), session_id=turn.session_id, user_id=turn.user_id, turn_id=turn_id,
                       text=text, photos=turn.photos, attachments=turn.attachments,
                       turns_last_hour=opening.turns_last_hour, remembered=opening.remembered, traces=traces)
        nudges = [AIMessage(content=content, id=f"followup-{message_id}") for message_id, content in opening.followups]
        try:
            result = await self._graph.ainvoke(
                {"messages": [*nudges, customer_message(text, turn_id)], "outbox": [], "cards": [],
                 "pictures": [], "talked": False, "said": "", "learned": None, "memory": ""},
                # The checkpoint read by open_turn serves the run's read; its save waits for close_turn.
                config={"configurable": {"thread_id": turn.session_id, TURN_KEY: opening.checkpoint}},
                context=context,
                # One checkpoint per turn, written when it ends: a turn cut short is replayed whole from the
                # inbox, so per-node checkpoints would only cost round trips.
                durability="exit",
            )
        except LlmUnavailable:
            await store_traces(self._pool, traces.masked(turn.customer_name))
            return await self.outage(turn, apologise, self._shop.text("llm_unavailable"))
        except Exception:
            await self._keep_traces(traces, turn.customer_name)
            raise
        self._outage_reported = False
        bubbles = list(result.get("outbox") or [])
        # One statement (answer, state, traces, checkpoint): a turn that fails here leaves the dialog as it was, and
        # the inbox replays it. Saved before the memory write starts: its trace masks the names and city this turn
        # recorded.
        try:
            await close_turn(self._pool, turn.session_id, str(turn.user_id), "\n\n".join(bubbles),
                             turn.update_ids[-1], session_snapshot(result, turn.session_id),
                             traces.masked(result.get("customer"), turn.customer_name), opening.checkpoint)
        except Exception:
            await self._keep_traces(traces, result.get("customer"), turn.customer_name)
            raise
        if result.get("talked"):
            # Proposed by the model that read only the screened words of the customer.
            self._memory.after_reply(str(turn.user_id), turn.session_id, result.get("learned"), started)
        return Reply(bubbles, cards=tuple(result.get("cards") or ()),
                     pictures=tuple(result.get("pictures") or ()), asks_phone=_asks_phone(result))

    async def take_contact(self, turn: CustomerTurn, phone: str, name: str | None) -> None:
        """A contact the customer shared as their own: its phone (and name, when the dialog has none) become the
        recipient's, to be read back and confirmed like typed ones. Both are already parsed by the customer-details
        rules."""
        config = {"configurable": {"thread_id": turn.session_id}}
        customer = dict((await self._graph.aget_state(config)).values.get("customer") or {})
        customer.update({"phone": phone, "confirmed": False})
        if name and not customer.get("name"):
            customer["name"] = name
        await self._graph.aupdate_state(config, {"customer": customer})

    async def remark(self, turn: CustomerTurn, answer: str) -> Reply:
        """Answer with the shop's fixed words, and let the dialog see both sides (a question it must remember,
        like "is this number yours?")."""
        await self._store_question(turn)
        await self._store_answer(turn, answer, tags=["fixed"])
        turn_id = str(turn.update_ids[-1])
        await self._graph.aupdate_state({"configurable": {"thread_id": turn.session_id}}, {"messages": [
            customer_message(turn.text, turn_id), reply_message([answer], turn_id)]})
        return Reply([answer])

    async def outage(self, turn: CustomerTurn, apologise: bool, apology: str) -> Reply:
        """A turn a model could not answer (the dialog's, or the transcription of a voice note): `apology` the
        first time (`apologise`), managers told once per outage, and the turn reported unanswered for a retry."""
        if not apologise:
            return Reply([], error="llm_unavailable")
        # Stored without the update id: the real answer, when the model is back, is the turn's answer.
        await add_message(self._pool, turn.session_id, str(turn.user_id), "assistant", apology,
                          tags=[APOLOGY_TAG])
        if not self._outage_reported:
            self._outage_reported = True
            await self._notify_managers(Escalation(EscalationKind.LLM_DOWN, turn.session_id))
        log.error("turn_without_model")
        return Reply([apology], error="llm_unavailable")

    async def _keep_traces(self, traces: TurnTraces, *known: Mapping[str, Any] | str | None) -> None:
        """Record the model calls of a turn that failed after them (`known`: as for TurnTraces.masked): they were
        paid for (llm_usage, the cost reports) and show what the model was asked. A failure to store them is
        logged; the turn's own error is what its caller gets."""
        try:
            await store_traces(self._pool, traces.masked(*known))
        except Exception:
            log.exception("turn_traces_not_stored")

    async def _store_question(self, turn: CustomerTurn) -> None:
        for update_id, text in zip(turn.update_ids, turn.texts, strict=True):
            await add_message(self._pool, turn.session_id, str(turn.user_id), "user", text, update_id,
                              tags=["voice"] if update_id in turn.voiced else [])

    async def _store_answer(self, turn: CustomerTurn, text: str, tags: list[str] | None = None) -> None:
        await add_message(self._pool, turn.session_id, str(turn.user_id), "assistant", text, turn.update_ids[-1],
                          tags=tags or [])


def _asks_phone(dialog: dict) -> bool:
    """The order waits for delivery details and the phone is not among them yet."""
    customer = dialog.get("customer") or {}
    return (dialog.get("stage") == Stage.PAYMENT_DELIVERY and dialog.get("phase") != Phase.WAITING_FOR_PAYMENT_PROOF
            and bool(dialog.get("cart")) and not customer.get("phone"))
