-- A photo's recognition is remembered per customer, and only as the catalog match: one customer's caption can no
-- longer steer what another customer sending the same photo is told, and no model text is replayed unchecked.
DELETE FROM photo_recognitions;
ALTER TABLE photo_recognitions DROP CONSTRAINT photo_recognitions_pkey;
ALTER TABLE photo_recognitions DROP COLUMN question;
ALTER TABLE photo_recognitions ADD COLUMN customer_id TEXT NOT NULL;
ALTER TABLE photo_recognitions ADD PRIMARY KEY (customer_id, photo_hash);
