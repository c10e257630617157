-- Upgrades a mailqueue schema from version 1 to version 2 on PostgreSQL. Run it once, with every
-- node stopped (a version 1 node cannot insert into the new mq_body columns); JdbcMailStore runs it
-- at start when createSchema is set and it finds version 1. Replace the prefix "mq_" as in
-- schema-postgresql.sql. Version 2 moves the send-quota indexes from mq_message, which claims and
-- completions rewrite, to mq_body, which is written once (see schema-postgresql.sql).
-- The backfill rewrites every body row once: on a large queue, expect it to take a while.

ALTER TABLE mq_body ADD COLUMN IF NOT EXISTS envelope_from varchar(320);
ALTER TABLE mq_body ADD COLUMN IF NOT EXISTS tag varchar(64);
ALTER TABLE mq_body ADD COLUMN IF NOT EXISTS created_at bigint;
UPDATE mq_body b SET envelope_from = m.envelope_from, tag = m.tag, created_at = m.created_at
  FROM mq_message m WHERE m.id = b.message_id AND b.created_at IS NULL;
ALTER TABLE mq_body ALTER COLUMN envelope_from SET NOT NULL;
ALTER TABLE mq_body ALTER COLUMN created_at SET NOT NULL;
CREATE INDEX IF NOT EXISTS mq_body_sender ON mq_body (envelope_from, created_at);
CREATE INDEX IF NOT EXISTS mq_body_tag ON mq_body (tag, created_at) WHERE tag IS NOT NULL;
DROP INDEX IF EXISTS mq_message_sender;
DROP INDEX IF EXISTS mq_message_tag;
UPDATE mq_schema_version SET version = 2 WHERE version = 1;
