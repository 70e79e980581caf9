-- Pieces left per size (issue 15). A size without a row is not counted by the shop and is always available;
-- a row at 0 is sold out. Placing an order takes pieces off with a conditional UPDATE in the order's
-- transaction, so the CHECK never has to refuse anything and two buyers cannot both get the last piece.
CREATE TABLE product_size_stock (
    product_id BIGINT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    size       TEXT NOT NULL,
    quantity   INT NOT NULL CHECK (quantity >= 0),
    PRIMARY KEY (product_id, size)
);
ALTER TABLE product_size_stock ENABLE ROW LEVEL SECURITY;
CREATE POLICY product_size_stock_public_read ON product_size_stock FOR SELECT USING (true);
