-- Scheduled work (issue 7): follow-ups, job runs, the daily LLM usage roll-up.

-- A chat is handled by a manager while this is set (the Admin issue sets and clears it); no follow-ups meanwhile.
ALTER TABLE agent_sessions ADD COLUMN IF NOT EXISTS human_since TIMESTAMPTZ;

-- Where each conversation stands, in one place for every sweep that needs it. The completed-order rule is the
-- contract shared with the sales dialog: the dialog reached its end, or an order was created after the customer's
-- last message. System rows do not count as anyone speaking. security_invoker: the view reads with the caller's
-- rights, so it does not open messages to API keys that row level security keeps out (Supabase).
CREATE VIEW conversation_status WITH (security_invoker = true) AS
SELECT s.session_id,
       s.state,
       s.human_since,
       customer.id         AS last_customer_message_id,
       customer.user_id    AS customer_id,
       customer.created_at AS last_customer_at,
       latest.role         AS last_speaker,
       latest.created_at   AS last_message_at,
       (coalesce(s.state ->> 'current_state' = 'STATE_7_END', false)
        OR coalesce(s.state ->> 'dialog_phase' = 'COMPLETED', false)
        OR EXISTS (SELECT 1 FROM orders o
                   WHERE o.session_id = s.session_id AND o.created_at > customer.created_at)) AS order_completed
FROM agent_sessions s
LEFT JOIN LATERAL (
    SELECT m.id, m.user_id, m.created_at FROM messages m
    WHERE m.session_id = s.session_id AND m.role = 'user'
    ORDER BY m.created_at DESC, m.id DESC LIMIT 1
) customer ON true
LEFT JOIN LATERAL (
    SELECT m.role, m.created_at FROM messages m
    WHERE m.session_id = s.session_id AND m.role IN ('user', 'assistant')
    ORDER BY m.created_at DESC, m.id DESC LIMIT 1
) latest ON true;

-- One row per follow-up, claimed (committed) before it is sent: the unique key makes a second sweep, or a sweep
-- restarted after a crash, skip it. A claim without sent_at was cut off mid-send and is never retried (at most once).
-- A silence is identified by the customer's last message; sequence counts the nudges of that silence (1, 2, …),
-- and the managers' alert is kind 'alert' with sequence 1.
CREATE TABLE followups (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id       TEXT NOT NULL,
    after_message_id BIGINT NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('nudge', 'alert')),
    sequence         INT NOT NULL CHECK (sequence > 0),
    template         TEXT NOT NULL,
    claimed_at       TIMESTAMPTZ NOT NULL,
    sent_at          TIMESTAMPTZ,
    outcome          TEXT CHECK (outcome IN ('sent', 'blocked', 'failed')),
    error            TEXT,
    UNIQUE (session_id, after_message_id, kind, sequence)
);
ALTER TABLE followups ENABLE ROW LEVEL SECURITY;

-- Every run of a scheduled job, for the admins' /status. A run still 'running' when the next run of the same job
-- takes the lock belonged to a process that died: it is closed as 'abandoned'.
CREATE TABLE job_runs (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job         TEXT NOT NULL,
    started_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    outcome     TEXT NOT NULL CHECK (outcome IN ('running', 'ok', 'failed', 'abandoned')),
    counts      JSONB NOT NULL DEFAULT '{}'::jsonb,
    error       TEXT
);
CREATE INDEX job_runs_job_started_idx ON job_runs (job, started_at DESC);
ALTER TABLE job_runs ENABLE ROW LEVEL SECURITY;

-- LLM cost and tokens per model per day (the shop's day, Europe/Kyiv by default), rebuilt from llm_usage.
CREATE TABLE llm_usage_daily (
    day        DATE NOT NULL,
    model      VARCHAR(100) NOT NULL,
    calls      INT NOT NULL,
    tokens_in  BIGINT NOT NULL,
    tokens_out BIGINT NOT NULL,
    cost       NUMERIC(14, 6) NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (day, model)
);
ALTER TABLE llm_usage_daily ENABLE ROW LEVEL SECURITY;
