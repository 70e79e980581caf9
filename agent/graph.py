"""The conversation graph. Foundation slice: one node that answers with the model, history kept by the
checkpointer under thread_id = the chat. The sales dialog replaces the single node with the full flow."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, TypedDict
from uuid import UUID

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime

from agent.llm import CallContext, Llm

HISTORY_LIMIT = 30


class Conversation(TypedDict):
    messages: Annotated[list[AnyMessage], add_messages]


@dataclass(frozen=True)
class Turn:
    """What one turn is about, handed to nodes as LangGraph's run-scoped context."""

    trace_id: UUID
    session_id: str
    user_id: int | None
    turn_id: str


def as_openai(messages: list[AnyMessage]) -> list[dict[str, Any]]:
    roles = {"human": "user", "ai": "assistant", "system": "system"}
    return [{"role": roles[m.type], "content": m.content} for m in messages if m.type in roles]


def build_graph(llm: Llm, system_prompt: str, checkpointer: BaseCheckpointSaver) -> CompiledStateGraph:
    async def answer(state: Conversation, runtime: Runtime[Turn]) -> dict[str, Any]:
        turn = runtime.context
        ctx = CallContext(turn.trace_id, turn.session_id, turn.user_id, node_name="answer")
        prompt = [{"role": "system", "content": system_prompt}, *as_openai(state["messages"][-HISTORY_LIMIT:])]
        completion = await llm.chat(ctx, prompt)
        text = (completion.choices[0].message.content or "").strip()
        return {"messages": [AIMessage(content=text, id=f"reply-{turn.turn_id}")]}

    graph = StateGraph(Conversation, context_schema=Turn)
    graph.add_node("answer", answer)
    graph.add_edge(START, "answer")
    graph.add_edge("answer", END)
    return graph.compile(checkpointer=checkpointer)


def customer_message(text: str, turn_id: str) -> HumanMessage:
    # The id makes a replayed turn idempotent: add_messages replaces a message with the same id.
    return HumanMessage(content=text, id=f"update-{turn_id}")
