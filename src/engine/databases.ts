// What the engine does with the service databases, as one object: the real PostgreSQL one by
// default, a fake in the runner's tests (so its rules are checked without a server).
import type pg from 'pg';
import { openDb, type Db, type Service } from '../db/connection.js';
import { committedBatches, ensureJournal, inTransaction, runBatch, type BatchOptions, type BatchResult, type CommittedBatch } from '../db/journal.js';
import { acquireLock, lockHolder, lockStillHeld, type HeldLock, type LockHolder } from '../db/lock.js';
import { otherSessions, ownApplicationName, type Session as DbSession } from '../db/sessions.js';
import { analyzeTables } from '../db/statistics.js';
import { cancelRunning, trackCheckedOut } from '../db/cancel.js';
import { detectSchema } from '../db/detect.js';
import { ensureRecordTables, readRecord, writeDecisions, writeStepDone, type DatabaseRecord, type RecordedDecision } from '../db/record.js';

export interface DatabaseAccess {
  open(service: Service, url: string): Promise<Db>;
  /** Takes DB's runner lock (or throws naming its holder). */
  lock(db: Db, command: string, opts: { takeOver?: boolean }): Promise<HeldLock>;
  /** Who holds DB's runner lock, if anyone recorded it. */
  lockHolder(db: Db): Promise<LockHolder | undefined>;
  /** Inside a batch: whether the lock's session BACKEND_PID still holds it. */
  lockStillHeld(client: pg.PoolClient, backendPid: number): Promise<boolean>;
  /** Creates the journal and the record tables (steps finished, decisions) when missing. */
  ensureJournal(db: Db): Promise<void>;
  /** What DB records of the upgrade (its journal, the steps it saw finish, the decisions kept there) and each of its services' schema release. */
  readRecord(db: Db): Promise<{ record: DatabaseRecord; releases: Partial<Record<Service, string>> }>;
  /** Inside a batch: replaces STEP's decisions kept in the database. */
  writeDecisions(client: pg.PoolClient, step: string, decisions: RecordedDecision[]): Promise<void>;
  /** In one transaction of its own: STEP finished at AT (undefined: undone) with its decisions as they are now. */
  writeStep(db: Db, step: string, at: Date | undefined, summary: string | undefined, decisions: RecordedDecision[]): Promise<void>;
  committedBatches(db: Db, step: string): Promise<CommittedBatch[]>;
  /** One exactly-once batch: WORK and its journal row in one transaction (skipped when the row exists). */
  runBatch(db: Db, opts: BatchOptions, work: (client: pg.PoolClient) => Promise<number>): Promise<BatchResult>;
  /** Sessions on DB that are not snf-upgrade's (services that should be down). */
  otherSessions(db: Db): Promise<DbSession[]>;
  analyzeTables(db: Db, tables: string[]): Promise<void>;
  /** Cancels the statements DB's sessions are running (their batches roll back); how many sessions were asked. */
  cancelRunning(db: Db): Promise<number>;
}

export const postgres: DatabaseAccess = {
  async open(service, url) {
    const db = await openDb(service, url, { application: ownApplicationName() });
    trackCheckedOut(db.pool);
    return db;
  },
  lock: acquireLock,
  lockHolder: (db) => lockHolder(db.pool),
  lockStillHeld,
  async ensureJournal(db) {
    await ensureJournal(db);
    await ensureRecordTables(db.pool);
  },
  async readRecord(db) {
    const releases: Partial<Record<Service, string>> = {};
    for (const s of db.services ?? [db.service]) releases[s] = (await detectSchema(db.pool, s)).kind;
    return { record: await readRecord(db.pool), releases };
  },
  writeDecisions,
  writeStep: (db, step, at, summary, decisions) => inTransaction(db.pool, async (client) => {
    await writeStepDone(client, step, at, summary);
    await writeDecisions(client, step, decisions);
  }),
  committedBatches,
  runBatch,
  otherSessions,
  analyzeTables: (db, tables) => analyzeTables(db.pool, tables),
  // One embedded backend serves every client: canceling there would hit whatever runs.
  cancelRunning: async (db) => (db.embedded ? 0 : cancelRunning(db.pool)),
};
