-- The durable inbox: every Telegram update is stored before it is handled (DESIGN.md, "Nothing is lost").
-- A row without handled_at is handled again at the next start, in update_id order.
CREATE TABLE update_inbox (
    update_id   BIGINT PRIMARY KEY,
    chat_id     BIGINT,
    payload     JSONB NOT NULL,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    handled_at  TIMESTAMPTZ,
    attempts    INT NOT NULL DEFAULT 0,
    error       TEXT
);
CREATE INDEX update_inbox_pending_idx ON update_inbox (update_id) WHERE handled_at IS NULL;
CREATE INDEX update_inbox_handled_idx ON update_inbox (handled_at) WHERE handled_at IS NOT NULL;
ALTER TABLE update_inbox ENABLE ROW LEVEL SECURITY;

-- What a reply answered: lets a replayed turn see its own earlier reply and lets analytics pair questions and answers.
ALTER TABLE messages ADD COLUMN update_id BIGINT;

ALTER TABLE users
    ADD COLUMN last_name     TEXT,
    ADD COLUMN language_code TEXT,
    ADD COLUMN blocked_at    TIMESTAMPTZ,
    ADD COLUMN updated_at    TIMESTAMPTZ NOT NULL DEFAULT now();

-- A replayed turn must not store the same message twice.
CREATE UNIQUE INDEX messages_update_role_uidx ON messages (update_id, role) WHERE update_id IS NOT NULL;
