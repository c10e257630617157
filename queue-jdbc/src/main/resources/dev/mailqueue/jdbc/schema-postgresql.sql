-- mailqueue schema for PostgreSQL 12+, version 3. Idempotent: safe to run again. A version 1 schema is
-- upgraded by upgrade-postgresql-1-to-2.sql then
-- upgrade-postgresql-2-to-3.sql, a version 2 schema by the second (JdbcMailStore runs it when createSchema is set).
-- Table names start with the prefix "mq_" (configurable: replace it consistently when you run this
-- script yourself with Flyway or Liquibase, and set the same prefix on the JdbcMailStore).
-- All times are epoch milliseconds taken from the database clock.

CREATE TABLE IF NOT EXISTS mq_message (
  id                 uuid          PRIMARY KEY,
  state              varchar(16)   NOT NULL,
  priority           smallint      NOT NULL,
  due_at             bigint,                      -- claimable when <= now; NULL when finished or held
  created_at         bigint        NOT NULL,
  updated_at         bigint        NOT NULL,
  expires_at         bigint        NOT NULL,
  finished_at        bigint,
  attempts           integer       NOT NULL DEFAULT 0,
  uncertain_attempts integer       NOT NULL DEFAULT 0,
  lease_token        bigint        NOT NULL DEFAULT 0,   -- fencing token, +1 on every claim
  lease_owner        varchar(64),
  tag                varchar(64),
  envelope_from      varchar(320)  NOT NULL,
  message_id_header  varchar(512)  NOT NULL,
  idempotency_key    varchar(255),
  size_bytes         integer       NOT NULL,
  last_code          smallint,
  last_enhanced      varchar(16),
  last_text          varchar(1000)
);
-- Partial: most messages have no key, and every claim and completion rewrites the row (due_at is
-- indexed), so an entry per NULL key would be one more index insert per write for nothing.
CREATE UNIQUE INDEX IF NOT EXISTS mq_message_idempotency ON mq_message (idempotency_key)
  WHERE idempotency_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS mq_message_due ON mq_message (priority, due_at) WHERE due_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS mq_message_finished ON mq_message (finished_at) WHERE finished_at IS NOT NULL;

-- The body, and copies of what send quotas look up, live apart from the row that claims and
-- completions rewrite: this table is written once. Every rewrite of a message row that changes an
-- indexed column (due_at does, on both) adds an entry to each of that row's indexes, so the quota
-- indexes are here instead (measured: the server's CPU per message drained fell by 17 % with no
-- SMTP, 8 % through SMTP; tagged mail saves one more index entry per rewrite).
CREATE TABLE IF NOT EXISTS mq_body (
  message_id    uuid          PRIMARY KEY REFERENCES mq_message (id) ON DELETE CASCADE,
  mime          bytea         NOT NULL,
  envelope_from varchar(320)  NOT NULL,   -- as mq_message.envelope_from
  tag           varchar(64),              -- as mq_message.tag
  created_at    bigint        NOT NULL    -- as mq_message.created_at
) WITH (fillfactor = 90);
-- Room on each page for the erased bodies: a delivered message's body is replaced by an empty one
-- (unless bodies are retained), an update in place of itself (HOT, no index entries) when the page
-- has room; measured: about a third of these updates were HOT with full pages. Tables created
-- before this setting keep fillfactor 100: ALTER TABLE mq_body SET (fillfactor = 90) once.
-- Send quotas count recent mail per sender or tag; the administrative filters use them too. The tag
-- index is partial for the same reason as the idempotency index: only "tag = ?" looks it up.
CREATE INDEX IF NOT EXISTS mq_body_sender ON mq_body (envelope_from, created_at);
CREATE INDEX IF NOT EXISTS mq_body_tag ON mq_body (tag, created_at) WHERE tag IS NOT NULL;

CREATE TABLE IF NOT EXISTS mq_recipient (
  message_id     uuid          NOT NULL REFERENCES mq_message (id) ON DELETE CASCADE,
  idx            smallint      NOT NULL,
  address        varchar(320)  NOT NULL,
  domain         varchar(255)  NOT NULL,
  status         varchar(16)   NOT NULL,
  reply_code     smallint,
  reply_enhanced varchar(16),
  reply_text     varchar(1000),
  updated_at     bigint,                    -- when an attempt or an administrator changed the status; NULL for a
                                            -- SUPPRESSED recipient the engine has not recorded and reported yet
  PRIMARY KEY (message_id, idx)
) WITH (fillfactor = 75);
-- Room on each page: a recipient is inserted once and updated in place of itself (a HOT update,
-- no index entry) when its delivery is recorded, since no indexed column changes. Tables created
-- before this setting keep fillfactor 100 (this script does not alter them): run
-- ALTER TABLE mq_recipient SET (fillfactor = 75) once to have new pages filled this way.

CREATE TABLE IF NOT EXISTS mq_attempt (
  message_id     uuid          NOT NULL REFERENCES mq_message (id) ON DELETE CASCADE,
  lease_token    bigint        NOT NULL,
  finished_at    bigint        NOT NULL,
  duration_ms    integer       NOT NULL,
  remote_host    varchar(255),
  outcome        varchar(16)   NOT NULL,
  counted        boolean       NOT NULL,
  uncertain      boolean       NOT NULL,
  reply_code     smallint,
  reply_enhanced varchar(16),
  reply_text     varchar(1000),
  PRIMARY KEY (message_id, lease_token)
);

CREATE TABLE IF NOT EXISTS mq_schema_version (
  version integer NOT NULL
);
INSERT INTO mq_schema_version (version) SELECT 3 WHERE NOT EXISTS (SELECT 1 FROM mq_schema_version);

-- Addresses nothing is sent to: hard bounces (added automatically), complaints, manual entries.
-- Addresses are lower case; an entry with expires_at in the past no longer applies. The scope is
-- '*' for all mail, or a tag: the entry then suppresses only mail with that tag (a newsletter left
-- with one click), so that receipts still arrive.
CREATE TABLE IF NOT EXISTS mq_suppression (
  address        varchar(320)  NOT NULL,
  scope          varchar(64)   NOT NULL DEFAULT '*',
  reason         varchar(64)   NOT NULL,
  reply_code     smallint,
  reply_enhanced varchar(16),
  reply_text     varchar(1000),
  created_at     bigint        NOT NULL,
  expires_at     bigint,
  PRIMARY KEY (address, scope)
);

-- Nodes delivering from this database: each started queue records a heartbeat (database clock)
-- every few seconds and deletes its row when it closes. The nodes with a recent heartbeat divide
-- per-destination limits among themselves. Rows silent for a day are deleted.
CREATE TABLE IF NOT EXISTS mq_node (
  node_id      varchar(64)  PRIMARY KEY,
  heartbeat_at bigint       NOT NULL,
  started_at   bigint
);
