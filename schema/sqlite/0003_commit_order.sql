-- noetldb schema, SQLite: readers never skip.
-- A reader following a chat's messages or an execution's events (paging
-- to the end, then continuing from its cursor) must see every row that
-- commits later. So both lists are ordered by seq, a number assigned in
-- commit order per chat and per execution. SQLite runs one writer at a time
-- and holds its lock to commit, and a write statement reads the newest
-- data, so seq is computed inside the inserting statement.
-- SQLite's ALTER TABLE ... ADD COLUMN has no IF NOT EXISTS: unlike the
-- other files, this one must be applied once (the migrator records it).

-- A message's seq is one more than chat.last_message_seq, the greatest
-- seq the chat ever had (kept when that message is deleted), which the
-- trigger keeps. Messages stored before this version keep their
-- (created_at, id) order.
ALTER TABLE chat ADD COLUMN last_message_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE message ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
UPDATE message SET seq = n.seq
    FROM (SELECT id, row_number() OVER (PARTITION BY chat_id ORDER BY created_at, id) AS seq FROM message) n
    WHERE message.id = n.id;
UPDATE chat SET last_message_seq = coalesce((SELECT max(seq) FROM message WHERE message.chat_id = chat.id), 0);
CREATE INDEX IF NOT EXISTS message_chat_seq_idx ON message (chat_id, seq);
CREATE TRIGGER IF NOT EXISTS message_last_seq AFTER INSERT ON message
BEGIN
    UPDATE chat SET last_message_seq = NEW.seq WHERE id = NEW.chat_id AND last_message_seq < NEW.seq;
END;
-- A row written by other means than noetldb's Post (seq left 0) gets the
-- chat's next seq.
CREATE TRIGGER IF NOT EXISTS message_default_seq AFTER INSERT ON message WHEN NEW.seq = 0
BEGIN
    UPDATE message SET seq = (SELECT last_message_seq + 1 FROM chat WHERE id = NEW.chat_id) WHERE id = NEW.id;
    UPDATE chat SET last_message_seq = last_message_seq + 1 WHERE id = NEW.chat_id;
END;

-- An event's seq is one more than the execution's greatest (events are
-- deleted only with their workload, so that greatest never goes back).
-- Events stored before this version keep their id order.
ALTER TABLE event_log ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
UPDATE event_log SET seq = n.seq
    FROM (SELECT execution_id, event_id,
                 row_number() OVER (PARTITION BY execution_id ORDER BY event_id) AS seq
            FROM event_log) n
    WHERE event_log.execution_id = n.execution_id AND event_log.event_id = n.event_id;
CREATE INDEX IF NOT EXISTS event_log_seq_idx ON event_log (execution_id, seq);
-- An event written by other means than noetldb (seq left 0) gets the
-- execution's next seq.
CREATE TRIGGER IF NOT EXISTS event_log_default_seq AFTER INSERT ON event_log WHEN NEW.seq = 0
BEGIN
    UPDATE event_log SET seq = (SELECT max(seq) + 1 FROM event_log WHERE execution_id = NEW.execution_id)
        WHERE execution_id = NEW.execution_id AND event_id = NEW.event_id;
END;
-- The children of an event, in log order (replaces the id-ordered index).
DROP INDEX IF EXISTS event_log_parent_idx;
CREATE INDEX IF NOT EXISTS event_log_parent_seq_idx ON event_log (execution_id, parent_event_id, seq)
    WHERE parent_event_id IS NOT NULL;
