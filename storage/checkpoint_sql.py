"""The SQL of our LangGraph checkpointer, over asyncpg, on langgraph-checkpoint-postgres's own tables.

Kept apart from the saver so a turn's own statements (storage/turns.py) can read and write the chat's checkpoint in
the statements that open and close the turn: `latest_checkpoint_sql` joins the read into `open_turn`, and
`save_ctes` folds the save into `close_turn`.
"""

from __future__ import annotations

import itertools
import re
from functools import cache

from langgraph.checkpoint.postgres.base import SELECT_SQL

# The latest checkpoint of a thread's root namespace, as langgraph-checkpoint-postgres reads it (SELECT_SQL: the
# row, its blobs as `channel_values` and its pending writes), `{thread}` being the parameter holding the thread id.
_LATEST = SELECT_SQL + " WHERE thread_id = {thread} AND checkpoint_ns = '' ORDER BY checkpoint_id DESC LIMIT 1"

# Columns of SELECT_SQL, as `open_turn` returns them beside its own.
CHECKPOINT_COLUMNS = ("thread_id", "checkpoint", "checkpoint_ns", "checkpoint_id", "parent_checkpoint_id",
                      "metadata", "channel_values", "pending_writes")

SAVE_PARAMS = 18  # how many parameters `save_ctes` reads


def latest_checkpoint_sql(thread: str) -> str:
    """The SELECT of a thread's latest checkpoint; `thread` is the SQL naming its id (a parameter: "$1")."""
    return _LATEST.format(thread=thread)


def save_ctes(first: int) -> str:
    """The whole save of a checkpoint as CTEs reading parameters $first … $first+17 (`CheckpointSave.args`): the new
    channel blobs, the checkpoint and its pending writes written; the thread's older checkpoints, their pending
    writes and the blobs the new one does not reference deleted. All CTEs of one statement see one snapshot, so the
    deletes never see the rows this save inserts. Names taken: ckpt_blobs, ckpt_saved, ckpt_writes, ckpt_stale_writes,
    ckpt_older, ckpt_unused."""
    (thread, ns, kept, parent, checkpoint, metadata, blob_channels, blob_versions, blob_types, blobs, channels,
     versions, task_ids, task_paths, indexes, write_channels, write_types, write_blobs) = (
        f"${first + i}" for i in range(SAVE_PARAMS))
    return f"""ckpt_blobs AS (
        INSERT INTO checkpoint_blobs (thread_id, checkpoint_ns, channel, version, type, blob)
        SELECT {thread}::text, {ns}::text, b.channel, b.version, b.type, b.blob
        FROM unnest({blob_channels}::text[], {blob_versions}::text[], {blob_types}::text[], {blobs}::bytea[])
             AS b (channel, version, type, blob)
        ON CONFLICT (thread_id, checkpoint_ns, channel, version) DO NOTHING),
    ckpt_saved AS (
        INSERT INTO checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, checkpoint, metadata)
        VALUES ({thread}::text, {ns}::text, {kept}::text, {parent}::text, {checkpoint}::jsonb, {metadata}::jsonb)
        ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id)
        DO UPDATE SET checkpoint = EXCLUDED.checkpoint, metadata = EXCLUDED.metadata),
    ckpt_writes AS (
        INSERT INTO checkpoint_writes (thread_id, checkpoint_ns, checkpoint_id, task_id, task_path, idx, channel,
                                       type, blob)
        SELECT {thread}::text, {ns}::text, {kept}::text, w.task_id, w.task_path, w.idx, w.channel, w.type, w.blob
        FROM unnest({task_ids}::text[], {task_paths}::text[], {indexes}::int[], {write_channels}::text[],
                    {write_types}::text[], {write_blobs}::bytea[]) AS w (task_id, task_path, idx, channel, type, blob)
        ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id, task_id, idx)
        DO UPDATE SET channel = EXCLUDED.channel, type = EXCLUDED.type, blob = EXCLUDED.blob),
    ckpt_stale_writes AS (
        DELETE FROM checkpoint_writes
        WHERE thread_id = {thread}::text AND checkpoint_ns = {ns}::text AND checkpoint_id <> {kept}::text),
    ckpt_older AS (
        DELETE FROM checkpoints
        WHERE thread_id = {thread}::text AND checkpoint_ns = {ns}::text AND checkpoint_id <> {kept}::text),
    ckpt_unused AS (
        DELETE FROM checkpoint_blobs
        WHERE thread_id = {thread}::text AND checkpoint_ns = {ns}::text
          AND (channel, version) NOT IN (SELECT * FROM unnest({channels}::text[], {versions}::text[])))"""


SAVE_SQL = f"WITH {save_ctes(1)} SELECT 1"

WRITES_SQL = f"""
    INSERT INTO checkpoint_writes (thread_id, checkpoint_ns, checkpoint_id, task_id, task_path, idx, channel, type,
                                   blob)
    SELECT $1::text, $2::text, $3::text, w.task_id, w.task_path, w.idx, w.channel, w.type, w.blob
    FROM unnest($4::text[], $5::text[], $6::int[], $7::text[], $8::text[], $9::bytea[])
         AS w (task_id, task_path, idx, channel, type, blob)
    ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id, task_id, idx) DO {{}}"""
# LangGraph's rule (langgraph-checkpoint-postgres aput_writes): writes that are all special (an error, an
# interrupt…, WRITES_IDX_MAP) replace what a task wrote before; ordinary ones never overwrite.
UPSERT_WRITES_SQL = WRITES_SQL.format("UPDATE SET channel = EXCLUDED.channel, type = EXCLUDED.type, "
                                      "blob = EXCLUDED.blob")
INSERT_WRITES_SQL = WRITES_SQL.format("NOTHING")

# Every row of the threads, in one statement.
DELETE_THREADS_SQL = """
    WITH checkpoints_gone AS (DELETE FROM checkpoints WHERE thread_id = ANY($1::text[])),
         blobs_gone AS (DELETE FROM checkpoint_blobs WHERE thread_id = ANY($1::text[]))
    DELETE FROM checkpoint_writes WHERE thread_id = ANY($1::text[])"""

MIGRATIONS_DONE_SQL = "SELECT v FROM checkpoint_migrations ORDER BY v DESC LIMIT 1"
# Another process running the same migration at the same time recorded it too (each is IF NOT EXISTS).
MIGRATION_DONE_SQL = "INSERT INTO checkpoint_migrations (v) VALUES ($1) ON CONFLICT (v) DO NOTHING"


@cache
def numbered(sql: str) -> str:
    """A psycopg query of langgraph-checkpoint-postgres (`%s` placeholders) with asyncpg's ($1, $2, …). Only for
    its constant prune queries, which hold no other `%`."""
    counter = itertools.count(1)
    return re.sub("%s", lambda _: f"${next(counter)}", sql)
