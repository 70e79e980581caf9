-- Every table of the seed (spec/seed-supabase-tables-roadmap.uk.md) with its columns and types,
-- plus keys, foreign keys and indexes. Written to apply unchanged on Supabase as well as on plain Postgres.
-- Deliberate deviation: LLM cost columns are NUMERIC, not FLOAT, because money is never float here.

CREATE EXTENSION IF NOT EXISTS vector;

-- 1. Core -----------------------------------------------------------------------------------------

CREATE TABLE users (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    external_id TEXT NOT NULL UNIQUE,
    username    TEXT,
    first_name  TEXT,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE agent_sessions (
    session_id TEXT PRIMARY KEY,
    state      JSONB NOT NULL DEFAULT '{}'::jsonb,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE messages (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id TEXT NOT NULL,
    user_id    TEXT,
    role       TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'system')),
    content    TEXT NOT NULL,
    tags       TEXT[] NOT NULL DEFAULT '{}',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX messages_session_created_idx ON messages (session_id, created_at);

-- 2. Memory ---------------------------------------------------------------------------------------

CREATE TABLE mirt_profiles (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id            TEXT NOT NULL UNIQUE,
    child_profile      JSONB NOT NULL DEFAULT '{}'::jsonb,
    style_preferences  JSONB NOT NULL DEFAULT '{}'::jsonb,
    logistics          JSONB NOT NULL DEFAULT '{}'::jsonb,
    commerce           JSONB NOT NULL DEFAULT '{}'::jsonb,
    completeness_score DOUBLE PRECISION NOT NULL DEFAULT 0 CHECK (completeness_score BETWEEN 0 AND 1),
    sitniks_chat_id    TEXT,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE mirt_memories (
    id         UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id    TEXT NOT NULL REFERENCES mirt_profiles (user_id) ON DELETE CASCADE,
    content    TEXT NOT NULL,
    fact_type  TEXT NOT NULL CHECK (fact_type IN ('preference', 'constraint', 'logistics', 'behavior')),
    category   TEXT NOT NULL CHECK (category IN ('child', 'style', 'delivery', 'payment')),
    importance DOUBLE PRECISION NOT NULL CHECK (importance BETWEEN 0 AND 1),
    surprise   DOUBLE PRECISION NOT NULL CHECK (surprise BETWEEN 0 AND 1),
    confidence DOUBLE PRECISION NOT NULL DEFAULT 1 CHECK (confidence BETWEEN 0 AND 1),
    decay_rate DOUBLE PRECISION NOT NULL DEFAULT 0.01 CHECK (decay_rate >= 0),
    embedding  VECTOR(1536),
    is_active  BOOLEAN NOT NULL DEFAULT true,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX mirt_memories_user_active_idx ON mirt_memories (user_id) WHERE is_active;

CREATE TABLE mirt_memory_summaries (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES mirt_profiles (user_id) ON DELETE CASCADE,
    summary_type TEXT NOT NULL CHECK (summary_type IN ('user', 'product', 'session')),
    summary_text TEXT NOT NULL,
    key_facts    TEXT[] NOT NULL DEFAULT '{}',
    facts_count  INT NOT NULL DEFAULT 0 CHECK (facts_count >= 0),
    is_current   BOOLEAN NOT NULL DEFAULT true,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX mirt_memory_summaries_one_current_idx
    ON mirt_memory_summaries (user_id, summary_type) WHERE is_current;

-- 6. E-commerce (before CRM: crm_orders points at orders) -----------------------------------------

CREATE TABLE products (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT,
    category    TEXT,
    subcategory TEXT,
    price       NUMERIC(10, 2) NOT NULL CHECK (price >= 0),
    sizes       TEXT[] NOT NULL DEFAULT '{}',
    colors      TEXT[] NOT NULL DEFAULT '{}',
    photo_url   TEXT,
    sku         TEXT NOT NULL UNIQUE,
    embedding   VECTOR(1536),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX products_category_idx ON products (category);

CREATE TABLE orders (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id          TEXT NOT NULL,
    session_id       TEXT NOT NULL,
    customer_name    TEXT,
    customer_phone   TEXT,
    customer_city    TEXT,
    delivery_method  TEXT,
    delivery_address TEXT,
    status           TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'paid', 'shipped', 'cancelled')),
    total_amount     NUMERIC(10, 2) NOT NULL CHECK (total_amount >= 0),
    sitniks_chat_id  TEXT,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX orders_user_idx ON orders (user_id);
CREATE INDEX orders_created_idx ON orders (created_at);

CREATE TABLE order_items (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id          BIGINT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    product_id        BIGINT REFERENCES products (id) ON DELETE SET NULL,
    product_name      TEXT NOT NULL,
    quantity          INT NOT NULL CHECK (quantity > 0),
    price_at_purchase NUMERIC(10, 2) NOT NULL CHECK (price_at_purchase >= 0),
    selected_size     TEXT,
    selected_color    TEXT
);
CREATE INDEX order_items_order_idx ON order_items (order_id);

-- 4. CRM -------------------------------------------------------------------------------------------

CREATE TABLE crm_orders (
    id            UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    order_id      BIGINT REFERENCES orders (id) ON DELETE SET NULL,
    session_id    TEXT NOT NULL,
    external_id   TEXT NOT NULL UNIQUE,
    crm_order_id  TEXT,
    status        TEXT NOT NULL DEFAULT 'pending' CHECK (status IN (
                      'pending', 'queued', 'created', 'processing', 'shipped', 'delivered', 'cancelled', 'failed')),
    order_data    JSONB NOT NULL DEFAULT '{}'::jsonb,
    metadata      JSONB NOT NULL DEFAULT '{}'::jsonb,
    task_id       TEXT,
    error_message TEXT,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX crm_orders_open_idx ON crm_orders (status) WHERE status NOT IN ('delivered', 'cancelled', 'failed');

CREATE TABLE sitniks_chat_mappings (
    id                 UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id            TEXT NOT NULL,
    instagram_username TEXT,
    telegram_username  TEXT,
    sitniks_chat_id    TEXT UNIQUE,
    sitniks_manager_id INTEGER,
    current_status     TEXT,
    first_touch_at     TIMESTAMPTZ,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX sitniks_chat_mappings_user_idx ON sitniks_chat_mappings (user_id);

-- 5. Observability ---------------------------------------------------------------------------------

CREATE TYPE llm_trace_status AS ENUM ('SUCCESS', 'ERROR', 'BLOCKED', 'ESCALATED');
CREATE TYPE llm_error_category AS ENUM ('SCHEMA', 'BUSINESS', 'SAFETY', 'SYSTEM');

CREATE TABLE llm_traces (
    id              UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    session_id      TEXT,
    trace_id        UUID NOT NULL,
    node_name       TEXT NOT NULL,
    state_name      TEXT,
    input_snapshot  JSONB,
    output_snapshot JSONB,
    status          llm_trace_status NOT NULL,
    error_category  llm_error_category,
    latency_ms      DOUBLE PRECISION NOT NULL,
    tokens_in       INT NOT NULL DEFAULT 0,
    tokens_out      INT NOT NULL DEFAULT 0,
    cost            NUMERIC(12, 6) NOT NULL DEFAULT 0,
    model_name      TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX llm_traces_session_idx ON llm_traces (session_id, created_at);
CREATE INDEX llm_traces_created_idx ON llm_traces (created_at);

CREATE TABLE llm_usage (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    BIGINT,
    model      VARCHAR(100) NOT NULL,
    tokens_in  INT NOT NULL DEFAULT 0,
    tokens_out INT NOT NULL DEFAULT 0,
    cost       NUMERIC(12, 6) NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX llm_usage_created_idx ON llm_usage (created_at);
CREATE INDEX llm_usage_user_idx ON llm_usage (user_id);

-- Row level security as the seed's quick reference says. The bot connects as the tables' owner (or Supabase's
-- service_role), which bypasses RLS; these policies keep anon/authenticated API keys away from personal data.
ALTER TABLE agent_sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE messages ENABLE ROW LEVEL SECURITY;
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE mirt_profiles ENABLE ROW LEVEL SECURITY;
ALTER TABLE mirt_memories ENABLE ROW LEVEL SECURITY;
ALTER TABLE mirt_memory_summaries ENABLE ROW LEVEL SECURITY;
ALTER TABLE crm_orders ENABLE ROW LEVEL SECURITY;
ALTER TABLE sitniks_chat_mappings ENABLE ROW LEVEL SECURITY;
ALTER TABLE orders ENABLE ROW LEVEL SECURITY;
ALTER TABLE order_items ENABLE ROW LEVEL SECURITY;
ALTER TABLE llm_usage ENABLE ROW LEVEL SECURITY;
ALTER TABLE products ENABLE ROW LEVEL SECURITY;
CREATE POLICY products_public_read ON products FOR SELECT USING (true);
