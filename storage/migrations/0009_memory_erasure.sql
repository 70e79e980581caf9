-- /forget vs a memory write in flight (issue 6). A turn's facts are written after a slow model call; a customer
-- who confirms /forget during that call must not have the facts recreated a moment later. The erasure leaves a
-- mark: when this customer was last erased. A memory write (a turn's facts, a weekly summary) reads the mark
-- before its model call and reads it again under the customer's advisory lock (the one /forget takes too) before
-- writing; a mark that changed means the customer was erased meanwhile, and the write is dropped.
-- Only the id and a time are kept (orders keep the id as well); marks older than a day are removed by the next
-- erasure, since no memory write runs that long.
CREATE TABLE mirt_memory_erasures (
    user_id   TEXT PRIMARY KEY,
    erased_at TIMESTAMPTZ NOT NULL
);

-- Retrieval speed (the memory benchmark at 1M facts, ~300 per customer, customers' facts interleaved in time).
-- A 1536-dimension embedding is 6 kB: stored the default way (EXTENDED) it goes to the TOAST table, so ranking
-- one customer's ~300 facts cost a TOAST index lookup and four chunks per fact, ~2,600 buffer accesses a query.
-- MAIN keeps it in the row while the row fits a page (a vector never compresses, so only the page limit matters;
-- a larger model's vector still moves out of line then), leaving ~300 page reads a query. The price: rows are a
-- page each, so the nightly decay sweep reads the whole table, and updating a fact (reinforce, retire) writes the
-- vector again. Rows stored earlier keep their TOAST copy until the table is rewritten (VACUUM FULL).
ALTER TABLE mirt_memories ALTER COLUMN embedding SET STORAGE MAIN;

-- The same definition as in 0006, in float8 arithmetic: EXTRACT returns numeric, which cost ~0.8 ms per ranking of
-- 300 facts; date_part returns double precision.
CREATE OR REPLACE FUNCTION mirt_effective_importance(
    importance DOUBLE PRECISION, decay_rate DOUBLE PRECISION, fact_type TEXT,
    last_confirmed_at TIMESTAMPTZ, at TIMESTAMPTZ
) RETURNS DOUBLE PRECISION LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN fact_type = 'constraint' OR decay_rate = 0 THEN importance
        ELSE importance * power(1 - LEAST(decay_rate, 1),
                                GREATEST(date_part('epoch', at - last_confirmed_at) / 86400, 0))
    END
$$;
