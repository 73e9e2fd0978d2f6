// The state file's own schema, versioned with PRAGMA user_version: MIGRATIONS[i] takes a
// file from version i to i+1. Append new migrations; never edit one that has shipped.
import type Database from 'better-sqlite3';

/** PRAGMA application_id of every snf-upgrade state file ('SNFU'). */
export const APPLICATION_ID = 0x534e4655;

export type Migration = string | ((db: Database.Database) => void);

const V1_INITIAL = `
-- Key/value facts about the upgrade record: deployment_fingerprint, created_at, tool_version.
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
INSERT INTO meta (key, value) VALUES ('created_at', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));

-- One row per invocation of the tool. outcome stays NULL if the process died.
CREATE TABLE runs (
  id         INTEGER PRIMARY KEY,
  started_at TEXT NOT NULL,
  ended_at   TEXT,
  host       TEXT NOT NULL,
  pid        INTEGER NOT NULL,
  command    TEXT NOT NULL,
  outcome    TEXT
);

-- Progress of each runbook step (id as in the runbook: 1, 2.2, ...).
CREATE TABLE steps (
  id          TEXT PRIMARY KEY,
  status      TEXT NOT NULL DEFAULT 'pending'
              CHECK (status IN ('pending', 'running', 'done', 'failed', 'skipped')),
  attempts    INTEGER NOT NULL DEFAULT 0,
  started_at  TEXT,
  finished_at TEXT,
  duration_ms INTEGER,
  last_error  TEXT,            -- scrubbed message of the latest failure
  summary     TEXT,            -- JSON, what the step reported when done
  note        TEXT,            -- operator-facing note, e.g. why it was skipped
  run_id      INTEGER REFERENCES runs (id)
);

-- What a step's inspect found; putFindings replaces all rows of one (step, kind).
CREATE TABLE findings (
  id   INTEGER PRIMARY KEY,     -- keeps insertion order
  step TEXT NOT NULL,
  kind TEXT NOT NULL,
  key  TEXT NOT NULL,
  data TEXT NOT NULL,           -- JSON
  UNIQUE (step, kind, key)
);

-- Answers to the step's questions (e.g. which duplicate user to keep).
CREATE TABLE decisions (
  step       TEXT NOT NULL,
  key        TEXT NOT NULL,
  value      TEXT NOT NULL,     -- JSON
  source     TEXT NOT NULL CHECK (source IN ('operator', 'suggested', 'answers', 'default')),
  decided_at TEXT NOT NULL,
  PRIMARY KEY (step, key)
);

-- Mirror of the batches committed in the service databases (snf_upgrade_journal there is
-- the truth; this copy is for reports).
CREATE TABLE batches (
  id           INTEGER PRIMARY KEY,
  step         TEXT NOT NULL,
  batch        TEXT NOT NULL,
  rows         INTEGER NOT NULL,
  committed_at TEXT NOT NULL,
  UNIQUE (step, batch)
);

-- Before-images of every row a step deletes or rewrites destructively.
CREATE TABLE journal (
  id          INTEGER PRIMARY KEY,
  step        TEXT NOT NULL,
  batch       TEXT NOT NULL,
  service     TEXT NOT NULL CHECK (service IN ('astakos', 'cyclades', 'pithos')),
  table_name  TEXT NOT NULL,
  pk          TEXT NOT NULL,    -- JSON of the primary key columns
  "row"       TEXT NOT NULL,    -- JSON of the whole row before the change
  action      TEXT NOT NULL CHECK (action IN ('delete', 'update')),
  recorded_at TEXT NOT NULL
);
CREATE INDEX journal_by_step_batch ON journal (step, batch);
CREATE INDEX journal_by_step ON journal (step);  -- (step, id) order for whole-step reads

-- Database backups taken or declared before destructive steps.
CREATE TABLE backups (
  id         INTEGER PRIMARY KEY,
  step       TEXT,              -- the step (or phase) it protects
  service    TEXT NOT NULL CHECK (service IN ('astakos', 'cyclades', 'pithos')),
  kind       TEXT NOT NULL CHECK (kind IN ('pg_dump', 'embedded', 'external')),
  path       TEXT NOT NULL,
  bytes      INTEGER,
  sha256     TEXT,
  verified   INTEGER NOT NULL DEFAULT 0,
  note       TEXT,
  created_at TEXT NOT NULL
);

-- The wizard's log.
CREATE TABLE events (
  id      INTEGER PRIMARY KEY,
  at      TEXT NOT NULL,
  step    TEXT,
  level   TEXT NOT NULL CHECK (level IN ('debug', 'info', 'warn', 'error')),
  message TEXT NOT NULL
);

-- The process that currently drives this file (at most one row).
CREATE TABLE lock (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  host       TEXT NOT NULL,
  pid        INTEGER NOT NULL,
  started_at TEXT NOT NULL,
  command    TEXT NOT NULL,
  token      TEXT NOT NULL      -- tells the holding StateFile instance apart
);

PRAGMA application_id = ${APPLICATION_ID};
`;

// The lock's holder also records when its process started (/proc/PID/stat), so that a pid the
// kernel has since given to another process is not taken for the holder.
const V2_LOCK_PROCESS_START = `ALTER TABLE lock ADD COLUMN process_start TEXT;`;

// Which database's journal holds each batch, so a database restored from a backup is told apart.
const V3_BATCH_SERVICE = `ALTER TABLE batches ADD COLUMN service TEXT;`;

export const MIGRATIONS: readonly Migration[] = [V1_INITIAL, V2_LOCK_PROCESS_START, V3_BATCH_SERVICE];

/** The schema version this build writes. */
export const LATEST_SCHEMA = MIGRATIONS.length;

export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Brings DB up to migrations.length, each step in the same immediate transaction as the
 * user_version bump. Re-reads the version inside the lock, so two processes opening a new
 * file at once migrate it once.
 */
export function applyMigrations(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): void {
  if (schemaVersion(db) >= migrations.length) return;
  db.transaction(() => {
    for (let version = schemaVersion(db); version < migrations.length; version++) {
      const migration = migrations[version]!;
      if (typeof migration === 'string') db.exec(migration);
      else migration(db);
      db.pragma(`user_version = ${version + 1}`);
    }
  }).immediate();
}
