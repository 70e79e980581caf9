"""Our LangGraph checkpointer on the asyncpg pool (storage/checkpoints.py) against real Postgres: a dialog goes on
from what it saved, only the latest checkpoint is kept, rows the stock psycopg `AsyncPostgresSaver` wrote (existing
deployments have them) are read and pruned, threads are deleted, and a turn's save waits for the turn's closing;
through the bot: a chat resumes after a restart of the process, and /restart starts it over."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated, Any, TypedDict

import asyncpg
import pytest
import pytest_asyncio
from langchain_core.messages import AIMessage, AnyMessage, HumanMessage
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.graph.state import CompiledStateGraph

from storage.checkpoint_sql import latest_checkpoint_sql, save_ctes
from storage.checkpoints import TURN_KEY, LatestCheckpointSaver, TurnCheckpoint
from storage.migrate import setup_checkpointer
from tests.harness import Wire, running_bot


class Dialog(TypedDict):
    messages: Annotated[list[AnyMessage], add_messages]
    turns: int


def reply(state: Dialog) -> dict[str, Any]:
    turns = state.get("turns", 0) + 1
    return {"messages": [AIMessage(f"Відповідь {turns}")], "turns": turns}


def dialog(checkpointer: Any) -> CompiledStateGraph:
    graph = StateGraph(Dialog)
    graph.add_node("reply", reply)
    graph.add_edge(START, "reply")
    graph.add_edge("reply", END)
    return graph.compile(checkpointer=checkpointer)


@pytest_asyncio.fixture(scope="module")
async def saver(db: asyncpg.Pool) -> LatestCheckpointSaver:
    # Two processes starting together both run LangGraph's migrations: neither fails.
    first, second = LatestCheckpointSaver(db), LatestCheckpointSaver(db)
    await asyncio.gather(setup_checkpointer(first), setup_checkpointer(second))
    return first


@pytest_asyncio.fixture(scope="module")
async def stock(database_url: str, saver: LatestCheckpointSaver) -> AsyncIterator[AsyncPostgresSaver]:
    async with AsyncPostgresSaver.from_conn_string(database_url) as stock_saver:
        await stock_saver.setup()  # nothing left to do after ours: the same migrations
        yield stock_saver


async def talk(graph: CompiledStateGraph, thread: str, *texts: str, **configurable: Any) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for text in texts:
        result = await graph.ainvoke({"messages": [HumanMessage(text)]},
                                     {"configurable": {"thread_id": thread, **configurable}}, durability="exit")
    return result


async def kept(db: asyncpg.Pool, thread: str) -> tuple[int, int, int]:
    """Rows the thread keeps: checkpoints, blobs, pending writes."""
    row = await db.fetchrow(
        """SELECT (SELECT count(*) FROM checkpoints WHERE thread_id = $1) AS checkpoints,
                  (SELECT count(*) FROM checkpoint_blobs WHERE thread_id = $1) AS blobs,
                  (SELECT count(*) FROM checkpoint_writes WHERE thread_id = $1) AS writes""", thread)
    return row["checkpoints"], row["blobs"], row["writes"]


def words(state: dict[str, Any]) -> list[str]:
    return [m.content for m in state["messages"]]


async def test_a_dialog_goes_on_from_its_one_kept_checkpoint(saver: LatestCheckpointSaver, db: asyncpg.Pool) -> None:
    graph = dialog(saver)
    await talk(graph, "c1", "Привіт", "Є сукні?")
    one_blob_each = await kept(db, "c1")
    await talk(dialog(LatestCheckpointSaver(db)), "c1", "Зріст 128")  # another process: only the database is shared
    state = (await graph.aget_state({"configurable": {"thread_id": "c1"}})).values
    assert words(state) == ["Привіт", "Відповідь 1", "Є сукні?", "Відповідь 2", "Зріст 128", "Відповідь 3"]
    assert state["turns"] == 3
    assert await kept(db, "c1") == one_blob_each and one_blob_each[0] == 1  # not growing with the dialog
    listed = [c async for c in saver.alist({"configurable": {"thread_id": "c1"}})]
    assert len(listed) == 1 and listed[0].checkpoint["channel_values"]["turns"] == 3


async def test_a_thread_the_stock_saver_wrote_is_read_continued_and_pruned(
    saver: LatestCheckpointSaver, stock: AsyncPostgresSaver, db: asyncpg.Pool
) -> None:
    await talk(dialog(stock), "c2", "Добрий день", "Шукаю костюм")
    await talk(dialog(stock), "c3", "Є шапки?")
    assert (await kept(db, "c2"))[0] == 2  # the stock saver keeps every checkpoint: one per run
    theirs = await stock.aget_tuple({"configurable": {"thread_id": "c2"}})
    ours = await saver.aget_tuple({"configurable": {"thread_id": "c2"}})
    assert ours is not None and theirs is not None
    assert (ours.config, ours.checkpoint, ours.metadata, ours.parent_config, ours.pending_writes) == (
        theirs.config, theirs.checkpoint, theirs.metadata, theirs.parent_config, theirs.pending_writes)
    history = [c.config async for c in saver.alist({"configurable": {"thread_id": "c2"}}, limit=2)]
    assert history == [c.config async for c in stock.alist({"configurable": {"thread_id": "c2"}}, limit=2)]
    older = [c async for c in saver.alist({"configurable": {"thread_id": "c2"}}, before=ours.config)]
    assert len(older) == (await kept(db, "c2"))[0] - 1
    assert [c.metadata["step"] async for c in saver.alist(None, filter={"step": 1})] == [1, 1]

    await saver.aprune(["c2", "c3"], strategy="keep_latest")
    assert (await kept(db, "c2"))[0] == 1 and (await kept(db, "c3"))[0] == 1
    state = await talk(dialog(saver), "c2", "На 6 років")
    assert words(state) == ["Добрий день", "Відповідь 1", "Шукаю костюм", "Відповідь 2", "На 6 років", "Відповідь 3"]
    assert words((await dialog(stock).aget_state({"configurable": {"thread_id": "c2"}})).values) == words(state)
    await saver.aprune(["c3"], strategy="delete")
    assert await kept(db, "c3") == (0, 0, 0)
    with pytest.raises(TypeError):
        await saver.aprune("c2")


async def test_deleting_a_thread_leaves_the_others(saver: LatestCheckpointSaver, db: asyncpg.Pool) -> None:
    graph = dialog(saver)
    await talk(graph, "c4", "Привіт")
    await talk(graph, "c5", "Привіт")
    await saver.adelete_thread("c4")
    assert await kept(db, "c4") == (0, 0, 0)
    assert (await kept(db, "c5"))[0] == 1
    assert words(await talk(graph, "c4", "Знову я")) == ["Знову я", "Відповідь 1"]


async def test_a_turns_run_reads_the_prefetched_checkpoint_and_saves_only_when_the_turn_closes(
    saver: LatestCheckpointSaver, db: asyncpg.Pool
) -> None:
    graph = dialog(saver)
    await talk(graph, "c6", "Привіт")
    before = await db.fetchrow(latest_checkpoint_sql("$1"), "c6")
    turn = TurnCheckpoint("c6", dict(before))
    await db.execute("DELETE FROM checkpoints WHERE thread_id = 'c6'")  # the run must not read it again...
    state = await talk(graph, "c6", "Є сукні?", **{TURN_KEY: turn})
    assert words(state) == ["Привіт", "Відповідь 1", "Є сукні?", "Відповідь 2"]  # ...it had it from the opening
    assert (await kept(db, "c6"))[0] == 0  # and saved nothing itself
    args = turn.save_args()
    assert args is not None and TURN_KEY not in args[5]  # the turn's object is not in the checkpoint's metadata
    await db.execute(f"WITH {save_ctes(1)} SELECT 1", *args)  # what close_turn runs with its own statements
    assert (await kept(db, "c6"))[0] == 1
    assert words(await talk(graph, "c6", "Зріст 128"))[-2:] == ["Зріст 128", "Відповідь 3"]
    fresh = TurnCheckpoint("c7", None)  # a chat with no checkpoint yet
    assert words(await talk(graph, "c7", "Привіт", **{TURN_KEY: fresh})) == ["Привіт", "Відповідь 1"]
    assert await kept(db, "c7") == (0, 0, 0) and fresh.save is not None


async def test_a_chat_resumes_after_a_restart_of_the_process_and_starts_over_on_restart(
    wire: Wire, db: asyncpg.Pool
) -> None:
    chat = 1801
    async with running_bot(wire):
        wire.telegram.send(chat, "Шукаю сукню доньці")
        await wire.telegram.wait_for_messages(chat, 1)
    async with running_bot(wire):  # a new process: the dialog is read from the database
        wire.telegram.send(chat, "Зріст 128")
        await wire.telegram.wait_for_messages(chat, 2)
        wire.telegram.send(chat, "/restart")
        await wire.telegram.wait_for_messages(chat, 3)
        wire.telegram.send(chat, "Є піжами?")
        await wire.telegram.wait_for_messages(chat, 4)
    prompts = [[m["content"] for m in r["messages"] if m["role"] != "system"]
               for r in wire.openai.requests_for("reply")]
    assert prompts[1] == ["Шукаю сукню доньці", "Відповідь на: Шукаю сукню доньці", "Зріст 128"]
    assert prompts[2] == ["Є піжами?"]  # /restart deleted the dialog
    assert (await kept(db, str(chat)))[0] == 1
