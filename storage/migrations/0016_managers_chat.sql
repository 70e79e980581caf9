-- Where the managers' group is now (issue 20). Telegram gives a group a new id when it becomes a supergroup and
-- answers the old one with 400 migrate_to_chat_id: the new id is kept here (keyed by the configured ADMIN_CHAT_ID)
-- and used from then on, across restarts, until ADMIN_CHAT_ID is changed.
CREATE TABLE managers_chat_moves (
    configured_id BIGINT PRIMARY KEY,
    current_id    BIGINT NOT NULL,
    moved_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
ALTER TABLE managers_chat_moves ENABLE ROW LEVEL SECURITY;
