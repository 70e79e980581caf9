-- Sitniks as it really is (issue 14): an order line names a product VARIATION (one size, sometimes one colour), and
-- the shop's order statuses are its own list, renamed at will.

-- The CRM variation id of each size: {"122-128": 8812, "134-140/рожевий": 8813}. A key is a size, or a size and a
-- colour for a shop that keeps variations per colour; the catalog file's crm_variation_ids column fills it, and so
-- does `python -m bot catalog sync-crm`.
ALTER TABLE products ADD COLUMN crm_variation_ids JSONB NOT NULL DEFAULT '{}'::jsonb;

-- The shop's order status ids as last seen in GET /open-api/orders/statuses, with what each means to us. Learned
-- while a status still has the title in our settings, so a status the shop renames later still maps by its id.
CREATE TABLE crm_order_status_ids (
    crm_status_id TEXT PRIMARY KEY,
    ours          TEXT NOT NULL CHECK (ours IN ('processing', 'shipped', 'delivered', 'cancelled')),
    title         TEXT NOT NULL,
    seen_at       TIMESTAMPTZ NOT NULL
);
ALTER TABLE crm_order_status_ids ENABLE ROW LEVEL SECURITY;
