-- Upgrades a mailqueue schema from version 2 to version 3 on PostgreSQL, in one transaction. Run it
-- once, with every node stopped; JdbcMailStore runs it at start when createSchema is set and it
-- finds version 2 (after upgrade-postgresql-1-to-2.sql when it finds version 1). Replace the prefix
-- "mq_" as in schema-postgresql.sql. Version 3 scopes suppression list entries: the key becomes
-- (address, scope), and the entries already there keep applying to all mail (scope '*').

ALTER TABLE mq_suppression ADD COLUMN IF NOT EXISTS scope varchar(64) NOT NULL DEFAULT '*';
ALTER TABLE mq_suppression DROP CONSTRAINT IF EXISTS mq_suppression_pkey;
ALTER TABLE mq_suppression ADD CONSTRAINT mq_suppression_pkey PRIMARY KEY (address, scope);
UPDATE mq_schema_version SET version = 3 WHERE version = 2;
