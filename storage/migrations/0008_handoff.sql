-- Admins and human handoff (issue 9): who handles a chat, what the bot posts into the managers' chat, order cards.

-- A chat handed to a human: open while released_at is NULL, at most one open per chat. agent_sessions.human_since
-- is set and cleared together with it (the follow-up and CRM sweeps read that column). taken_by is the manager who
-- took the chat (NULL while nobody has, after the agent handed it over by itself).
CREATE TABLE handoffs (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id         TEXT NOT NULL,
    reason             TEXT NOT NULL,
    taken_by           BIGINT,
    taken_by_name      TEXT,
    started_at         TIMESTAMPTZ NOT NULL,
    manager_replied_at TIMESTAMPTZ,
    realerted_at       TIMESTAMPTZ,
    released_at        TIMESTAMPTZ,
    released_by        BIGINT
);
CREATE UNIQUE INDEX handoffs_open_uidx ON handoffs (session_id) WHERE released_at IS NULL;
CREATE INDEX handoffs_started_idx ON handoffs (started_at);
ALTER TABLE handoffs ENABLE ROW LEVEL SECURITY;

-- Everything the bot posts into the managers' chat, stored before it is sent and sent in id order by one task at
-- the group's pace, so a burst of customers queues instead of being dropped and a restart loses nothing.
-- kind 'copy': a customer's message (payload from_chat_id, message_id); 'text': a card or notice (text, buttons).
-- update_id makes a replayed turn enqueue its message once. managers_message_id is what it became in the managers'
-- chat: a manager's reply to it goes to the customer of session_id.
CREATE TABLE managers_outbox (
    id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id          TEXT,
    kind                TEXT NOT NULL CHECK (kind IN ('copy', 'text')),
    payload             JSONB NOT NULL,
    update_id           BIGINT UNIQUE,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_at             TIMESTAMPTZ,
    managers_message_id BIGINT,
    error               TEXT
);
CREATE INDEX managers_outbox_pending_idx ON managers_outbox (id) WHERE sent_at IS NULL AND error IS NULL;
CREATE INDEX managers_outbox_message_idx ON managers_outbox (managers_message_id);
ALTER TABLE managers_outbox ENABLE ROW LEVEL SECURITY;

-- The customer's topic when the managers' chat is a forum.
CREATE TABLE manager_topics (
    session_id TEXT PRIMARY KEY,
    thread_id  BIGINT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
ALTER TABLE manager_topics ENABLE ROW LEVEL SECURITY;

-- One card per order in the managers' chat; paid_notice_at is claimed before the customer hears the payment was
-- confirmed, so a second press (or a second manager) does not tell them twice.
CREATE TABLE order_cards (
    order_id       BIGINT PRIMARY KEY REFERENCES orders (id) ON DELETE CASCADE,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    paid_notice_at TIMESTAMPTZ,
    decided_by     BIGINT
);
ALTER TABLE order_cards ENABLE ROW LEVEL SECURITY;
