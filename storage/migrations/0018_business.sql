-- Telegram Business (issue 18): the shop's own Telegram account answered by the assistant through a connection.

-- One row per business connection Telegram told us about (business_connection updates, getBusinessConnection).
-- owner_id is the account's user: a business_message from them (not sent by the bot) is the owner typing by hand.
-- alerted_at is set when the managers were told the connection cannot be used, cleared when it can again, so they
-- hear it once per outage.
CREATE TABLE business_connections (
    id          TEXT PRIMARY KEY,
    owner_id    BIGINT NOT NULL,
    owner_name  TEXT NOT NULL,
    is_enabled  BOOLEAN NOT NULL,
    can_reply   BOOLEAN NOT NULL,
    alerted_at  TIMESTAMPTZ,
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
ALTER TABLE business_connections ENABLE ROW LEVEL SECURITY;

-- A customer chat reached through a connection: everything the bot sends there goes through connection_id. The
-- session id stays the chat id, so a business chat is a customer chat like any other. opened_by_customer: the first
-- message seen in the chat came from the customer (BUSINESS_CHATS=new answers only such chats).
CREATE TABLE business_chats (
    chat_id             BIGINT PRIMARY KEY,
    connection_id       TEXT NOT NULL REFERENCES business_connections (id) ON DELETE CASCADE,
    opened_by_customer  BOOLEAN NOT NULL,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX business_chats_connection_idx ON business_chats (connection_id);
ALTER TABLE business_chats ENABLE ROW LEVEL SECURITY;
