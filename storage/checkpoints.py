"""LangGraph's Postgres checkpointer keeping only each chat's latest checkpoint.

The stock `AsyncPostgresSaver` keeps every checkpoint a thread ever had, and every version of every channel blob:
a chat's storage grows with the square of its length (the message list is rewritten each turn). Nothing here reads
an older checkpoint: turns run with durability="exit" (one checkpoint per turn) and a turn cut short is replayed
whole from the inbox, not resumed from a checkpoint. So each save also deletes what the new checkpoint no longer
needs, in the same statement: one round trip per turn instead of one per blob, and nothing piles up.
"""

from __future__ import annotations

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    get_serializable_checkpoint_metadata,
)
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from psycopg.types.json import Jsonb

# The whole save in one statement (the pool's connections are in autocommit, as LangGraph requires, so a statement is
# a transaction): the new channel blobs and the checkpoint written, the older checkpoints, their pending writes and
# the blobs the new one does not reference deleted. Statements of one query see one snapshot, so the deletes never
# see the rows this save inserts.
_SAVE = """
    WITH blobs AS (
        INSERT INTO checkpoint_blobs (thread_id, checkpoint_ns, channel, version, type, blob)
        SELECT %(thread)s, %(ns)s, b.channel, b.version, b.type, b.blob
        FROM unnest(%(blob_channels)s::text[], %(blob_versions)s::text[], %(blob_types)s::text[],
                    %(blobs)s::bytea[]) AS b (channel, version, type, blob)
        ON CONFLICT (thread_id, checkpoint_ns, channel, version) DO NOTHING),
    saved AS (
        INSERT INTO checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, checkpoint, metadata)
        VALUES (%(thread)s, %(ns)s, %(kept)s, %(parent)s, %(checkpoint)s, %(metadata)s)
        ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id)
        DO UPDATE SET checkpoint = EXCLUDED.checkpoint, metadata = EXCLUDED.metadata),
    writes AS (
        DELETE FROM checkpoint_writes
        WHERE thread_id = %(thread)s AND checkpoint_ns = %(ns)s AND checkpoint_id <> %(kept)s),
    older AS (
        DELETE FROM checkpoints
        WHERE thread_id = %(thread)s AND checkpoint_ns = %(ns)s AND checkpoint_id <> %(kept)s)
    DELETE FROM checkpoint_blobs
    WHERE thread_id = %(thread)s AND checkpoint_ns = %(ns)s
      AND (channel, version) NOT IN (SELECT * FROM unnest(%(channels)s::text[], %(versions)s::text[]))"""


class LatestCheckpointSaver(AsyncPostgresSaver):
    """`AsyncPostgresSaver` whose `aput` writes the checkpoint and deletes the thread's older checkpoints, their
    pending writes and the blobs the new one does not reference, all in one statement (one round trip). Needs a
    connection pool in autocommit (not one shared connection in pipeline mode). Channels that are deltas
    (`DeltaChannel`) are not supported: their history is the older checkpoints."""

    async def aput(self, config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata,
                   new_versions: ChannelVersions) -> RunnableConfig:
        configurable = config["configurable"]
        thread_id, namespace = configurable["thread_id"], configurable["checkpoint_ns"]
        values = dict(checkpoint["channel_values"])
        blobs = {k: values.pop(k) for k, v in checkpoint["channel_values"].items()
                 if not (v is None or isinstance(v, str | int | float | bool))}
        versions = checkpoint["channel_versions"]
        written = {k: v for k, v in new_versions.items() if k in blobs}
        dumped = self._dump_blobs(thread_id, namespace, blobs, written)  # (thread, ns, channel, version, type, blob)
        async with self._cursor() as cur:
            await cur.execute(_SAVE, {
                "thread": thread_id, "ns": namespace, "kept": checkpoint["id"],
                "parent": configurable.get("checkpoint_id"),
                "checkpoint": Jsonb({**checkpoint, "channel_values": values}),
                "metadata": Jsonb(get_serializable_checkpoint_metadata(config, metadata)),
                "blob_channels": [d[2] for d in dumped], "blob_versions": [d[3] for d in dumped],
                "blob_types": [d[4] for d in dumped], "blobs": [d[5] for d in dumped],
                "channels": list(versions), "versions": [str(v) for v in versions.values()]})
        return {"configurable": {"thread_id": thread_id, "checkpoint_ns": namespace,
                                 "checkpoint_id": checkpoint["id"]}}
