// What the engine does with the service databases, as one object: the real PostgreSQL one by
// default, a fake in the runner's tests (so its rules are checked without a server).
import type pg from 'pg';
import { openDb, type Db, type Service } from '../db/connection.js';
import { committedBatches, ensureJournal, runBatch, type BatchOptions, type BatchResult, type CommittedBatch } from '../db/journal.js';
import { acquireLock, lockHolder, lockStillHeld, type HeldLock, type LockHolder } from '../db/lock.js';
import { otherSessions, ownApplicationName, type Session as DbSession } from '../db/sessions.js';
import { analyzeTables } from '../db/statistics.js';
import { cancelRunning, trackCheckedOut } from '../db/cancel.js';

export interface DatabaseAccess {
  open(service: Service, url: string): Promise<Db>;
  /** Takes DB's runner lock (or throws naming its holder). */
  lock(db: Db, command: string, opts: { takeOver?: boolean }): Promise<HeldLock>;
  /** Who holds DB's runner lock, if anyone recorded it. */
  lockHolder(db: Db): Promise<LockHolder | undefined>;
  /** Inside a batch: whether the lock's session BACKEND_PID still holds it. */
  lockStillHeld(client: pg.PoolClient, backendPid: number): Promise<boolean>;
  ensureJournal(db: Db): Promise<void>;
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
  ensureJournal,
  committedBatches,
  runBatch,
  otherSessions,
  analyzeTables: (db, tables) => analyzeTables(db.pool, tables),
  // One embedded backend serves every client: canceling there would hit whatever runs.
  cancelRunning: async (db) => (db.embedded ? 0 : cancelRunning(db.pool)),
};
