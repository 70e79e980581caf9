-- What a product card's size and colour buttons stand for. Telegram takes at most 64 bytes of callback data, and a
-- SKU plus a Cyrillic colour is often more ("темно-синій меланж" alone is 34 bytes), so a button carries only a
-- short token derived from (sku, kind, value); the value itself waits here, for the press. The same card sent again
-- gives the same tokens: the table grows with the catalog, not with the traffic.
CREATE TABLE card_choices (
    token      TEXT PRIMARY KEY,
    sku        TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('s', 'c')),
    value      TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
ALTER TABLE card_choices ENABLE ROW LEVEL SECURITY;
