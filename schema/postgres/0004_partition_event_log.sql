-- noetldb schema, PostgreSQL: the event log partitioned by execution.
-- event_log becomes range-partitioned by execution_id. Ids are snowflakes
-- whose high bits count milliseconds since 2024-01-01 UTC, so a period of
-- time is a range of ids: (ms - 1704067200000) << 23 is the smallest id of
-- millisecond ms. The store's Maintain creates one partition per period
-- (a month by default) ahead of time; there is no default partition.
--
-- A database migrated before this version keeps its events where they
-- are: the table is renamed event_log_history and attached, without being
-- copied, as the partition of every id below the start of the month after
-- its newest execution (at least the current month). Attaching checks the
-- rows once against that bound, under an exclusive lock on the event log:
-- on a large log, migrate when writers are quiet. Every statement here can
-- run again: a second run changes nothing.

DO $migrate$
DECLARE
    newest BIGINT;
    bound  BIGINT;
    since  TIMESTAMPTZ;
BEGIN
    IF (SELECT c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'noetl' AND c.relname = 'event_log') = 'p' THEN
        RETURN;
    END IF;
    LOCK TABLE noetl.event_log IN ACCESS EXCLUSIVE MODE;

    -- The bound: the start of the month after the newest execution's, and
    -- not before the current month's start.
    SELECT max(execution_id) INTO newest FROM noetl.event_log;
    since := date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    IF newest IS NOT NULL THEN
        since := greatest(since, date_trunc('month',
            to_timestamp(((newest >> 23) + 1704067200000) / 1000.0) AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
            + interval '1 month');
    END IF;
    bound := ((floor(extract(epoch FROM since) * 1000)::BIGINT) - 1704067200000) << 23;

    -- The old table becomes a partition: its checks must be valid (0002
    -- added them NOT VALID) and its index names free for the new table's.
    ALTER TABLE noetl.event_log VALIDATE CONSTRAINT event_log_current_index_range;
    ALTER TABLE noetl.event_log VALIDATE CONSTRAINT event_log_duration_range;
    ALTER TABLE noetl.event_log RENAME TO event_log_history;
    ALTER INDEX noetl.event_log_pkey RENAME TO event_log_history_pkey;
    ALTER INDEX noetl.event_log_seq_idx RENAME TO event_log_history_seq_idx;
    ALTER INDEX noetl.event_log_parent_seq_idx RENAME TO event_log_history_parent_seq_idx;
    ALTER TABLE noetl.event_log_history RENAME CONSTRAINT event_log_execution_id_fkey
        TO event_log_history_execution_id_fkey;

    CREATE TABLE noetl.event_log (
        execution_id        BIGINT NOT NULL,
        event_id            BIGINT NOT NULL,
        parent_event_id     BIGINT,
        parent_execution_id BIGINT,
        timestamp           TIMESTAMPTZ NOT NULL DEFAULT now(),
        event_type          TEXT,
        node_id             TEXT,
        node_name           TEXT,
        node_type           TEXT,
        status              TEXT,
        duration            DOUBLE PRECISION,
        input_context       JSONB,
        output_result       JSONB,
        metadata            JSONB,
        error               TEXT,
        loop_id             TEXT,
        loop_name           TEXT,
        iterator            TEXT,
        items               TEXT,
        current_index       INTEGER,
        current_item        TEXT,
        worker_id           TEXT,
        distributed_state   TEXT,
        context_key         TEXT,
        context_value       TEXT,
        trace_component     JSONB,
        stack_trace         TEXT,
        seq                 BIGINT NOT NULL DEFAULT nextval('noetl.event_log_seq') * 1048576,
        PRIMARY KEY (execution_id, event_id),
        CONSTRAINT event_log_execution_id_fkey FOREIGN KEY (execution_id)
            REFERENCES noetl.workload (execution_id) ON DELETE CASCADE,
        CONSTRAINT event_log_current_index_range CHECK (current_index IS NULL OR current_index >= 0),
        CONSTRAINT event_log_duration_range CHECK (duration IS NULL OR (duration >= 0 AND duration <= 1e12))
    ) PARTITION BY RANGE (execution_id);
    CREATE INDEX event_log_seq_idx ON noetl.event_log (execution_id, seq);
    CREATE INDEX event_log_parent_seq_idx ON noetl.event_log (execution_id, parent_event_id, seq)
        WHERE parent_event_id IS NOT NULL;

    EXECUTE format('ALTER TABLE noetl.event_log ATTACH PARTITION noetl.event_log_history'
                   ' FOR VALUES FROM (MINVALUE) TO (%s)', bound);
END
$migrate$;
