-- Sitniks CRM (issue 8): the order outbox's retry schedule, the chat status outbox, and alerts sent once.

-- crm_orders is the order outbox: pending → queued (claimed, attempts counted) → created → processing → shipped →
-- delivered, or cancelled / failed. next_attempt_at is when the sweep may touch the row again: the retry after a
-- backoff while it is queued, the next status poll once it is created. A queued row with attempts > 0 may already
-- exist in the CRM (a timeout, a killed process), so it is looked up by external_id before it is sent again.
-- shipped_notice_at is claimed before the customer is told about the shipment, so it is told at most once.
ALTER TABLE crm_orders
    ADD COLUMN attempts          INT NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    ADD COLUMN next_attempt_at   TIMESTAMPTZ,
    ADD COLUMN shipped_notice_at TIMESTAMPTZ;
CREATE INDEX crm_orders_due_idx ON crm_orders (next_attempt_at)
    WHERE status IN ('pending', 'queued', 'created', 'processing', 'shipped');

-- One row per chat and status the CRM chat should get, derived by the sync sweep from the conversation (first
-- touch, requisites shown, escalation) or added when the managers are alerted. The unique key makes each one happen
-- once however often it is derived; the sweep pushes pending rows in the order they arose.
CREATE TABLE crm_chat_statuses (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id      TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('taken', 'invoiced', 'attention')),
    state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'skipped')),
    attempts        INT NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at TIMESTAMPTZ,
    error           TEXT,
    created_at      TIMESTAMPTZ NOT NULL,
    done_at         TIMESTAMPTZ,
    UNIQUE (session_id, kind)
);
CREATE INDEX crm_chat_statuses_pending_idx ON crm_chat_statuses (created_at) WHERE state = 'pending';
ALTER TABLE crm_chat_statuses ENABLE ROW LEVEL SECURITY;

-- Alerts to the managers about the CRM, each claimed here before it is sent so it goes out once: a refused key
-- (keyed by the key's fingerprint, which also stops the sweep until the key changes), a plan limitation, an order
-- the CRM rejected, a manager name the CRM does not know.
CREATE TABLE crm_alerts (
    key        TEXT PRIMARY KEY,
    reason     TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
ALTER TABLE crm_alerts ENABLE ROW LEVEL SECURITY;
