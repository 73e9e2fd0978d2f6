// Exactly-once batches (design rule 1): each batch that writes a service database commits
// in the same transaction as its row in snf_upgrade_journal; on resume that table, not the
// state file, says which batches are done.
import type pg from 'pg';
import type { Db } from './connection.js';
import { faultPoint } from '../faults.js';

export const JOURNAL_TABLE = 'snf_upgrade_journal';

const CREATE_JOURNAL = `CREATE TABLE IF NOT EXISTS ${JOURNAL_TABLE} (
  step varchar(16) NOT NULL,
  batch varchar(200) NOT NULL,
  run_id varchar(64),
  rows_changed bigint NOT NULL DEFAULT 0,
  committed_at timestamp with time zone NOT NULL DEFAULT now(),
  PRIMARY KEY (step, batch)
)`;

export async function ensureJournal(db: Db): Promise<void> {
  await db.pool.query(CREATE_JOURNAL);
}

async function journalExists(q: pg.Pool | pg.PoolClient): Promise<boolean> {
  const r = await q.query(`SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1`, [JOURNAL_TABLE]);
  return r.rowCount! > 0;
}

export interface BatchResult { done: boolean; skipped: boolean; rows: number }

export interface BatchOptions {
  step: string;
  batch: string;
  runId?: string;
  /** Runs in the batch's transaction after its work; throws to roll it back (e.g. the lock is gone). */
  guard?: (client: pg.PoolClient) => Promise<void>;
  /** Runs after the batch's work and before COMMIT (e.g. to store before-images). */
  beforeCommit?: (rows: number) => void | Promise<void>;
}

/**
 * Runs WORK in one transaction together with the journal row for (step, batch). A batch
 * whose row already exists is skipped without running WORK.
 */
export async function runBatch(db: Db, opts: BatchOptions, work: (client: pg.PoolClient) => Promise<number>): Promise<BatchResult> {
  const client = await db.pool.connect();
  // A checked-out client has no error listener: without one, a connection the server closes
  // while this batch waits (e.g. pg_terminate_backend) would crash the process.
  let cut: Error | undefined;
  const onError = (err: Error) => { cut ??= err; };
  client.on('error', onError);
  let broken = false;
  try {
    await client.query('BEGIN');
    const seen = await client.query(`SELECT 1 FROM ${JOURNAL_TABLE} WHERE step = $1 AND batch = $2`, [opts.step, opts.batch]);
    if (seen.rowCount! > 0) {
      await client.query('ROLLBACK');
      return { done: true, skipped: true, rows: 0 };
    }
    const rows = await work(client);
    await client.query(`INSERT INTO ${JOURNAL_TABLE} (step, batch, run_id, rows_changed) VALUES ($1, $2, $3, $4)`,
      [opts.step, opts.batch, opts.runId ?? null, rows]);
    await opts.guard?.(client);
    await opts.beforeCommit?.(rows);
    await faultPoint('batch:before-commit');
    await client.query('COMMIT');
    await faultPoint('batch:after-commit');
    return { done: true, skipped: false, rows };
  } catch (err) {
    broken = !!cut;
    if (!cut) await client.query('ROLLBACK').catch(() => { broken = true; });
    // The server's own reason (e.g. 57P01) beats the driver's "not queryable" that follows it.
    throw cut ?? err;
  } finally {
    client.removeListener('error', onError);
    client.release(broken || !!cut);
  }
}

export interface CommittedBatch { batch: string; rows: number; committedAt: Date }

/** Batches of STEP that committed in this database, oldest first. */
export async function committedBatches(db: Db, step: string): Promise<CommittedBatch[]> {
  if (!(await journalExists(db.pool))) return [];
  const r = await db.pool.query<{ batch: string; rows_changed: string; committed_at: Date }>(
    `SELECT batch, rows_changed, committed_at FROM ${JOURNAL_TABLE} WHERE step = $1 ORDER BY committed_at, batch`, [step]);
  return r.rows.map((row) => ({ batch: row.batch, rows: Number(row.rows_changed), committedAt: row.committed_at }));
}

/** Forgets STEP's batches (used by undo, in the same transaction as the restore). */
export async function forgetBatches(client: pg.PoolClient, step: string): Promise<void> {
  if (await journalExists(client)) await client.query(`DELETE FROM ${JOURNAL_TABLE} WHERE step = $1`, [step]);
}

/** Runs FN in one transaction of its own on POOL: committed when it returns, rolled back when it throws. */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query('BEGIN');
    const out = await fn(client);
    await client.query('COMMIT');
    return out;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => { broken = true; });
    throw err;
  } finally {
    client.release(broken);
  }
}
