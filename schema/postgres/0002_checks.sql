-- noetldb schema, version 2, PostgreSQL: checks that hold other writers of
-- these tables (NoETL's server, a DBA's SQL) to the rules the Go layer
-- checks before writing. Added NOT VALID: rows written before this migration
-- are not re-checked (a shared database keeps working); every new or
-- changed row is. Rules no constraint can express stay in Go only: cron
-- expressions and time zones are parsed there, and a chat's owner being a
-- member of it spans two tables.

ALTER TABLE noetl.profile ADD CONSTRAINT profile_username_length CHECK (char_length(username) <= 255) NOT VALID;
ALTER TABLE noetl.profile ADD CONSTRAINT profile_username_canonical CHECK (username = lower(username) AND username !~ '[[:space:][:cntrl:]]') NOT VALID;
ALTER TABLE noetl.profile ADD CONSTRAINT profile_email_canonical CHECK (email IS NULL OR email = lower(email)) NOT VALID;
ALTER TABLE noetl.role ADD CONSTRAINT role_name_length CHECK (char_length(name) <= 255) NOT VALID;
ALTER TABLE noetl.label ADD CONSTRAINT label_name_rules CHECK (char_length(name) <= 255 AND name NOT IN ('.', '..')) NOT VALID;
ALTER TABLE noetl.chat ADD CONSTRAINT chat_name_length CHECK (char_length(name) <= 255) NOT VALID;
ALTER TABLE noetl.message ADD CONSTRAINT message_content_not_blank CHECK (btrim(content, E' \t\n\r') <> '') NOT VALID;
ALTER TABLE noetl.session ADD CONSTRAINT session_metadata_object CHECK (metadata IS NULL OR jsonb_typeof(metadata) = 'object') NOT VALID;
ALTER TABLE noetl.session ADD CONSTRAINT session_closed_after_opened CHECK (disconnected_at IS NULL OR disconnected_at >= connected_at) NOT VALID;
ALTER TABLE noetl.catalog ADD CONSTRAINT catalog_version_numbers CHECK (resource_version ~ '^[0-9]+\.[0-9]+\.[0-9]+$') NOT VALID;
ALTER TABLE noetl.catalog ADD CONSTRAINT catalog_meta_object CHECK (meta IS NULL OR jsonb_typeof(meta) = 'object') NOT VALID;
ALTER TABLE noetl.credential ADD CONSTRAINT credential_data_sealed CHECK (data_encrypted LIKE 'v1:%:%') NOT VALID;
ALTER TABLE noetl.credential ADD CONSTRAINT credential_meta_object CHECK (meta IS NULL OR jsonb_typeof(meta) = 'object') NOT VALID;
ALTER TABLE noetl.runtime ADD CONSTRAINT runtime_capacity_range CHECK (capacity IS NULL OR capacity >= 0) NOT VALID;
ALTER TABLE noetl.runtime ADD CONSTRAINT runtime_labels_object CHECK (labels IS NULL OR jsonb_typeof(labels) = 'object') NOT VALID;
ALTER TABLE noetl.schedule ADD CONSTRAINT schedule_meta_object CHECK (meta IS NULL OR jsonb_typeof(meta) = 'object') NOT VALID;
ALTER TABLE noetl.event_log ADD CONSTRAINT event_log_current_index_range CHECK (current_index IS NULL OR current_index >= 0) NOT VALID;
ALTER TABLE noetl.event_log ADD CONSTRAINT event_log_duration_range CHECK (duration IS NULL OR (duration >= 0 AND duration <= 1e12)) NOT VALID;
