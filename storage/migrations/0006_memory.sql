-- Customer memory (issue 6) on top of the seed's mirt_profiles / mirt_memories / mirt_memory_summaries.

-- Which child and which profile slot a fact fills, so that a new value supersedes the old one by rule rather than
-- by cosine similarity, and a fact about one child can never be matched with a sibling's.
-- child_key is the child's name as first told, lower-cased; '' for facts about the family as a whole.
-- slot_value is the slot's value as the profile holds it; value_key repeats it for list slots (favourite colours,
-- fabrics: one active fact per value) and is '' for one-value slots (height: one active fact per child).
ALTER TABLE mirt_memories
    ADD COLUMN child_key         TEXT NOT NULL DEFAULT '',
    ADD COLUMN slot              TEXT,
    ADD COLUMN slot_value        TEXT,
    ADD COLUMN value_key         TEXT NOT NULL DEFAULT '',
    ADD COLUMN session_id        TEXT,
    ADD COLUMN last_confirmed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    ADD COLUMN superseded_by     UUID REFERENCES mirt_memories (id) ON DELETE SET NULL;

-- At most one active fact per slot of a child (per value for list slots): supersede-by-slot enforced by the
-- database, so two background turns of one customer can never both win.
CREATE UNIQUE INDEX mirt_memories_active_slot_uidx
    ON mirt_memories (user_id, child_key, slot, value_key) WHERE is_active AND slot IS NOT NULL;

-- Weekly summaries look for customers whose facts changed this week.
CREATE INDEX mirt_memories_confirmed_idx ON mirt_memories (last_confirmed_at);

-- Importance as it stands on `at`: the stored importance shrinks by decay_rate per day since the fact was last
-- confirmed, compounded; constraints (allergies, "no synthetics") never fade. One definition, used both by
-- retrieval ranking and by the daily sweep, so the two can never disagree.
CREATE FUNCTION mirt_effective_importance(
    importance DOUBLE PRECISION, decay_rate DOUBLE PRECISION, fact_type TEXT,
    last_confirmed_at TIMESTAMPTZ, at TIMESTAMPTZ
) RETURNS DOUBLE PRECISION LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN fact_type = 'constraint' OR decay_rate = 0 THEN importance
        ELSE importance * power(1 - LEAST(decay_rate, 1),
                                GREATEST(EXTRACT(EPOCH FROM (at - last_confirmed_at)) / 86400, 0))
    END
$$;
