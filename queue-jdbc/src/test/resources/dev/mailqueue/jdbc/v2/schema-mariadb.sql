-- mailqueue schema for MariaDB 10.6+ and MySQL 8.0+, version 2. Idempotent: safe to run again. A version 1
-- schema is upgraded by upgrade-mariadb-1-to-2.sql (JdbcMailStore runs it when createSchema is set).
-- Table names start with the prefix "mq_" (configurable: replace it consistently when you run this
-- script yourself with Flyway or Liquibase, and set the same prefix on the JdbcMailStore).
-- All times are epoch milliseconds taken from the database clock.

CREATE TABLE IF NOT EXISTS mq_message (
  id                 char(36)      CHARACTER SET ascii NOT NULL PRIMARY KEY,
  state              varchar(16)   NOT NULL,
  priority           smallint      NOT NULL,
  due_at             bigint,
  created_at         bigint        NOT NULL,
  updated_at         bigint        NOT NULL,
  expires_at         bigint        NOT NULL,
  finished_at        bigint,
  attempts           integer       NOT NULL DEFAULT 0,
  uncertain_attempts integer       NOT NULL DEFAULT 0,
  lease_token        bigint        NOT NULL DEFAULT 0,
  lease_owner        varchar(64),
  tag                varchar(64),
  envelope_from      varchar(320)  NOT NULL,
  message_id_header  varchar(512)  NOT NULL,
  idempotency_key    varchar(255),
  size_bytes         integer       NOT NULL,
  last_code          smallint,
  last_enhanced      varchar(16),
  last_text          varchar(1000),
  UNIQUE KEY mq_message_idempotency (idempotency_key),
  KEY mq_message_due (priority, due_at),
  KEY mq_message_finished (finished_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The body, and copies of what send quotas look up, written once (see schema-postgresql.sql). Send
-- quotas count recent mail per sender or tag; the administrative filters use the same indexes. They
-- are declared here because MySQL has no CREATE INDEX IF NOT EXISTS.
CREATE TABLE IF NOT EXISTS mq_body (
  message_id    char(36)      CHARACTER SET ascii NOT NULL PRIMARY KEY,
  mime          longblob      NOT NULL,
  envelope_from varchar(320)  NOT NULL,
  tag           varchar(64),
  created_at    bigint        NOT NULL,
  KEY mq_body_sender (envelope_from, created_at),
  KEY mq_body_tag (tag, created_at),
  CONSTRAINT mq_body_message FOREIGN KEY (message_id) REFERENCES mq_message (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS mq_recipient (
  message_id     char(36)      CHARACTER SET ascii NOT NULL,
  idx            smallint      NOT NULL,
  address        varchar(320)  NOT NULL,
  domain         varchar(255)  NOT NULL,
  status         varchar(16)   NOT NULL,
  reply_code     smallint,
  reply_enhanced varchar(16),
  reply_text     varchar(1000),
  updated_at     bigint,                    -- when an attempt or an administrator changed the status; NULL for a
                                            -- SUPPRESSED recipient the engine has not recorded and reported yet
  PRIMARY KEY (message_id, idx),
  CONSTRAINT mq_recipient_message FOREIGN KEY (message_id) REFERENCES mq_message (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS mq_attempt (
  message_id     char(36)      CHARACTER SET ascii NOT NULL,
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
  PRIMARY KEY (message_id, lease_token),
  CONSTRAINT mq_attempt_message FOREIGN KEY (message_id) REFERENCES mq_message (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS mq_schema_version (
  version integer NOT NULL
) ENGINE=InnoDB;
INSERT INTO mq_schema_version (version) SELECT 2 FROM DUAL WHERE NOT EXISTS (SELECT 1 FROM mq_schema_version);

-- Addresses nothing is sent to: hard bounces (added automatically), complaints, manual entries.
-- Addresses are lower case; an entry with expires_at in the past no longer applies.
CREATE TABLE IF NOT EXISTS mq_suppression (
  address        varchar(320)  NOT NULL PRIMARY KEY,
  reason         varchar(64)   NOT NULL,
  reply_code     smallint,
  reply_enhanced varchar(16),
  reply_text     varchar(1000),
  created_at     bigint        NOT NULL,
  expires_at     bigint
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Nodes delivering from this database: each started queue records a heartbeat (database clock)
-- every few seconds and deletes its row when it closes. The nodes with a recent heartbeat divide
-- per-destination limits among themselves. Rows silent for a day are deleted.
CREATE TABLE IF NOT EXISTS mq_node (
  node_id      varchar(64)  NOT NULL PRIMARY KEY,
  heartbeat_at bigint       NOT NULL,
  started_at   bigint
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
