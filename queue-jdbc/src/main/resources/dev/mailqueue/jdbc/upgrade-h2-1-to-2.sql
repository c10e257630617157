-- Upgrades a mailqueue schema from version 1 to version 2 on H2. Run it once, with every node
-- stopped; JdbcMailStore runs it at start when createSchema is set and it finds version 1. Replace
-- the prefix "mq_" as in schema-h2.sql. Version 2 moves the send-quota indexes from mq_message to
-- mq_body, which is written once (see schema-postgresql.sql).

ALTER TABLE mq_body ADD COLUMN IF NOT EXISTS envelope_from varchar(320);
ALTER TABLE mq_body ADD COLUMN IF NOT EXISTS tag varchar(64);
ALTER TABLE mq_body ADD COLUMN IF NOT EXISTS created_at bigint;
UPDATE mq_body b SET envelope_from = (SELECT m.envelope_from FROM mq_message m WHERE m.id = b.message_id),
                     tag = (SELECT m.tag FROM mq_message m WHERE m.id = b.message_id),
                     created_at = (SELECT m.created_at FROM mq_message m WHERE m.id = b.message_id)
  WHERE b.created_at IS NULL;
ALTER TABLE mq_body ALTER COLUMN envelope_from SET NOT NULL;
ALTER TABLE mq_body ALTER COLUMN created_at SET NOT NULL;
CREATE INDEX IF NOT EXISTS mq_body_sender ON mq_body (envelope_from, created_at);
CREATE INDEX IF NOT EXISTS mq_body_tag ON mq_body (tag, created_at);
DROP INDEX IF EXISTS mq_message_sender;
DROP INDEX IF EXISTS mq_message_tag;
UPDATE mq_schema_version SET version = 2 WHERE version = 1;
