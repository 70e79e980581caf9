"""LangGraph's Postgres checkpointer keeping only each chat's latest checkpoint.

The stock `AsyncPostgresSaver` keeps every checkpoint a thread ever had, and every version of every channel blob:
a chat's storage grows with the square of its length (the message list is rewritten each turn). Nothing here reads
an older checkpoint: turns run with durability="exit" (one checkpoint per turn) and a turn cut short is replayed
whole from the inbox, not resumed from a checkpoint. So each save also deletes what the new checkpoint no longer
needs, in the same transaction: one round trip's worth of commits per turn instead of one per blob, and nothing
piles up.
"""

from __future__ import annotations

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    ChannelVersions, Checkpoint, CheckpointMetadata, get_serializable_checkpoint_metadata,
)
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from psycopg.types.json import Jsonb

# One statement (one round trip): the older checkpoints, their pending writes, and the blobs the new one does not
# reference.
_DROP_OLDER = """
    WITH writes AS (
        DELETE FROM checkpoint_writes
        WHERE thread_id = %(thread)s AND checkpoint_ns = %(ns)s AND checkpoint_id <> %(kept)s),
    checkpoints AS (
        DELETE FROM checkpoints
        WHERE thread_id = %(thread)s AND checkpoint_ns = %(ns)s AND checkpoint_id <> %(kept)s)
    DELETE FROM checkpoint_blobs
    WHERE thread_id = %(thread)s AND checkpoint_ns = %(ns)s
      AND (channel, version) NOT IN (SELECT * FROM unnest(%(channels)s::text[], %(versions)s::text[]))"""


class LatestCheckpointSaver(AsyncPostgresSaver):
    """`AsyncPostgresSaver` whose `aput` writes the checkpoint and deletes the thread's older checkpoints, their
    pending writes and the blobs the new one does not reference, all in one transaction. Needs a connection pool
    (not one shared connection in pipeline mode). Channels that are deltas (`DeltaChannel`) are not supported: their
    history is the older checkpoints."""

    async def aput(self, config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata,
                   new_versions: ChannelVersions) -> RunnableConfig:
        configurable = config["configurable"]
        thread_id, namespace = configurable["thread_id"], configurable["checkpoint_ns"]
        values = dict(checkpoint["channel_values"])
        blobs = {k: values.pop(k) for k, v in checkpoint["channel_values"].items()
                 if not (v is None or isinstance(v, str | int | float | bool))}
        versions = checkpoint["channel_versions"]
        async with self._cursor() as cur, cur.connection.transaction():
            if written := {k: v for k, v in new_versions.items() if k in blobs}:
                # Serialised on the loop: a chat's state is a few KB (bounded), less than a thread hop costs.
                await cur.executemany(self.UPSERT_CHECKPOINT_BLOBS_SQL,
                                      self._dump_blobs(thread_id, namespace, blobs, written))
            await cur.execute(self.UPSERT_CHECKPOINTS_SQL, (
                thread_id, namespace, checkpoint["id"], configurable.get("checkpoint_id"),
                Jsonb({**checkpoint, "channel_values": values}),
                Jsonb(get_serializable_checkpoint_metadata(config, metadata))))
            await cur.execute(_DROP_OLDER, {"thread": thread_id, "ns": namespace, "kept": checkpoint["id"],
                                            "channels": list(versions),
                                            "versions": [str(v) for v in versions.values()]})
        return {"configurable": {"thread_id": thread_id, "checkpoint_ns": namespace,
                                 "checkpoint_id": checkpoint["id"]}}
