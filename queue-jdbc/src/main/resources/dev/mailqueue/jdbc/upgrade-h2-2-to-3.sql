-- Upgrades a mailqueue schema from version 2 to version 3 on H2. Run it once, with every node
-- stopped; JdbcMailStore runs it at start when createSchema is set and it finds version 2 (after
-- upgrade-h2-1-to-2.sql when it finds version 1). Replace the prefix "mq_" as in schema-h2.sql.
-- Version 3 scopes suppression list entries: the key becomes (address, scope), and the entries
-- already there keep applying to all mail (scope '*').

ALTER TABLE mq_suppression ADD COLUMN IF NOT EXISTS scope varchar(64) NOT NULL DEFAULT '*';
ALTER TABLE mq_suppression DROP PRIMARY KEY;
ALTER TABLE mq_suppression ADD PRIMARY KEY (address, scope);
UPDATE mq_schema_version SET version = 3 WHERE version = 2;
