-- noetldb schema, PostgreSQL: readers never skip.
-- A reader following a chat's messages or an execution's events (paging
-- to the end, then continuing from its cursor) must see every row that
-- commits later. So both lists are ordered by seq, a number assigned in
-- commit order per chat and per execution: a writer takes a
-- transaction-level advisory lock on the chat or execution, held to its
-- commit, and only then takes seq from a sequence. Sequences hand out
-- increasing values outside any snapshot, so a seq taken under the lock
-- exceeds every seq of the chat or execution committed before.
-- Every statement here can run again: a second run changes nothing.

CREATE SEQUENCE IF NOT EXISTS noetl.message_seq;
ALTER TABLE noetl.message ADD COLUMN IF NOT EXISTS seq BIGINT;
-- Messages stored before this version keep their (created_at, id) order.
UPDATE noetl.message m SET seq = n.seq
    FROM (SELECT id, row_number() OVER (ORDER BY created_at, id) AS seq
            FROM noetl.message WHERE seq IS NULL) n
    WHERE m.id = n.id;
ALTER TABLE noetl.message ALTER COLUMN seq SET NOT NULL;
-- A row written by other means than noetldb's Post gets a seq too (without
-- the chat's lock, so such writers should take it as Post does).
ALTER TABLE noetl.message ALTER COLUMN seq SET DEFAULT nextval('noetl.message_seq');
SELECT setval('noetl.message_seq', greatest(
    (SELECT last_value FROM noetl.message_seq), (SELECT coalesce(max(seq), 0) + 1 FROM noetl.message)));
CREATE INDEX IF NOT EXISTS message_chat_seq_idx ON noetl.message (chat_id, seq);

-- An event's seq is v * 2^20 + i: one sequence value v numbers a run of up
-- to 2^20 events of one execution appended together.
CREATE SEQUENCE IF NOT EXISTS noetl.event_log_seq;
ALTER TABLE noetl.event_log ADD COLUMN IF NOT EXISTS seq BIGINT;
-- Events stored before this version keep their id order.
UPDATE noetl.event_log e SET seq = n.seq
    FROM (SELECT execution_id, event_id,
                 row_number() OVER (PARTITION BY execution_id ORDER BY event_id) AS seq
            FROM noetl.event_log WHERE seq IS NULL) n
    WHERE e.execution_id = n.execution_id AND e.event_id = n.event_id;
ALTER TABLE noetl.event_log ALTER COLUMN seq SET NOT NULL;
ALTER TABLE noetl.event_log ALTER COLUMN seq SET DEFAULT nextval('noetl.event_log_seq') * 1048576;
SELECT setval('noetl.event_log_seq', greatest(
    (SELECT last_value FROM noetl.event_log_seq), (SELECT coalesce(max(seq), 0) / 1048576 + 1 FROM noetl.event_log)));
CREATE INDEX IF NOT EXISTS event_log_seq_idx ON noetl.event_log (execution_id, seq);
-- The children of an event, in log order (replaces the id-ordered index).
DROP INDEX IF EXISTS noetl.event_log_parent_idx;
CREATE INDEX IF NOT EXISTS event_log_parent_seq_idx ON noetl.event_log (execution_id, parent_event_id, seq)
    WHERE parent_event_id IS NOT NULL;
