-- noetldb schema, version 2, PostgreSQL: readers never skip.
-- A reader paging a chat's messages oldest-first, or an execution's events,
-- to the end and continuing from its cursor must see every row that commits
-- later. So each list's key is assigned in commit order per chat and per
-- execution: a writer locks the parent row (chat, workload) with the UPDATE
-- below, in the statement that inserts, and holds it to its commit; the
-- next writer of that parent waits, then reads the value the first
-- committed.

-- The key of the newest message ever posted to the chat (kept when that
-- message is deleted): a new message is created at
-- greatest(now, last_message_at + 1 microsecond).
ALTER TABLE noetl.chat ADD COLUMN IF NOT EXISTS last_message_at TIMESTAMPTZ;
UPDATE noetl.chat c SET last_message_at = m.at
    FROM (SELECT chat_id, max(created_at) AS at FROM noetl.message GROUP BY chat_id) m
    WHERE c.id = m.chat_id;

-- An execution's events are listed by seq, their position in its log in
-- commit order; workload.last_event_seq is the last one handed out.
ALTER TABLE noetl.workload ADD COLUMN IF NOT EXISTS last_event_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE noetl.event_log ADD COLUMN IF NOT EXISTS seq BIGINT;
UPDATE noetl.event_log e SET seq = n.seq
    FROM (SELECT execution_id, event_id,
                 row_number() OVER (PARTITION BY execution_id ORDER BY event_id) AS seq
            FROM noetl.event_log) n
    WHERE e.execution_id = n.execution_id AND e.event_id = n.event_id;
ALTER TABLE noetl.event_log ALTER COLUMN seq SET NOT NULL;
UPDATE noetl.workload w SET last_event_seq = m.seq
    FROM (SELECT execution_id, max(seq) AS seq FROM noetl.event_log GROUP BY execution_id) m
    WHERE w.execution_id = m.execution_id;
CREATE INDEX IF NOT EXISTS event_log_seq_idx ON noetl.event_log (execution_id, seq);
-- The children of an event, in log order (replaces the id-ordered index).
DROP INDEX IF EXISTS noetl.event_log_parent_idx;
CREATE INDEX IF NOT EXISTS event_log_parent_seq_idx ON noetl.event_log (execution_id, parent_event_id, seq)
    WHERE parent_event_id IS NOT NULL;
