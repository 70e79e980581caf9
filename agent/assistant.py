"""What the handlers talk to: one customer turn in, one reply out. Keeps LangGraph and storage details out of
the Telegram layer and writes both sides of every exchange to `messages`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import asyncpg
from langgraph.graph.state import CompiledStateGraph

from agent.graph import Turn, customer_message
from agent.llm import LlmUnavailable
from bot.shop import Shop
from storage.customers import add_message, save_session_state


@dataclass(frozen=True)
class CustomerTurn:
    chat_id: int
    user_id: int
    customer_name: str | None
    texts: list[str]
    update_ids: list[int]

    @property
    def session_id(self) -> str:
        return str(self.chat_id)

    @property
    def text(self) -> str:
        return "\n".join(self.texts)


@dataclass(frozen=True)
class Reply:
    text: str
    error: str | None = None  # set when the customer got an apology instead of an answer


class SalesAssistant:
    def __init__(self, graph: CompiledStateGraph, pool: asyncpg.Pool, shop: Shop) -> None:
        self._graph = graph
        self._pool = pool
        self._shop = shop

    async def greet(self, turn: CustomerTurn) -> Reply:
        greeting = self._shop.text("greeting")
        await self._store_question(turn)
        await self._store_answer(turn, greeting)
        await self._save_state(turn, current_state="STATE_0_INIT", dialog_phase="INIT")
        return Reply(greeting)

    async def decline(self, turn: CustomerTurn, explanation: str) -> Reply:
        """Answer without the model (message too long, media we cannot read yet); both sides are still kept."""
        await self._store_question(turn)
        await self._store_answer(turn, explanation, tags=["declined"])
        return Reply(explanation)

    async def answer(self, turn: CustomerTurn) -> Reply:
        await self._store_question(turn)
        turn_id = str(turn.update_ids[-1])
        context = Turn(trace_id=uuid.uuid4(), session_id=turn.session_id, user_id=turn.user_id, turn_id=turn_id)
        try:
            result = await self._graph.ainvoke(
                {"messages": [customer_message(turn.text, turn_id)]},
                config={"configurable": {"thread_id": turn.session_id}},
                context=context,
            )
        except LlmUnavailable:
            apology = self._shop.text("llm_unavailable")
            await self._store_answer(turn, apology, tags=["llm_unavailable"])
            return Reply(apology, error="llm_unavailable")
        reply = str(result["messages"][-1].content)
        await self._store_answer(turn, reply)
        await self._save_state(turn, current_state="STATE_1_DISCOVERY", dialog_phase="DISCOVERY")
        return Reply(reply)

    async def _store_question(self, turn: CustomerTurn) -> None:
        for update_id, text in zip(turn.update_ids, turn.texts, strict=True):
            await add_message(self._pool, turn.session_id, str(turn.user_id), "user", text, update_id)

    async def _store_answer(self, turn: CustomerTurn, text: str, tags: list[str] | None = None) -> None:
        await add_message(self._pool, turn.session_id, str(turn.user_id), "assistant", text, turn.update_ids[-1],
                          tags=tags or [])

    async def _save_state(self, turn: CustomerTurn, current_state: str, dialog_phase: str) -> None:
        await save_session_state(self._pool, turn.session_id, {
            "current_state": current_state,
            "dialog_phase": dialog_phase,
            "selected_products": [],
            "metadata": {"session_id": turn.session_id, "customer_name": turn.customer_name},
        })
