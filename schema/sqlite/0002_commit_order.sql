-- noetldb schema, version 2, SQLite: readers never skip.
-- A reader paging a chat's messages oldest-first, or an execution's events,
-- to the end and continuing from its cursor must see every row that commits
-- later. So each list's key is assigned in commit order per chat and per
-- execution. SQLite runs one writer at a time and a write statement reads
-- the newest data, so the key is computed inside the inserting statement.

-- The key of the newest message ever posted to the chat (kept when that
-- message is deleted): a new message is created at
-- max(now, last_message_at + 1 microsecond); the trigger keeps it.
ALTER TABLE chat ADD COLUMN last_message_at INTEGER;
UPDATE chat SET last_message_at = (SELECT max(created_at) FROM message WHERE message.chat_id = chat.id);
CREATE TRIGGER IF NOT EXISTS message_last_at AFTER INSERT ON message
BEGIN
    UPDATE chat SET last_message_at = NEW.created_at
        WHERE id = NEW.chat_id AND (last_message_at IS NULL OR last_message_at < NEW.created_at);
END;

-- An execution's events are listed by seq, their position in its log in
-- commit order: one more than the execution's greatest (events are never
-- deleted one by one, only with their workload).
ALTER TABLE event_log ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
UPDATE event_log SET seq = n.seq
    FROM (SELECT execution_id, event_id,
                 row_number() OVER (PARTITION BY execution_id ORDER BY event_id) AS seq
            FROM event_log) n
    WHERE event_log.execution_id = n.execution_id AND event_log.event_id = n.event_id;
CREATE INDEX IF NOT EXISTS event_log_seq_idx ON event_log (execution_id, seq);
-- The children of an event, in log order (replaces the id-ordered index).
DROP INDEX IF EXISTS event_log_parent_idx;
CREATE INDEX IF NOT EXISTS event_log_parent_seq_idx ON event_log (execution_id, parent_event_id, seq)
    WHERE parent_event_id IS NOT NULL;
