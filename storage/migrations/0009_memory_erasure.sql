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
