-- noetldb schema, version 2, SQLite: the checks of
-- schema/postgres/0002_checks.sql, for other writers of these tables. SQLite
-- cannot add a CHECK to an existing table, so each table gets triggers that
-- refuse an inserted or updated row breaking a rule, with the message
-- "CHECK constraint failed: <table>_<rule>". Also here, because SQLite would
-- store what PostgreSQL refuses: NUL characters in names and message content,
-- and the \u0000 escape in JSON (checked after removing escaped backslashes).
-- Rows written before this migration are not re-checked.

CREATE TRIGGER IF NOT EXISTS profile_checks_insert BEFORE INSERT ON profile
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: profile_username_length') WHERE NOT (length(NEW.username) <= 255);
    SELECT RAISE(ABORT, 'CHECK constraint failed: profile_username_canonical') WHERE NOT (NEW.username = lower(NEW.username) AND instr(NEW.username, ' ') = 0 AND instr(NEW.username, char(9)) = 0 AND instr(NEW.username, char(10)) = 0 AND instr(NEW.username, char(13)) = 0 AND instr(CAST(NEW.username AS BLOB), x'00') = 0);
    SELECT RAISE(ABORT, 'CHECK constraint failed: profile_email_canonical') WHERE NOT (NEW.email IS NULL OR NEW.email = lower(NEW.email));
END;

CREATE TRIGGER IF NOT EXISTS profile_checks_update BEFORE UPDATE ON profile
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: profile_username_length') WHERE NOT (length(NEW.username) <= 255);
    SELECT RAISE(ABORT, 'CHECK constraint failed: profile_username_canonical') WHERE NOT (NEW.username = lower(NEW.username) AND instr(NEW.username, ' ') = 0 AND instr(NEW.username, char(9)) = 0 AND instr(NEW.username, char(10)) = 0 AND instr(NEW.username, char(13)) = 0 AND instr(CAST(NEW.username AS BLOB), x'00') = 0);
    SELECT RAISE(ABORT, 'CHECK constraint failed: profile_email_canonical') WHERE NOT (NEW.email IS NULL OR NEW.email = lower(NEW.email));
END;

CREATE TRIGGER IF NOT EXISTS role_checks_insert BEFORE INSERT ON role
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: role_name_length') WHERE NOT (length(NEW.name) <= 255 AND instr(CAST(NEW.name AS BLOB), x'00') = 0);
END;

CREATE TRIGGER IF NOT EXISTS role_checks_update BEFORE UPDATE ON role
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: role_name_length') WHERE NOT (length(NEW.name) <= 255 AND instr(CAST(NEW.name AS BLOB), x'00') = 0);
END;

CREATE TRIGGER IF NOT EXISTS label_checks_insert BEFORE INSERT ON label
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: label_name_rules') WHERE NOT (length(NEW.name) <= 255 AND NEW.name NOT IN ('.', '..') AND instr(CAST(NEW.name AS BLOB), x'00') = 0);
END;

CREATE TRIGGER IF NOT EXISTS label_checks_update BEFORE UPDATE ON label
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: label_name_rules') WHERE NOT (length(NEW.name) <= 255 AND NEW.name NOT IN ('.', '..') AND instr(CAST(NEW.name AS BLOB), x'00') = 0);
END;

CREATE TRIGGER IF NOT EXISTS chat_checks_insert BEFORE INSERT ON chat
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: chat_name_length') WHERE NOT (length(NEW.name) <= 255 AND instr(CAST(NEW.name AS BLOB), x'00') = 0);
END;

CREATE TRIGGER IF NOT EXISTS chat_checks_update BEFORE UPDATE ON chat
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: chat_name_length') WHERE NOT (length(NEW.name) <= 255 AND instr(CAST(NEW.name AS BLOB), x'00') = 0);
END;

CREATE TRIGGER IF NOT EXISTS message_checks_insert BEFORE INSERT ON message
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: message_content_not_blank') WHERE NOT (trim(NEW.content, ' ' || char(9, 10, 13)) <> '' AND instr(CAST(NEW.content AS BLOB), x'00') = 0);
    SELECT RAISE(ABORT, 'CHECK constraint failed: message_metadata_storable') WHERE NOT (NEW.metadata IS NULL OR instr(replace(NEW.metadata, '\\', ''), '\u0000') = 0);
END;

CREATE TRIGGER IF NOT EXISTS message_checks_update BEFORE UPDATE ON message
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: message_content_not_blank') WHERE NOT (trim(NEW.content, ' ' || char(9, 10, 13)) <> '' AND instr(CAST(NEW.content AS BLOB), x'00') = 0);
    SELECT RAISE(ABORT, 'CHECK constraint failed: message_metadata_storable') WHERE NOT (NEW.metadata IS NULL OR instr(replace(NEW.metadata, '\\', ''), '\u0000') = 0);
END;

CREATE TRIGGER IF NOT EXISTS session_checks_insert BEFORE INSERT ON session
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: session_metadata_object') WHERE NOT (NEW.metadata IS NULL OR (json_type(NEW.metadata) = 'object' AND instr(replace(NEW.metadata, '\\', ''), '\u0000') = 0));
    SELECT RAISE(ABORT, 'CHECK constraint failed: session_closed_after_opened') WHERE NOT (NEW.disconnected_at IS NULL OR NEW.disconnected_at >= NEW.connected_at);
END;

CREATE TRIGGER IF NOT EXISTS session_checks_update BEFORE UPDATE ON session
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: session_metadata_object') WHERE NOT (NEW.metadata IS NULL OR (json_type(NEW.metadata) = 'object' AND instr(replace(NEW.metadata, '\\', ''), '\u0000') = 0));
    SELECT RAISE(ABORT, 'CHECK constraint failed: session_closed_after_opened') WHERE NOT (NEW.disconnected_at IS NULL OR NEW.disconnected_at >= NEW.connected_at);
END;

CREATE TRIGGER IF NOT EXISTS catalog_checks_insert BEFORE INSERT ON catalog
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: catalog_version_numbers') WHERE NOT (NEW.resource_version NOT GLOB '*[^0-9.]*' AND length(NEW.resource_version) - length(replace(NEW.resource_version, '.', '')) = 2 AND NEW.resource_version NOT GLOB '.*' AND NEW.resource_version NOT GLOB '*.' AND NEW.resource_version NOT GLOB '*..*');
    SELECT RAISE(ABORT, 'CHECK constraint failed: catalog_meta_object') WHERE NOT (NEW.meta IS NULL OR json_type(NEW.meta) = 'object');
END;

CREATE TRIGGER IF NOT EXISTS catalog_checks_update BEFORE UPDATE ON catalog
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: catalog_version_numbers') WHERE NOT (NEW.resource_version NOT GLOB '*[^0-9.]*' AND length(NEW.resource_version) - length(replace(NEW.resource_version, '.', '')) = 2 AND NEW.resource_version NOT GLOB '.*' AND NEW.resource_version NOT GLOB '*.' AND NEW.resource_version NOT GLOB '*..*');
    SELECT RAISE(ABORT, 'CHECK constraint failed: catalog_meta_object') WHERE NOT (NEW.meta IS NULL OR json_type(NEW.meta) = 'object');
END;

CREATE TRIGGER IF NOT EXISTS credential_checks_insert BEFORE INSERT ON credential
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: credential_data_sealed') WHERE NOT (NEW.data_encrypted LIKE 'v1:%:%');
    SELECT RAISE(ABORT, 'CHECK constraint failed: credential_meta_object') WHERE NOT (NEW.meta IS NULL OR json_type(NEW.meta) = 'object');
END;

CREATE TRIGGER IF NOT EXISTS credential_checks_update BEFORE UPDATE ON credential
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: credential_data_sealed') WHERE NOT (NEW.data_encrypted LIKE 'v1:%:%');
    SELECT RAISE(ABORT, 'CHECK constraint failed: credential_meta_object') WHERE NOT (NEW.meta IS NULL OR json_type(NEW.meta) = 'object');
END;

CREATE TRIGGER IF NOT EXISTS runtime_checks_insert BEFORE INSERT ON runtime
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: runtime_capacity_range') WHERE NOT (NEW.capacity IS NULL OR NEW.capacity BETWEEN 0 AND 2147483647);
    SELECT RAISE(ABORT, 'CHECK constraint failed: runtime_labels_object') WHERE NOT (NEW.labels IS NULL OR json_type(NEW.labels) = 'object');
END;

CREATE TRIGGER IF NOT EXISTS runtime_checks_update BEFORE UPDATE ON runtime
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: runtime_capacity_range') WHERE NOT (NEW.capacity IS NULL OR NEW.capacity BETWEEN 0 AND 2147483647);
    SELECT RAISE(ABORT, 'CHECK constraint failed: runtime_labels_object') WHERE NOT (NEW.labels IS NULL OR json_type(NEW.labels) = 'object');
END;

CREATE TRIGGER IF NOT EXISTS schedule_checks_insert BEFORE INSERT ON schedule
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: schedule_interval_range') WHERE NOT (NEW.interval_sec IS NULL OR NEW.interval_sec <= 2147483647);
    SELECT RAISE(ABORT, 'CHECK constraint failed: schedule_meta_object') WHERE NOT (NEW.meta IS NULL OR json_type(NEW.meta) = 'object');
END;

CREATE TRIGGER IF NOT EXISTS schedule_checks_update BEFORE UPDATE ON schedule
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: schedule_interval_range') WHERE NOT (NEW.interval_sec IS NULL OR NEW.interval_sec <= 2147483647);
    SELECT RAISE(ABORT, 'CHECK constraint failed: schedule_meta_object') WHERE NOT (NEW.meta IS NULL OR json_type(NEW.meta) = 'object');
END;

CREATE TRIGGER IF NOT EXISTS event_log_checks_insert BEFORE INSERT ON event_log
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: event_log_current_index_range') WHERE NOT (NEW.current_index IS NULL OR NEW.current_index BETWEEN 0 AND 2147483647);
    SELECT RAISE(ABORT, 'CHECK constraint failed: event_log_duration_range') WHERE NOT (NEW.duration IS NULL OR (NEW.duration >= 0 AND NEW.duration <= 1e12));
END;

CREATE TRIGGER IF NOT EXISTS event_log_checks_update BEFORE UPDATE ON event_log
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: event_log_current_index_range') WHERE NOT (NEW.current_index IS NULL OR NEW.current_index BETWEEN 0 AND 2147483647);
    SELECT RAISE(ABORT, 'CHECK constraint failed: event_log_duration_range') WHERE NOT (NEW.duration IS NULL OR (NEW.duration >= 0 AND NEW.duration <= 1e12));
END;
