-- helpdesk's own table, in the same SQLite file as the NoETL tables. Idempotent.
CREATE TABLE IF NOT EXISTS helpdesk_ticket (
    id         INTEGER PRIMARY KEY,
    chat_id    INTEGER NOT NULL REFERENCES chat (id) ON DELETE CASCADE,
    title      TEXT NOT NULL CHECK (title <> '' AND length(title) <= 120),
    status     TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    created_at INTEGER NOT NULL
);
