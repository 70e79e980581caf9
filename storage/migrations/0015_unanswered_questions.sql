-- Customers' questions the shop's knowledge file did not cover: /questions shows this week's, grouped and counted,
-- so the shop knows what to add. Erased with the customer on /forget.
CREATE TABLE unanswered_questions (
    id         BIGSERIAL PRIMARY KEY,
    user_id    TEXT NOT NULL,
    session_id TEXT NOT NULL,
    question   TEXT NOT NULL,
    asked_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX unanswered_questions_asked_at ON unanswered_questions (asked_at);
CREATE INDEX unanswered_questions_user_id ON unanswered_questions (user_id);
ALTER TABLE unanswered_questions ENABLE ROW LEVEL SECURITY;
