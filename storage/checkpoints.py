"""LangGraph's checkpointer over our asyncpg pool, keeping only each chat's latest checkpoint.

One driver: the process talks to Postgres through one asyncpg pool; this saver keeps langgraph-checkpoint-postgres's
tables, migrations and serialisation (`BasePostgresSaver`: `_dump_blobs`, `_load_blobs`, `_dump_writes`,
`_load_writes`, the serde), so rows the stock `AsyncPostgresSaver` wrote are read as they are, and only the
statements are ours.

Only the latest checkpoint is kept. The stock saver keeps every checkpoint a thread ever had, and every version of
every channel blob: a chat's storage grows with the square of its length (the message list is rewritten each turn).
Nothing here reads an older checkpoint: turns run with durability="exit" (one checkpoint per turn) and a turn cut
short is replayed whole from the inbox, not resumed from a checkpoint. So each save also deletes what the new
checkpoint no longer needs, in the same statement.

A customer's turn goes further (`TurnCheckpoint`): its checkpoint is read by the statement that opens the turn and
saved by the statement that closes it, so the turn's answer and its checkpoint are saved together or not at all. A
turn that fails after the graph ran leaves the dialog as it was before the turn, and the inbox replays it whole.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import asyncpg
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    WRITES_IDX_MAP,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
    get_checkpoint_id,
    get_serializable_checkpoint_metadata,
)
from langgraph.checkpoint.postgres.base import PRUNE_STRATEGIES, BasePostgresSaver, _keep_latest, _refuse_delta_threads

from storage.checkpoint_sql import (
    DELETE_THREADS_SQL, INSERT_WRITES_SQL, MIGRATION_DONE_SQL, MIGRATIONS_DONE_SQL, SAVE_SQL, UPSERT_WRITES_SQL,
    latest_checkpoint_sql, numbered,
)
from storage.turn_checkpoint import TURN_KEY, TurnCheckpoint, columns, save_of, writes_of

__all__ = ["TURN_KEY", "LatestCheckpointSaver", "TurnCheckpoint"]


class LatestCheckpointSaver(BasePostgresSaver):
    """A LangGraph checkpointer on asyncpg `pool` (ours: jsonb decoded to Python objects, see storage/database.py)
    whose `aput` writes the checkpoint and deletes the thread's older checkpoints, their pending writes and the
    blobs the new one does not reference, all in one statement. A run whose config carries a `TurnCheckpoint`
    under `TURN_KEY` reads the checkpoint that turn's opening fetched and leaves its save to the turn's closing.

    Not supported (our graph has none): channels that are deltas (`DeltaChannel`, whose history is the older
    checkpoints) and the migration of pending sends of checkpoints older than format 4 (LangGraph < 0.2.24)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        super().__init__()
        self._pool = pool

    async def setup(self) -> None:
        """langgraph-checkpoint-postgres's migrations (MIGRATIONS, numbered by position), each its own statement
        outside a transaction: CREATE INDEX CONCURRENTLY cannot run in one. Raises asyncpg's UniqueViolationError,
        DuplicateTableError or DuplicateObjectError when another process runs the same step at the same time."""
        await self._pool.execute(self.MIGRATIONS[0])
        done = await self._pool.fetchval(MIGRATIONS_DONE_SQL)
        for version in range(0 if done is None else done + 1, len(self.MIGRATIONS)):
            await self._pool.execute(self.MIGRATIONS[version])
            await self._pool.execute(MIGRATION_DONE_SQL, version)

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        """The checkpoint `config` names (`checkpoint_id`), or the thread's latest; None when there is none. A
        turn's own read (`TURN_KEY`) is served from what its opening fetched, without a round trip."""
        configurable = config["configurable"]
        turn: TurnCheckpoint | None = configurable.get(TURN_KEY)
        if turn is not None and turn.serves(config):
            return self.checkpoint_tuple(turn.row) if turn.row else None
        thread_id, namespace = str(configurable["thread_id"]), configurable.get("checkpoint_ns", "")
        if checkpoint_id := get_checkpoint_id(config):
            row = await self._pool.fetchrow(
                self.SELECT_SQL + " WHERE thread_id = $1 AND checkpoint_ns = $2 AND checkpoint_id = $3",
                thread_id, namespace, checkpoint_id)
        elif namespace:
            row = await self._pool.fetchrow(
                self.SELECT_SQL + " WHERE thread_id = $1 AND checkpoint_ns = $2 ORDER BY checkpoint_id DESC LIMIT 1",
                thread_id, namespace)
        else:
            row = await self._pool.fetchrow(latest_checkpoint_sql("$1"), thread_id)
        return self.checkpoint_tuple(row) if row else None

    async def alist(self, config: RunnableConfig | None, *, filter: dict[str, Any] | None = None,
                    before: RunnableConfig | None = None, limit: int | None = None) -> AsyncIterator[CheckpointTuple]:
        """The checkpoints matching `config` (thread, namespace, checkpoint id), `filter` (metadata contains it)
        and `before` (older than that checkpoint), newest first, at most `limit`."""
        wheres: list[str] = []
        args: list[Any] = []

        def where(condition: str, value: Any) -> None:
            args.append(value)
            wheres.append(condition.format(f"${len(args)}"))

        if config:
            where("thread_id = {}", str(config["configurable"]["thread_id"]))
            if (namespace := config["configurable"].get("checkpoint_ns")) is not None:
                where("checkpoint_ns = {}", namespace)
            if checkpoint_id := get_checkpoint_id(config):
                where("checkpoint_id = {}", checkpoint_id)
        if filter:
            where("metadata @> {}::jsonb", filter)
        if before is not None:
            where("checkpoint_id < {}", get_checkpoint_id(before))
        query = self.SELECT_SQL + (" WHERE " + " AND ".join(wheres) if wheres else "") + " ORDER BY checkpoint_id DESC"
        if limit is not None:
            args.append(int(limit))
            query += f" LIMIT ${len(args)}"
        for row in await self._pool.fetch(query, *args):
            yield self.checkpoint_tuple(row)

    async def aput(self, config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata,
                   new_versions: ChannelVersions) -> RunnableConfig:
        """Save `checkpoint` as its thread's only one (SAVE_SQL, one statement); within a turn (`TURN_KEY`) it is
        handed to the turn, whose closing statement saves it."""
        configurable = config["configurable"]
        thread_id, namespace = str(configurable["thread_id"]), configurable["checkpoint_ns"]
        save = save_of(self, config, checkpoint, get_serializable_checkpoint_metadata(config, metadata),
                       new_versions)
        turn: TurnCheckpoint | None = configurable.get(TURN_KEY)
        if turn is not None and turn.owns(config):
            turn.keep(save)
        else:
            await self._pool.execute(SAVE_SQL, *save.args())
        return {"configurable": {"thread_id": thread_id, "checkpoint_ns": namespace,
                                 "checkpoint_id": checkpoint["id"]}}

    async def aput_writes(self, config: RunnableConfig, writes: Sequence[tuple[str, Any]], task_id: str,
                          task_path: str = "") -> None:
        """Store the writes of a task towards the checkpoint `config` names; within a turn they go with its save."""
        configurable = config["configurable"]
        rows = writes_of(self, config, writes, task_id, task_path)
        turn: TurnCheckpoint | None = configurable.get(TURN_KEY)
        if turn is not None and turn.owns(config):
            turn.add_writes(configurable["checkpoint_id"], rows)
            return
        query = UPSERT_WRITES_SQL if all(w[0] in WRITES_IDX_MAP for w in writes) else INSERT_WRITES_SQL
        await self._pool.execute(query, str(configurable["thread_id"]), configurable["checkpoint_ns"],
                                 configurable["checkpoint_id"], *columns(rows))

    async def adelete_thread(self, thread_id: str) -> None:
        """Every checkpoint, blob and pending write of the thread, in one statement."""
        await self._pool.execute(DELETE_THREADS_SQL, [str(thread_id)])

    async def aprune(self, thread_ids: Sequence[str], *, strategy: str = "keep_latest") -> None:
        """As `AsyncPostgresSaver.aprune`, with its own statements (langgraph-checkpoint-postgres's `_keep_latest`,
        one REPEATABLE READ transaction per thread): "keep_latest" keeps each namespace's latest checkpoint and
        what it needs; "delete" removes the threads. Raises TypeError for a single string, ValueError for another
        strategy, NotImplementedError for a thread using a DeltaChannel, asyncpg's SerializationError when another
        transaction changes a thread's rows meanwhile."""
        if isinstance(thread_ids, str):
            raise TypeError("thread_ids must be a sequence of thread IDs, not a str")
        if strategy not in PRUNE_STRATEGIES:
            raise ValueError(f"Unknown prune strategy: {strategy!r}")
        threads = [str(t) for t in thread_ids]
        if not threads:
            return
        if strategy == "delete":
            await self._pool.execute(DELETE_THREADS_SQL, threads)
            return
        async with self._pool.acquire() as conn:
            await _run(conn, _refuse_delta_threads(threads))
            for thread_id in threads:
                async with conn.transaction():
                    await _run(conn, _keep_latest(thread_id))

    def checkpoint_tuple(self, row: Mapping[str, Any]) -> CheckpointTuple:
        """A checkpoint row as SELECT_SQL reads it (its blobs in `channel_values`, `pending_writes`), loaded."""
        checkpoint = row["checkpoint"]
        thread = {"thread_id": row["thread_id"], "checkpoint_ns": row["checkpoint_ns"]}
        parent = row["parent_checkpoint_id"]
        return CheckpointTuple(
            {"configurable": {**thread, "checkpoint_id": row["checkpoint_id"]}},
            {**checkpoint, "channel_values": {**(checkpoint.get("channel_values") or {}),
                                              **self._load_blobs(row["channel_values"])}},
            row["metadata"],
            {"configurable": {**thread, "checkpoint_id": parent}} if parent else None,
            self._load_writes(row["pending_writes"]),
        )


async def _run(conn: asyncpg.Connection, statements: Any) -> None:
    """Drive one of langgraph-checkpoint-postgres's statement generators (`_keep_latest`): each yields (sql with
    %s placeholders, params, whether its rows are wanted) and is sent the rows."""
    try:
        sql, params, fetch = next(statements)
        while True:
            rows = await conn.fetch(numbered(sql), *params) if fetch else await conn.execute(numbered(sql), *params)
            sql, params, fetch = statements.send(rows if fetch else [])
    except StopIteration:
        pass

