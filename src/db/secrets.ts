// Secrets in before-images (design rule 8): password hashes, API tokens and activation codes
// of deleted rows are kept in the service database they came from (which holds them anyway),
// in the same transaction as the delete; the state file only gets a placeholder.
import type pg from 'pg';

/** Columns whose values are credentials, per table. */
export const SECRET_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  auth_user: ['password'],
  im_astakosuser: ['auth_token'],
  im_emailchange: ['activation_key'],
  im_invitation: ['code'],
};

export const KEPT_IN_DATABASE = '(secret: kept in the service database, table snf_upgrade_secrets)';

type TextRow = Record<string, string | null>;

const pkKey = (row: TextRow, pk: readonly string[]): string => JSON.stringify(pk.map((c) => row[c] ?? null));

/** Creates snf_upgrade_secrets when it is missing (also where the wizard keeps the quotaholder token it generated). */
export async function ensureSecretsTable(client: pg.PoolClient): Promise<void> {
  await client.query(`CREATE TABLE IF NOT EXISTS snf_upgrade_secrets (
    step varchar(16) NOT NULL, tbl varchar(64) NOT NULL, pk text NOT NULL, col varchar(64) NOT NULL, value text)`);
}

/**
 * Copies the secret columns of ROWS of TABLE into snf_upgrade_secrets (inside the caller's
 * transaction) and returns the rows with those values replaced by a placeholder.
 */
export async function stashSecrets(client: pg.PoolClient, step: string, table: string, pk: readonly string[], rows: TextRow[]): Promise<TextRow[]> {
  const columns = (SECRET_COLUMNS[table] ?? []).filter((c) => rows.some((r) => r[c] !== null && r[c] !== undefined));
  if (!columns.length) return rows;
  await ensureSecretsTable(client);
  const entries: (string | null)[][] = [];
  const out = rows.map((row) => {
    const copy = { ...row };
    for (const c of columns) {
      if (row[c] === null || row[c] === undefined) continue;
      entries.push([step, table, pkKey(row, pk), c, row[c]!]);
      copy[c] = KEPT_IN_DATABASE;
    }
    return copy;
  });
  for (let i = 0; i < entries.length; i += 200) {
    const chunk = entries.slice(i, i + 200);
    const values = chunk.map((_, j) => `($${j * 5 + 1}, $${j * 5 + 2}, $${j * 5 + 3}, $${j * 5 + 4}, $${j * 5 + 5})`).join(', ');
    await client.query(`INSERT INTO snf_upgrade_secrets (step, tbl, pk, col, value) VALUES ${values}`, chunk.flat());
  }
  return out;
}

/** Puts the stashed values of STEP back into ROWS of TABLE (placeholders only). */
export async function unstashSecrets(client: pg.PoolClient, step: string, table: string, pk: readonly string[]): Promise<(row: TextRow) => TextRow> {
  if (!(SECRET_COLUMNS[table]?.length)) return (row) => row;
  const exists = await client.query(`SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'snf_upgrade_secrets'`);
  const kept = new Map<string, string | null>();
  if (exists.rowCount) {
    const r = await client.query<{ pk: string; col: string; value: string | null }>(
      'SELECT pk, col, value FROM snf_upgrade_secrets WHERE step = $1 AND tbl = $2', [step, table]);
    for (const row of r.rows) kept.set(`${row.pk}\0${row.col}`, row.value);
  }
  return (row) => {
    const copy = { ...row };
    for (const c of SECRET_COLUMNS[table]!) {
      if (copy[c] !== KEPT_IN_DATABASE) continue;
      const key = `${pkKey(row, pk)}\0${c}`;
      if (!kept.has(key)) throw new Error(`${table}.${c} of ${pkKey(row, pk)} is missing from snf_upgrade_secrets`);
      copy[c] = kept.get(key)!;
    }
    return copy;
  };
}

/** The primary keys (as stored: a JSON array of their values) of TABLE's rows whose secrets STEP stashed: the rows it deleted. */
export async function stashedKeys(q: pg.Pool | pg.PoolClient, step: string, table: string): Promise<unknown[][]> {
  const exists = await q.query(`SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'snf_upgrade_secrets'`);
  if (!exists.rowCount) return [];
  const r = await q.query<{ pk: string }>('SELECT DISTINCT pk FROM snf_upgrade_secrets WHERE step = $1 AND tbl = $2', [step, table]);
  return r.rows.map((row) => JSON.parse(row.pk) as unknown[]);
}

export async function forgetSecrets(client: pg.PoolClient, step: string): Promise<void> {
  const exists = await client.query(`SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'snf_upgrade_secrets'`);
  if (exists.rowCount) await client.query('DELETE FROM snf_upgrade_secrets WHERE step = $1', [step]);
}
