-- noetldb schema, version 1, PostgreSQL.
-- Every object lives in the schema "noetl"; noetldb rewrites that name when a
-- service asks for another one. Tables, columns and the snowflake_id()
-- function match the NoETL server's own schema, so both can share a database.

CREATE SCHEMA IF NOT EXISTS noetl;

-- Snowflake ids: (ms since 2024-01-01 UTC) << 23 | shard << 18 | sequence.
-- The database keeps shard 1; Go generators use another shard.
CREATE SEQUENCE IF NOT EXISTS noetl.snowflake_seq;

CREATE OR REPLACE FUNCTION noetl.snowflake_id() RETURNS BIGINT
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    our_epoch CONSTANT BIGINT := 1704067200000;
    shard_id  CONSTANT BIGINT := 1;
    seq_id    BIGINT;
    now_ms    BIGINT;
BEGIN
    -- floor, not a cast: a cast rounds and can claim the next millisecond.
    now_ms := floor(extract(epoch FROM clock_timestamp()) * 1000)::BIGINT;
    -- the full 18-bit sequence.
    seq_id := nextval('noetl.snowflake_seq') & 262143;
    RETURN ((now_ms - our_epoch) << 23) | (shard_id << 18) | seq_id;
END;
$$;

-- Identity -----------------------------------------------------------------

CREATE TABLE IF NOT EXISTS noetl.role (
    id          BIGINT PRIMARY KEY DEFAULT noetl.snowflake_id(),
    name        TEXT NOT NULL UNIQUE CHECK (name <> ''),
    description TEXT
);

CREATE TABLE IF NOT EXISTS noetl.profile (
    id            BIGINT PRIMARY KEY DEFAULT noetl.snowflake_id(),
    username      TEXT NOT NULL UNIQUE CHECK (username <> ''),
    email         TEXT UNIQUE,
    password_hash TEXT,
    type          TEXT NOT NULL CHECK (type IN ('user', 'bot')),
    role_id       BIGINT REFERENCES noetl.role (id),
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS profile_role_idx ON noetl.profile (role_id);

CREATE TABLE IF NOT EXISTS noetl.session (
    id              BIGINT PRIMARY KEY DEFAULT noetl.snowflake_id(),
    profile_id      BIGINT NOT NULL REFERENCES noetl.profile (id) ON DELETE CASCADE,
    session_type    TEXT NOT NULL CHECK (session_type IN ('user', 'bot', 'ai')),
    connected_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    disconnected_at TIMESTAMPTZ,
    metadata        JSONB
);
CREATE INDEX IF NOT EXISTS session_profile_idx ON noetl.session (profile_id, connected_at);

-- Conversations ------------------------------------------------------------

CREATE TABLE IF NOT EXISTS noetl.label (
    id         BIGINT PRIMARY KEY DEFAULT noetl.snowflake_id(),
    parent_id  BIGINT REFERENCES noetl.label (id) ON DELETE CASCADE,
    name       TEXT NOT NULL CHECK (name <> '' AND position('/' IN name) = 0),
    owner_id   BIGINT REFERENCES noetl.profile (id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- Sibling names are unique, the root level included (NULLs are distinct in a plain UNIQUE).
CREATE UNIQUE INDEX IF NOT EXISTS label_parent_name_uq ON noetl.label ((COALESCE(parent_id, 0)), name);
-- (parent_id) per the spec, with name second: each step of a path lookup is one seek.
CREATE INDEX IF NOT EXISTS label_parent_idx ON noetl.label (parent_id, name);

CREATE TABLE IF NOT EXISTS noetl.chat (
    id         BIGINT PRIMARY KEY DEFAULT noetl.snowflake_id(),
    label_id   BIGINT NOT NULL REFERENCES noetl.label (id) ON DELETE CASCADE,
    name       TEXT NOT NULL CHECK (name <> ''),
    owner_id   BIGINT NOT NULL REFERENCES noetl.profile (id),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS chat_label_idx ON noetl.chat (label_id);

CREATE TABLE IF NOT EXISTS noetl.member (
    id         BIGINT PRIMARY KEY DEFAULT noetl.snowflake_id(),
    chat_id    BIGINT NOT NULL REFERENCES noetl.chat (id) ON DELETE CASCADE,
    profile_id BIGINT NOT NULL REFERENCES noetl.profile (id) ON DELETE CASCADE,
    role       TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('owner', 'admin', 'member')),
    joined_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT member_chat_profile_uq UNIQUE (chat_id, profile_id)
);
CREATE INDEX IF NOT EXISTS member_profile_idx ON noetl.member (profile_id);

CREATE TABLE IF NOT EXISTS noetl.message (
    id          BIGINT PRIMARY KEY DEFAULT noetl.snowflake_id(),
    chat_id     BIGINT NOT NULL REFERENCES noetl.chat (id) ON DELETE CASCADE,
    sender_type TEXT NOT NULL CHECK (sender_type IN ('user', 'bot', 'ai', 'system')),
    sender_id   BIGINT REFERENCES noetl.profile (id) ON DELETE SET NULL,
    role        TEXT,
    content     TEXT NOT NULL,
    metadata    JSONB,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- (chat_id, created_at) per the spec, with id last for keyset pages.
CREATE INDEX IF NOT EXISTS message_chat_created_idx ON noetl.message (chat_id, created_at, id);

CREATE TABLE IF NOT EXISTS noetl.attachment (
    id          BIGINT PRIMARY KEY DEFAULT noetl.snowflake_id(),
    label_id    BIGINT REFERENCES noetl.label (id) ON DELETE CASCADE,
    chat_id     BIGINT REFERENCES noetl.chat (id) ON DELETE CASCADE,
    filename    TEXT NOT NULL CHECK (filename <> ''),
    filepath    TEXT NOT NULL CHECK (filepath <> ''),
    uploaded_by BIGINT NOT NULL REFERENCES noetl.profile (id),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (label_id IS NOT NULL OR chat_id IS NOT NULL)
);
CREATE INDEX IF NOT EXISTS attachment_chat_created_idx ON noetl.attachment (chat_id, created_at);
CREATE INDEX IF NOT EXISTS attachment_label_created_idx ON noetl.attachment (label_id, created_at);

-- Resources and catalog ----------------------------------------------------

CREATE TABLE IF NOT EXISTS noetl.resource (
    name TEXT PRIMARY KEY CHECK (name <> '')
);

CREATE TABLE IF NOT EXISTS noetl.credential (
    id             BIGINT PRIMARY KEY DEFAULT noetl.snowflake_id(),
    name           TEXT NOT NULL UNIQUE CHECK (name <> ''),
    type           TEXT NOT NULL,
    data_encrypted TEXT NOT NULL,
    meta           JSONB,
    tags           TEXT[],
    description    TEXT,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS noetl.catalog (
    resource_path     TEXT NOT NULL CHECK (resource_path <> ''),
    resource_type     TEXT NOT NULL REFERENCES noetl.resource (name),
    resource_version  TEXT NOT NULL,
    source            TEXT NOT NULL DEFAULT 'inline',
    resource_location TEXT,
    content           TEXT,
    payload           JSONB NOT NULL,
    meta              JSONB,
    template          TEXT,
    timestamp         TIMESTAMPTZ NOT NULL DEFAULT now(),
    credential_id     BIGINT REFERENCES noetl.credential (id),
    PRIMARY KEY (resource_path, resource_version)
);
CREATE INDEX IF NOT EXISTS catalog_type_idx ON noetl.catalog (resource_type);

-- Runtime and schedules ----------------------------------------------------

CREATE TABLE IF NOT EXISTS noetl.runtime (
    runtime_id     BIGINT PRIMARY KEY DEFAULT noetl.snowflake_id(),
    name           TEXT NOT NULL CHECK (name <> ''),
    component_type TEXT NOT NULL CHECK (component_type IN ('worker_pool', 'server_api', 'broker')),
    base_url       TEXT,
    status         TEXT NOT NULL,
    labels         JSONB,
    capabilities   JSONB,
    capacity       INTEGER,
    runtime        JSONB,
    last_heartbeat TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT runtime_component_name_uq UNIQUE (component_type, name)
);

CREATE TABLE IF NOT EXISTS noetl.schedule (
    schedule_id      BIGINT PRIMARY KEY DEFAULT noetl.snowflake_id(),
    playbook_path    TEXT NOT NULL CHECK (playbook_path <> ''),
    playbook_version TEXT,
    cron             TEXT,
    interval_sec     INTEGER CHECK (interval_sec > 0),
    enabled          BOOLEAN NOT NULL DEFAULT TRUE,
    timezone         TEXT NOT NULL DEFAULT 'UTC',
    next_run_at      TIMESTAMPTZ,
    last_run_at      TIMESTAMPTZ,
    last_status      TEXT,
    input_payload    JSONB,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    meta             JSONB,
    CHECK (cron IS NOT NULL OR interval_sec IS NOT NULL)
);
CREATE INDEX IF NOT EXISTS schedule_next_run_idx ON noetl.schedule (next_run_at) WHERE enabled;

-- Execution logs -----------------------------------------------------------

CREATE TABLE IF NOT EXISTS noetl.workload (
    execution_id BIGINT PRIMARY KEY,
    timestamp    TIMESTAMPTZ NOT NULL DEFAULT now(),
    data         TEXT
);

-- Executions listed newest first.
CREATE INDEX IF NOT EXISTS workload_timestamp_idx ON noetl.workload (timestamp, execution_id);

CREATE TABLE IF NOT EXISTS noetl.workflow (
    execution_id BIGINT NOT NULL REFERENCES noetl.workload (execution_id) ON DELETE CASCADE,
    step_id      TEXT NOT NULL,
    step_name    TEXT,
    step_type    TEXT,
    description  TEXT,
    raw_config   TEXT,
    PRIMARY KEY (execution_id, step_id)
);

CREATE TABLE IF NOT EXISTS noetl.workbook (
    execution_id BIGINT NOT NULL REFERENCES noetl.workload (execution_id) ON DELETE CASCADE,
    task_id      TEXT NOT NULL,
    task_name    TEXT,
    task_type    TEXT,
    raw_config   TEXT,
    PRIMARY KEY (execution_id, task_id)
);

-- The spec relates transition.execution_id to workflow.execution_id; that
-- column is not a key of workflow on its own, so the reference goes to the
-- execution (workload) that both belong to.
CREATE TABLE IF NOT EXISTS noetl.transition (
    execution_id BIGINT NOT NULL REFERENCES noetl.workload (execution_id) ON DELETE CASCADE,
    from_step    TEXT NOT NULL,
    to_step      TEXT NOT NULL,
    condition    TEXT NOT NULL DEFAULT '',
    with_params  TEXT,
    PRIMARY KEY (execution_id, from_step, to_step, condition)
);

CREATE TABLE IF NOT EXISTS noetl.event_log (
    execution_id        BIGINT NOT NULL REFERENCES noetl.workload (execution_id) ON DELETE CASCADE,
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
    PRIMARY KEY (execution_id, event_id)
);
-- The children of an event, in id order. Partial: most events have no
-- parent, and skipping them keeps bulk appends cheaper (on SQLite a 10,000-
-- event batch ran ~10% faster).
CREATE INDEX IF NOT EXISTS event_log_parent_idx ON noetl.event_log (execution_id, parent_event_id, event_id)
    WHERE parent_event_id IS NOT NULL;

-- See transition: the execution an error belongs to is its workload.
CREATE TABLE IF NOT EXISTS noetl.error_log (
    error_id             BIGINT PRIMARY KEY DEFAULT noetl.snowflake_id(),
    timestamp            TIMESTAMPTZ NOT NULL DEFAULT now(),
    error_type           TEXT NOT NULL,
    error_message        TEXT NOT NULL,
    execution_id         BIGINT REFERENCES noetl.workload (execution_id) ON DELETE CASCADE,
    step_id              TEXT,
    step_name            TEXT,
    template_string      TEXT,
    context_data         JSONB,
    stack_trace          TEXT,
    input_data           JSONB,
    output_data          JSONB,
    severity             TEXT NOT NULL DEFAULT 'error'
                         CHECK (severity IN ('debug', 'info', 'warning', 'error', 'critical')),
    resolved             BOOLEAN NOT NULL DEFAULT FALSE,
    resolution_notes     TEXT,
    resolution_timestamp TIMESTAMPTZ
);
-- An execution's errors, newest first.
CREATE INDEX IF NOT EXISTS error_log_execution_idx ON noetl.error_log (execution_id, timestamp, error_id);
CREATE INDEX IF NOT EXISTS error_log_timestamp_idx ON noetl.error_log (timestamp, error_id);

-- Seed roles ----------------------------------------------------------------

INSERT INTO noetl.role (name, description) VALUES
    ('admin', 'Administrators'),
    ('user', 'Human users'),
    ('bot', 'Automated agents')
ON CONFLICT (name) DO NOTHING;
