-- noetldb schema, SQLite: nothing to do. On PostgreSQL this version
-- partitions event_log by execution; SQLite has no partitions, and keeps
-- the version so both dialects number their migrations alike.
SELECT 1;
