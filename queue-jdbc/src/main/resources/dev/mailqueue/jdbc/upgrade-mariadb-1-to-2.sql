-- Upgrades a mailqueue schema from version 1 to version 2 on MariaDB and MySQL. Run it once, with
-- every node stopped; JdbcMailStore runs it at start when createSchema is set and it finds version 1.
-- Replace the prefix "mq_" as in schema-mariadb.sql. Version 2 moves the send-quota indexes from
-- mq_message to mq_body, which is written once (see schema-postgresql.sql). MySQL has no
-- "ADD COLUMN IF NOT EXISTS", so each change is one ALTER TABLE, atomic on its own. If the script
-- stops half way, run it again: JdbcMailStore skips the steps that fail with "duplicate column"
-- (1060), "duplicate key name" (1061) or "can't drop" (1091), which an earlier run has done; by
-- hand, leave out the statements before the one that failed.

ALTER TABLE mq_body ADD COLUMN envelope_from varchar(320) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
  ADD COLUMN tag varchar(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin, ADD COLUMN created_at bigint;
UPDATE mq_body b JOIN mq_message m ON m.id = b.message_id
   SET b.envelope_from = m.envelope_from, b.tag = m.tag, b.created_at = m.created_at
 WHERE b.created_at IS NULL;
ALTER TABLE mq_body MODIFY envelope_from varchar(320) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  MODIFY created_at bigint NOT NULL, ADD KEY mq_body_sender (envelope_from, created_at),
  ADD KEY mq_body_tag (tag, created_at);
ALTER TABLE mq_message DROP KEY mq_message_sender;
ALTER TABLE mq_message DROP KEY mq_message_tag;
UPDATE mq_schema_version SET version = 2 WHERE version = 1;
