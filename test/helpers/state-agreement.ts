// Whether a state file agrees with the three service databases after an upgrade: every step
// done (none left "running" or "failed"), its batch mirror equal to the snf_upgrade_journal rows
// of the databases (same batches, same row counts), before-images only for committed batches,
// and no lock left behind in the state file or in any database.
import Database from 'better-sqlite3';
import { SERVICES, openDb, type Service } from '../../src/db/connection.js';
import { STEPS } from '../../src/runbook/steps.js';

interface Batch { step: string; batch: string; rows: number }
const key = (b: { step: string; batch: string }): string => `${b.step} ${b.batch}`;

/** Lines describing every disagreement; empty when the state file agrees with the databases. */
export async function stateDisagreements(statePath: string, urls: Record<Service, string>): Promise<string[]> {
  const problems: string[] = [];
  const sqlite = new Database(statePath, { readonly: true, fileMustExist: true });
  let stateBatches: Batch[];
  let imageBatches: { step: string; batch: string }[];
  try {
    const steps = sqlite.prepare('SELECT id, status FROM steps').all() as { id: string; status: string }[];
    const status = new Map(steps.map((s) => [s.id, s.status]));
    for (const def of STEPS) {
      const st = status.get(def.id) ?? 'pending';
      if (st !== 'done') problems.push(`state: step ${def.id} is ${st}, not done`);
    }
    stateBatches = sqlite.prepare('SELECT step, batch, rows FROM batches').all() as Batch[];
    imageBatches = sqlite.prepare('SELECT DISTINCT step, batch FROM journal').all() as { step: string; batch: string }[];
    const lock = sqlite.prepare('SELECT pid, command FROM lock').all() as { pid: number; command: string }[];
    for (const l of lock) problems.push(`state: lock still held by pid ${l.pid} (${l.command})`);
  } finally {
    sqlite.close();
  }

  const dbBatches = new Map<string, Batch & { service: Service }>();
  for (const service of SERVICES) {
    const db = await openDb(service, urls[service], { max: 1, application: 'snf-upgrade crash test' });
    try {
      const rows = (await db.pool.query('SELECT step, batch, rows_changed FROM snf_upgrade_journal')).rows as { step: string; batch: string; rows_changed: string }[];
      for (const r of rows) {
        const b = { service, step: r.step, batch: r.batch, rows: Number(r.rows_changed) };
        const seen = dbBatches.get(key(b));
        if (seen) problems.push(`${service}: batch "${key(b)}" is also journalled in ${seen.service}`);
        dbBatches.set(key(b), b);
      }
      const locks = await db.pool.query('SELECT * FROM snf_upgrade_lock').catch(() => ({ rows: [] as unknown[] }));
      if (locks.rows.length) problems.push(`${service}: snf_upgrade_lock still has ${locks.rows.length} row(s)`);
      const held = await db.pool.query("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())");
      if (held.rows[0].n > 0) problems.push(`${service}: ${held.rows[0].n} advisory lock(s) still held`);
    } finally {
      await db.close();
    }
  }

  const mirrored = new Map(stateBatches.map((b) => [key(b), b]));
  for (const [k, b] of dbBatches) {
    const m = mirrored.get(k);
    if (!m) problems.push(`state: batch "${k}" committed in ${b.service} (${b.rows} rows) is missing from the state file`);
    else if (m.rows !== b.rows) problems.push(`state: batch "${k}" has ${m.rows} rows in the state file, ${b.rows} in ${b.service}`);
  }
  for (const k of mirrored.keys()) if (!dbBatches.has(k)) problems.push(`state: batch "${k}" is in the state file but committed in no database`);
  for (const i of imageBatches) {
    if (!dbBatches.has(key(i))) problems.push(`state: before-images of batch "${key(i)}", which committed in no database`);
  }
  return problems;
}
