-- One bad input never stops anything (issue 12).
-- An update Postgres refused as it came (a NUL byte, say) is stored cleaned ('sanitised', with a note of what was
-- removed), or, when even that fails, set aside ('quarantined', handled, with the reason) instead of being retried
-- as if Postgres were down.
ALTER TABLE update_inbox
    ADD COLUMN state TEXT NOT NULL DEFAULT 'stored' CHECK (state IN ('stored', 'sanitised', 'quarantined')),
    ADD COLUMN note  TEXT;

