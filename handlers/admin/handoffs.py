"""Putting a chat in human mode and giving it back: the one path for a manager's /escalate, the card's button and
the agent's own escalations; and what the AI is told of the human part when it gets the chat back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
import structlog
from aiogram.types import User
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langgraph.graph.state import CompiledStateGraph

from agent.graph import Escalation, EscalationKind
from agent.state import session_snapshot
from outbound.desk import ManagersDesk
from outbound.managers_cards import customer_name, escalation_card
from outbound.texts import AdminTexts, Text
from storage import handoffs, managers_chat

log = structlog.get_logger(__name__)

HEADLINES = {EscalationKind.ASKED: Text.REASON_ASKED, EscalationKind.PAYMENT: Text.REASON_PAYMENT,
             EscalationKind.LLM_DOWN: Text.REASON_LLM_DOWN}


@dataclass(frozen=True)
class Handoffs:
    pool: asyncpg.Pool
    desk: ManagersDesk
    texts: AdminTexts

    async def take(self, session_id: str, manager: User | None, headline: str, reason: str = "",
                   snapshot: dict | None = None) -> bool:
        """Human mode for the chat; False when it already was. The managers get the card (a new handoff) or
        hear who took it."""
        now = datetime.now(UTC)
        started = await handoffs.start_handoff(self.pool, session_id, reason or headline,
                                               manager.id if manager else None,
                                               manager.full_name if manager else None, now)
        if started:
            text, buttons = await escalation_card(self.pool, self.texts, session_id, headline, reason, snapshot)
            await handoffs.enqueue_text(self.pool, session_id, text, [] if manager else buttons)
        if manager is not None:
            facts = await handoffs.customer_facts(self.pool, session_id)
            await handoffs.enqueue_text(self.pool, session_id, self.texts(
                Text.TAKEN, manager=manager.full_name, name=customer_name(facts), session_id=session_id))
        self.desk.wake()
        log.info("chat_handed_to_human", session=session_id, started=started, by_manager=manager is not None)
        return started

    async def escalated(self, escalation: Escalation) -> None:
        """The agent's NotifyManagers: a dialog that needs a human goes quiet at once; a payment proof or a model
        outage gets a card with the button, and the managers decide."""
        if self.desk.chat_id is None:
            log.warning("escalation_without_managers_chat", kind=escalation.kind.value)
            return
        headline = self.texts(HEADLINES[escalation.kind])
        snapshot = session_snapshot(escalation.dialog, escalation.session_id) if escalation.dialog else None
        if escalation.kind is EscalationKind.ASKED:
            await self.take(escalation.session_id, None, headline, escalation.reason, snapshot)
            return
        text, buttons = await escalation_card(self.pool, self.texts, escalation.session_id, headline,
                                              escalation.reason, snapshot)
        await handoffs.enqueue_text(self.pool, escalation.session_id, text, buttons)
        for message_id in escalation.attachments:  # the receipt itself, not only a card about it
            await managers_chat.enqueue_copy(self.pool, escalation.session_id, int(escalation.session_id), message_id)
        self.desk.wake()

    async def release(self, session_id: str, manager: User, dialog: CompiledStateGraph) -> bool:
        """Back to the AI, which first gets the human part of the conversation; False when it was not human."""
        handoff = await handoffs.open_handoff(self.pool, session_id)
        if handoff is None:
            return False
        said = await handoffs.human_part(self.pool, session_id, handoff.started_at)
        config = {"configurable": {"thread_id": session_id}}
        # As the escalate node: its only edge leads to the end, so the update leaves no step pending.
        await dialog.aupdate_state(config, {"messages": self.human_messages(said, handoff.started_at)},
                                   as_node="escalate")
        await handoffs.end_handoff(self.pool, session_id, manager.id, datetime.now(UTC))
        log.info("chat_returned_to_ai", session=session_id, messages=len(said))
        return True

    def human_messages(self, said: list[asyncpg.Record], started: datetime) -> list[BaseMessage]:
        mark = int(started.timestamp())
        messages: list[BaseMessage] = [AIMessage(self.texts(Text.HUMAN_NOTE), id=f"handoff-{mark}-start")]
        for row in said:
            if row["role"] == "user":
                messages.append(HumanMessage(row["content"], id=f"handoff-{row['id']}"))
            else:
                messages.append(AIMessage(self.texts(Text.MANAGER_SAID, text=row["content"]),
                                          id=f"handoff-{row['id']}"))
        messages.append(AIMessage(self.texts(Text.RELEASE_NOTE), id=f"handoff-{mark}-end"))
        return messages
