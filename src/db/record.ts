// What each service database records of the upgrade beside its journal: the steps that
// finished and the decisions the steps acted on. With the journal, this is what a lost or
// stale state file is checked against at every start and rebuilt from (snf-upgrade recover).
import type pg from 'pg';
import { JOURNAL_TABLE } from './journal.js';

export const STEPS_TABLE = 'snf_upgrade_steps';
export const DECISIONS_TABLE = 'snf_upgrade_decisions';

type Queryable = pg.Pool | pg.PoolClient;

export async function ensureRecordTables(q: Queryable): Promise<void> {
  await q.query(`CREATE TABLE IF NOT EXISTS ${STEPS_TABLE} (
    step varchar(16) PRIMARY KEY, finished_at timestamp with time zone NOT NULL, summary text)`);
  await q.query(`CREATE TABLE IF NOT EXISTS ${DECISIONS_TABLE} (
    step varchar(16) NOT NULL, key text NOT NULL, value text NOT NULL, source varchar(16) NOT NULL,
    decided_at varchar(40) NOT NULL, PRIMARY KEY (step, key))`);
}

/** A decision as both the state file and the databases keep it (VALUE is JSON). */
export interface RecordedDecision { key: string; value: string; source: string; decidedAt: string }

/** Replaces STEP's recorded decisions with DECISIONS (inside the caller's transaction). */
export async function writeDecisions(client: pg.PoolClient, step: string, decisions: RecordedDecision[]): Promise<void> {
  await client.query(`DELETE FROM ${DECISIONS_TABLE} WHERE step = $1`, [step]);
  for (let i = 0; i < decisions.length; i += 200) {
    const chunk = decisions.slice(i, i + 200);
    const values = chunk.map((_, j) => `($1, $${j * 4 + 2}, $${j * 4 + 3}, $${j * 4 + 4}, $${j * 4 + 5})`).join(', ');
    await client.query(`INSERT INTO ${DECISIONS_TABLE} (step, key, value, source, decided_at) VALUES ${values}`,
      [step, ...chunk.flatMap((d) => [d.key, d.value, d.source, d.decidedAt])]);
  }
}

/** Records STEP as finished at AT (or, with AT undefined, as not finished). */
export async function writeStepDone(client: pg.PoolClient, step: string, at: Date | undefined, summary?: string): Promise<void> {
  await client.query(`DELETE FROM ${STEPS_TABLE} WHERE step = $1`, [step]);
  if (at) await client.query(`INSERT INTO ${STEPS_TABLE} (step, finished_at, summary) VALUES ($1, $2, $3)`, [step, at, summary ?? null]);
}

export interface JournalRow { step: string; batch: string; rows: number; committedAt: Date }

/** Everything a database records of the upgrade (empty lists where a table does not exist yet). */
export interface DatabaseRecord {
  journal: JournalRow[];
  done: { step: string; finishedAt: Date; summary: string | null }[];
  decisions: (RecordedDecision & { step: string })[];
}

export async function readRecord(q: Queryable): Promise<DatabaseRecord> {
  const r = await q.query<{ table_name: string }>(
    'SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ANY($1)',
    [[JOURNAL_TABLE, STEPS_TABLE, DECISIONS_TABLE]]);
  const has = new Set(r.rows.map((x) => x.table_name));
  const journal = has.has(JOURNAL_TABLE)
    ? (await q.query<{ step: string; batch: string; rows_changed: string; committed_at: Date }>(
      `SELECT step, batch, rows_changed, committed_at FROM ${JOURNAL_TABLE} ORDER BY committed_at, step, batch`)).rows
      .map((x) => ({ step: x.step, batch: x.batch, rows: Number(x.rows_changed), committedAt: x.committed_at }))
    : [];
  const done = has.has(STEPS_TABLE)
    ? (await q.query<{ step: string; finished_at: Date; summary: string | null }>(`SELECT step, finished_at, summary FROM ${STEPS_TABLE}`)).rows
      .map((x) => ({ step: x.step, finishedAt: x.finished_at, summary: x.summary }))
    : [];
  const decisions = has.has(DECISIONS_TABLE)
    ? (await q.query<{ step: string; key: string; value: string; source: string; decided_at: string }>(
      `SELECT step, key, value, source, decided_at FROM ${DECISIONS_TABLE} ORDER BY step, key`)).rows
      .map((x) => ({ step: x.step, key: x.key, value: x.value, source: x.source, decidedAt: x.decided_at }))
    : [];
  return { journal, done, decisions };
}
