-- Catalog and orders as a kids' clothing shop needs them (issue 4), on top of the seed's products/orders tables.

-- A product can be retired without deleting it (old orders still point at it), can carry the CRM's own id,
-- and can show a different photo for each colour: {"голубий": "https://…", …}.
ALTER TABLE products
    ADD COLUMN is_active       BOOLEAN NOT NULL DEFAULT true,
    ADD COLUMN crm_product_id  TEXT,
    ADD COLUMN color_photos    JSONB NOT NULL DEFAULT '{}'::jsonb,
    ADD COLUMN embedding_model TEXT,
    ADD COLUMN embedding_hash  TEXT;

-- embedding stays VECTOR(1536) as the seed has it; embedding_model records which model made it (vectors of two
-- models are not comparable) and embedding_hash which text, so only changed products are embedded again.
-- A catalog of 30-100 products needs no vector index.

CREATE INDEX products_active_idx ON products (is_active);

-- Plush suits cost more in bigger sizes: a price here overrides products.price for that size.
-- A table rather than JSON so that money stays NUMERIC.
CREATE TABLE product_size_prices (
    product_id BIGINT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    size       TEXT NOT NULL,
    price      NUMERIC(10, 2) NOT NULL CHECK (price >= 0),
    PRIMARY KEY (product_id, size)
);
ALTER TABLE product_size_prices ENABLE ROW LEVEL SECURITY;
CREATE POLICY product_size_prices_public_read ON product_size_prices FOR SELECT USING (true);

-- An order is created at most once per request: a retried turn computes the same key and finds the order.
-- Nova Poshta delivery is stored as its kind and number, so the CRM and the managers need not parse text.
ALTER TABLE orders
    ADD COLUMN idempotency_key       TEXT UNIQUE,
    ADD COLUMN payment_method        TEXT CHECK (payment_method IN ('full', 'prepayment')),
    ADD COLUMN delivery_point_kind   TEXT CHECK (delivery_point_kind IN ('branch', 'parcel_locker')),
    ADD COLUMN delivery_point_number INT CHECK (delivery_point_number > 0);

-- The article as it was when ordered, for when the product is later renamed or deleted.
ALTER TABLE order_items ADD COLUMN sku TEXT;
