-- noetldb schema, version 1, SQLite.
-- The same tables, columns and rules as schema/postgres/0001_init.sql, mapped:
--   BIGINT -> INTEGER; JSONB -> TEXT CHECK (json_valid); TEXT[] -> TEXT (JSON array);
--   TIMESTAMPTZ -> INTEGER microseconds since the Unix epoch, UTC;
--   BOOLEAN -> INTEGER 0/1; DOUBLE PRECISION -> REAL.
-- noetldb always binds ids and times from Go; the defaults below serve raw SQL.

-- Identity -----------------------------------------------------------------

CREATE TABLE IF NOT EXISTS role (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE CHECK (name <> ''),
    description TEXT
);

CREATE TABLE IF NOT EXISTS profile (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE CHECK (username <> ''),
    email         TEXT UNIQUE,
    password_hash TEXT,
    type          TEXT NOT NULL CHECK (type IN ('user', 'bot')),
    role_id       INTEGER REFERENCES role (id),
    created_at    INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER))
);
CREATE INDEX IF NOT EXISTS profile_role_idx ON profile (role_id);

CREATE TABLE IF NOT EXISTS session (
    id              INTEGER PRIMARY KEY,
    profile_id      INTEGER NOT NULL REFERENCES profile (id) ON DELETE CASCADE,
    session_type    TEXT NOT NULL CHECK (session_type IN ('user', 'bot', 'ai')),
    connected_at    INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)),
    disconnected_at INTEGER,
    metadata        TEXT CHECK (metadata IS NULL OR json_valid(metadata))
);
CREATE INDEX IF NOT EXISTS session_profile_idx ON session (profile_id, connected_at);

-- Conversations ------------------------------------------------------------

CREATE TABLE IF NOT EXISTS label (
    id         INTEGER PRIMARY KEY,
    parent_id  INTEGER REFERENCES label (id) ON DELETE CASCADE,
    name       TEXT NOT NULL CHECK (name <> '' AND instr(name, '/') = 0),
    owner_id   INTEGER REFERENCES profile (id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER))
);
-- Sibling names are unique, the root level included (NULLs are distinct in a plain UNIQUE).
CREATE UNIQUE INDEX IF NOT EXISTS label_parent_name_uq ON label (COALESCE(parent_id, 0), name);
-- (parent_id) per the spec, with name second: each step of a path lookup is one seek.
CREATE INDEX IF NOT EXISTS label_parent_idx ON label (parent_id, name);

CREATE TABLE IF NOT EXISTS chat (
    id         INTEGER PRIMARY KEY,
    label_id   INTEGER NOT NULL REFERENCES label (id) ON DELETE CASCADE,
    name       TEXT NOT NULL CHECK (name <> ''),
    owner_id   INTEGER NOT NULL REFERENCES profile (id),
    created_at INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER))
);
CREATE INDEX IF NOT EXISTS chat_label_idx ON chat (label_id);

CREATE TABLE IF NOT EXISTS member (
    id         INTEGER PRIMARY KEY,
    chat_id    INTEGER NOT NULL REFERENCES chat (id) ON DELETE CASCADE,
    profile_id INTEGER NOT NULL REFERENCES profile (id) ON DELETE CASCADE,
    role       TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('owner', 'admin', 'member')),
    joined_at  INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)),
    CONSTRAINT member_chat_profile_uq UNIQUE (chat_id, profile_id)
);
CREATE INDEX IF NOT EXISTS member_profile_idx ON member (profile_id);

CREATE TABLE IF NOT EXISTS message (
    id          INTEGER PRIMARY KEY,
    chat_id     INTEGER NOT NULL REFERENCES chat (id) ON DELETE CASCADE,
    sender_type TEXT NOT NULL CHECK (sender_type IN ('user', 'bot', 'ai', 'system')),
    sender_id   INTEGER REFERENCES profile (id) ON DELETE SET NULL,
    role        TEXT,
    content     TEXT NOT NULL,
    metadata    TEXT CHECK (metadata IS NULL OR json_valid(metadata)),
    created_at  INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER))
);
-- (chat_id, created_at) per the spec, with id last for keyset pages.
CREATE INDEX IF NOT EXISTS message_chat_created_idx ON message (chat_id, created_at, id);

CREATE TABLE IF NOT EXISTS attachment (
    id          INTEGER PRIMARY KEY,
    label_id    INTEGER REFERENCES label (id) ON DELETE CASCADE,
    chat_id     INTEGER REFERENCES chat (id) ON DELETE CASCADE,
    filename    TEXT NOT NULL CHECK (filename <> ''),
    filepath    TEXT NOT NULL CHECK (filepath <> ''),
    uploaded_by INTEGER NOT NULL REFERENCES profile (id),
    created_at  INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)),
    CHECK (label_id IS NOT NULL OR chat_id IS NOT NULL)
);
CREATE INDEX IF NOT EXISTS attachment_chat_created_idx ON attachment (chat_id, created_at);
CREATE INDEX IF NOT EXISTS attachment_label_created_idx ON attachment (label_id, created_at);

-- Resources and catalog ----------------------------------------------------

CREATE TABLE IF NOT EXISTS resource (
    name TEXT PRIMARY KEY CHECK (name <> '')
);

CREATE TABLE IF NOT EXISTS credential (
    id             INTEGER PRIMARY KEY,
    name           TEXT NOT NULL UNIQUE CHECK (name <> ''),
    type           TEXT NOT NULL,
    data_encrypted TEXT NOT NULL,
    meta           TEXT CHECK (meta IS NULL OR json_valid(meta)),
    tags           TEXT CHECK (tags IS NULL OR (json_valid(tags) AND json_type(tags) = 'array')),
    description    TEXT,
    created_at     INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)),
    updated_at     INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER))
);

CREATE TABLE IF NOT EXISTS catalog (
    resource_path     TEXT NOT NULL CHECK (resource_path <> ''),
    resource_type     TEXT NOT NULL REFERENCES resource (name),
    resource_version  TEXT NOT NULL,
    source            TEXT NOT NULL DEFAULT 'inline',
    resource_location TEXT,
    content           TEXT,
    payload           TEXT NOT NULL CHECK (json_valid(payload)),
    meta              TEXT CHECK (meta IS NULL OR json_valid(meta)),
    template          TEXT,
    timestamp         INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)),
    credential_id     INTEGER REFERENCES credential (id),
    PRIMARY KEY (resource_path, resource_version)
);
CREATE INDEX IF NOT EXISTS catalog_type_idx ON catalog (resource_type);

-- Runtime and schedules ----------------------------------------------------

CREATE TABLE IF NOT EXISTS runtime (
    runtime_id     INTEGER PRIMARY KEY,
    name           TEXT NOT NULL CHECK (name <> ''),
    component_type TEXT NOT NULL CHECK (component_type IN ('worker_pool', 'server_api', 'broker')),
    base_url       TEXT,
    status         TEXT NOT NULL,
    labels         TEXT CHECK (labels IS NULL OR json_valid(labels)),
    capabilities   TEXT CHECK (capabilities IS NULL OR json_valid(capabilities)),
    capacity       INTEGER,
    runtime        TEXT CHECK (runtime IS NULL OR json_valid(runtime)),
    last_heartbeat INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)),
    created_at     INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)),
    updated_at     INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)),
    CONSTRAINT runtime_component_name_uq UNIQUE (component_type, name)
);

CREATE TABLE IF NOT EXISTS schedule (
    schedule_id      INTEGER PRIMARY KEY,
    playbook_path    TEXT NOT NULL CHECK (playbook_path <> ''),
    playbook_version TEXT,
    cron             TEXT,
    interval_sec     INTEGER CHECK (interval_sec > 0),
    enabled          INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    timezone         TEXT NOT NULL DEFAULT 'UTC',
    next_run_at      INTEGER,
    last_run_at      INTEGER,
    last_status      TEXT,
    input_payload    TEXT CHECK (input_payload IS NULL OR json_valid(input_payload)),
    created_at       INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)),
    updated_at       INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)),
    meta             TEXT CHECK (meta IS NULL OR json_valid(meta)),
    CHECK (cron IS NOT NULL OR interval_sec IS NOT NULL)
);
CREATE INDEX IF NOT EXISTS schedule_next_run_idx ON schedule (next_run_at) WHERE enabled = 1;

-- Execution logs -----------------------------------------------------------

CREATE TABLE IF NOT EXISTS workload (
    execution_id INTEGER PRIMARY KEY,
    timestamp    INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)),
    data         TEXT
);

-- Executions listed newest first.
CREATE INDEX IF NOT EXISTS workload_timestamp_idx ON workload (timestamp, execution_id);

CREATE TABLE IF NOT EXISTS workflow (
    execution_id INTEGER NOT NULL REFERENCES workload (execution_id) ON DELETE CASCADE,
    step_id      TEXT NOT NULL,
    step_name    TEXT,
    step_type    TEXT,
    description  TEXT,
    raw_config   TEXT,
    PRIMARY KEY (execution_id, step_id)
);

CREATE TABLE IF NOT EXISTS workbook (
    execution_id INTEGER NOT NULL REFERENCES workload (execution_id) ON DELETE CASCADE,
    task_id      TEXT NOT NULL,
    task_name    TEXT,
    task_type    TEXT,
    raw_config   TEXT,
    PRIMARY KEY (execution_id, task_id)
);

CREATE TABLE IF NOT EXISTS transition (
    execution_id INTEGER NOT NULL REFERENCES workload (execution_id) ON DELETE CASCADE,
    from_step    TEXT NOT NULL,
    to_step      TEXT NOT NULL,
    condition    TEXT NOT NULL DEFAULT '',
    with_params  TEXT,
    PRIMARY KEY (execution_id, from_step, to_step, condition)
);

CREATE TABLE IF NOT EXISTS event_log (
    execution_id        INTEGER NOT NULL REFERENCES workload (execution_id) ON DELETE CASCADE,
    event_id            INTEGER NOT NULL,
    parent_event_id     INTEGER,
    parent_execution_id INTEGER,
    timestamp           INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)),
    event_type          TEXT,
    node_id             TEXT,
    node_name           TEXT,
    node_type           TEXT,
    status              TEXT,
    duration            REAL,
    input_context       TEXT CHECK (input_context IS NULL OR json_valid(input_context)),
    output_result       TEXT CHECK (output_result IS NULL OR json_valid(output_result)),
    metadata            TEXT CHECK (metadata IS NULL OR json_valid(metadata)),
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
    trace_component     TEXT CHECK (trace_component IS NULL OR json_valid(trace_component)),
    stack_trace         TEXT,
    PRIMARY KEY (execution_id, event_id)
);
-- The children of an event, in id order. Partial: most events have no
-- parent, and skipping them keeps bulk appends cheaper (on SQLite a 10,000-
-- event batch ran ~10% faster).
CREATE INDEX IF NOT EXISTS event_log_parent_idx ON event_log (execution_id, parent_event_id, event_id)
    WHERE parent_event_id IS NOT NULL;

CREATE TABLE IF NOT EXISTS error_log (
    error_id             INTEGER PRIMARY KEY,
    timestamp            INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)),
    error_type           TEXT NOT NULL,
    error_message        TEXT NOT NULL,
    execution_id         INTEGER REFERENCES workload (execution_id) ON DELETE CASCADE,
    step_id              TEXT,
    step_name            TEXT,
    template_string      TEXT,
    context_data         TEXT CHECK (context_data IS NULL OR json_valid(context_data)),
    stack_trace          TEXT,
    input_data           TEXT CHECK (input_data IS NULL OR json_valid(input_data)),
    output_data          TEXT CHECK (output_data IS NULL OR json_valid(output_data)),
    severity             TEXT NOT NULL DEFAULT 'error'
                         CHECK (severity IN ('debug', 'info', 'warning', 'error', 'critical')),
    resolved             INTEGER NOT NULL DEFAULT 0 CHECK (resolved IN (0, 1)),
    resolution_notes     TEXT,
    resolution_timestamp INTEGER
);
-- An execution's errors, newest first.
CREATE INDEX IF NOT EXISTS error_log_execution_idx ON error_log (execution_id, timestamp, error_id);
CREATE INDEX IF NOT EXISTS error_log_timestamp_idx ON error_log (timestamp, error_id);

-- Seed roles: snowflake ids of shard 1 (the database's shard), as on PostgreSQL.
INSERT INTO role (id, name, description)
SELECT ((CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) - 1704067200000) << 23) | (1 << 18) | n, name, description
FROM (SELECT 1 AS n, 'admin' AS name, 'Administrators' AS description
      UNION ALL SELECT 2, 'user', 'Human users'
      UNION ALL SELECT 3, 'bot', 'Automated agents')
WHERE true
ON CONFLICT (name) DO NOTHING;
