-- Upgrades a mailqueue schema from version 2 to version 3 on MariaDB and MySQL. Run it once, with
-- every node stopped; JdbcMailStore runs it at start when createSchema is set and it finds version 2
-- (after upgrade-mariadb-1-to-2.sql when it finds version 1). Replace the prefix "mq_" as in
-- schema-mariadb.sql. Version 3 scopes suppression list entries: the key becomes (address, scope),
-- and the entries already there keep applying to all mail (scope '*'). The change is one ALTER TABLE,
-- atomic on its own; run again after it, it fails with "duplicate column" (1060), which
-- JdbcMailStore skips.

ALTER TABLE mq_suppression ADD COLUMN scope varchar(64) NOT NULL DEFAULT '*', DROP PRIMARY KEY,
  ADD PRIMARY KEY (address, scope);
UPDATE mq_schema_version SET version = 3 WHERE version = 2;
