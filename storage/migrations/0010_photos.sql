-- What a customer's photo showed, by the photo's bytes: the same photo sent again is recognised without asking
-- the vision model twice.
CREATE TABLE photo_recognitions (
    photo_hash TEXT PRIMARY KEY,
    verdict    TEXT NOT NULL CHECK (verdict IN ('ours', 'unsure', 'not_ours')),
    sku        TEXT,
    question   TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
ALTER TABLE photo_recognitions ENABLE ROW LEVEL SECURITY;
