"""Opening a customer's turn in one round trip: the customer's words stored, and what the turn needs to know (the
chat's checkpoint too) read in the same statement; closing it in another: the answer, the session, the traces and
the checkpoint saved together (a turn's queries one by one were most of its Postgres round trips)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from storage.checkpoint_sql import CHECKPOINT_COLUMNS, latest_checkpoint_sql, save_ctes
from storage.sanitize import clean_text
from storage.turn_checkpoint import TurnCheckpoint
from storage.traces import UNANSWERED, LlmCall, record_llm_calls, trace_arrays, traces_cte


# The dialog's own model calls: a turn is one trace_id of these (other calls, a transcription say, are not turns).
DIALOG_NODES = ("sales", "vision")
# Tags of the assistant's words that never enter the dialog: the apology while the model (or the transcription) is
# down, and the shop's fixed word for what the model does not read (a sticker, a message too long). Neither ends
# the follow-ups' window: the nudge the customer answers next must still reach the model (a failed try saves no
# checkpoint, and a declined message never runs the graph).
APOLOGY_TAG, DECLINED_TAG = "llm_unavailable", "declined"


@dataclass(frozen=True)
class TurnOpening:
    # (message id, text) of follow-ups sent after the bot's last reply in the dialog (not APOLOGY_TAG, DECLINED_TAG)
    followups: list[tuple[int, str]]
    # The chat's turns the model answered in the last hour (DIALOG_NODES' trace_ids with a call that got an answer):
    # a try that failed for an outage (error_category UNANSWERED) is not the customer's turn, or a
    # message retried through an outage would count once per try and end in the pause message.
    turns_last_hour: int
    remembered: bool  # the customer has a memory profile: worth looking up for the prompt
    checkpoint: TurnCheckpoint  # the chat's latest LangGraph checkpoint, for the turn's run of the graph


async def open_turn(pool: asyncpg.Pool, session_id: str, user_id: str,
                    questions: Sequence[tuple[int, str, bool]]) -> TurnOpening:
    """Store the customer's messages of this turn (`questions`: (update_id, text, spoken: a voice note's words,
    tagged 'voice'); a replayed turn's are stored once) and read the follow-ups the customer may be answering, the
    turn count for the hourly budget, whether there is a memory to look up and the chat's latest LangGraph
    checkpoint (for the turn's `aget_tuple`) — one statement, one transaction."""
    row = await pool.fetchrow(
        f"""WITH stored AS (
               INSERT INTO messages (session_id, user_id, role, content, tags, update_id)
               SELECT $1, $2, 'user', q.content, CASE WHEN q.spoken THEN ARRAY['voice'] ELSE '{{}}' END, q.update_id
               FROM unnest($3::bigint[], $4::text[], $6::boolean[]) AS q (update_id, content, spoken)
               ON CONFLICT (update_id, role) WHERE update_id IS NOT NULL DO NOTHING)
           SELECT
               (SELECT coalesce(array_agg(ARRAY[m.id::text, m.content] ORDER BY m.id), '{{}}')
                FROM messages m
                WHERE m.session_id = $1 AND m.role = 'assistant' AND 'followup' = ANY(m.tags)
                  AND m.created_at > coalesce((SELECT max(created_at) FROM messages
                                               WHERE session_id = $1 AND role = 'assistant'
                                                 AND NOT tags && ARRAY['followup', $8, $9]::text[]),
                                            '-infinity')) AS followups,
               (SELECT count(DISTINCT trace_id) FROM llm_traces
                WHERE session_id = $1 AND created_at > now() - interval '1 hour'
                  AND node_name = ANY($5::text[]) AND error_category IS DISTINCT FROM $7) AS turns,
               EXISTS (SELECT 1 FROM mirt_profiles WHERE user_id = $2) AS remembered,
               ck.*
           FROM (SELECT 1) AS one LEFT JOIN LATERAL ({latest_checkpoint_sql("$1")}) AS ck ON true""",
        session_id, user_id, [q[0] for q in questions], [clean_text(q[1]) for q in questions], list(DIALOG_NODES),
        [q[2] for q in questions], UNANSWERED, APOLOGY_TAG, DECLINED_TAG,
    )
    checkpoint = {c: row[c] for c in CHECKPOINT_COLUMNS} if row["checkpoint_id"] is not None else None
    return TurnOpening([(int(i), text) for i, text in row["followups"]], row["turns"], row["remembered"],
                       TurnCheckpoint(session_id, checkpoint))


async def close_turn(pool: asyncpg.Pool, session_id: str, user_id: str, answer: str, update_id: int,
                     state: dict[str, Any], traces: Sequence[LlmCall] = (),
                     checkpoint: TurnCheckpoint | None = None) -> None:
    """Store the turn's answer (a replayed turn's once), the session's new state (`agent_sessions.state`), the
    traces of the turn's model calls (already masked) and their usage lines, and the checkpoint the turn's run of
    the graph saved (`checkpoint`, kept as the chat's only one): one statement, one transaction."""
    save = checkpoint.save_args() if checkpoint else None
    await pool.execute(
        f"""WITH answer AS (
                INSERT INTO messages (session_id, user_id, role, content, tags, update_id)
                VALUES ($1, $2, 'assistant', $3, '{{}}', $4)
                ON CONFLICT (update_id, role) WHERE update_id IS NOT NULL DO NOTHING),
            session AS (
                INSERT INTO agent_sessions (session_id, state) VALUES ($1, $5)
                ON CONFLICT (session_id) DO UPDATE SET state = EXCLUDED.state, updated_at = now()),
            {traces_cte(6)}{f", {save_ctes(21)}" if save else ""}
            SELECT 1""",
        session_id, user_id, clean_text(answer), update_id, state, *trace_arrays(traces), *(save or ()),
    )


async def store_traces(pool: asyncpg.Pool, traces: Sequence[LlmCall]) -> None:
    """Store a turn's traces (already masked) when the turn ends without closing: the model was down."""
    await record_llm_calls(pool, traces)
