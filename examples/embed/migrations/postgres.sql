-- helpdesk's own schema, beside the NoETL tables (schema "noetl" or the one
-- given with -schema) in the same PostgreSQL database. Idempotent.
CREATE SCHEMA IF NOT EXISTS helpdesk;
CREATE TABLE IF NOT EXISTS helpdesk.ticket (
    id         BIGINT PRIMARY KEY,
    chat_id    BIGINT NOT NULL REFERENCES {noetl}.chat (id) ON DELETE CASCADE,
    title      TEXT NOT NULL CHECK (title <> '' AND char_length(title) <= 120),
    status     TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
