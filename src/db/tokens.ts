// The tokens the settings snippets carry (secrets: shown to the operator only, never logged
// or stored in the state file), kept in and read from the astakos database.
import type pg from 'pg';
import { generateToken } from '../secrets.js';
import { ensureSecretsTable } from './secrets.js';
import { inTransaction } from './journal.js';

/** Where the generated quotaholder token is kept: astakos' snf_upgrade_secrets, one row. */
const QUOTAHOLDER_TOKEN_ROW = ['snippets', 'settings', 'QUOTAHOLDER_TOKEN', 'token'] as const;
/** Transaction-level advisory lock around reading or making it (not the runner lock's key). */
const TOKEN_LOCK_KEY = '8317698216382919200';

const TOKEN_WHERE = 'step = $1 AND tbl = $2 AND pk = $3 AND col = $4';

async function storedToken(q: pg.Pool | pg.PoolClient): Promise<string> {
  const r = await q.query<{ value: string | null }>(`SELECT value FROM snf_upgrade_secrets WHERE ${TOKEN_WHERE}`, [...QUOTAHOLDER_TOKEN_ROW]);
  return r.rows[0]?.value ?? '';
}

/**
 * The stored quotaholder token, or undefined when it has not been generated yet. Reads only:
 * creates neither the table nor the row (for `plan`, which writes nothing).
 */
export async function readQuotaholderToken(pool: pg.Pool): Promise<string | undefined> {
  const exists = await pool.query(`SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'snf_upgrade_secrets'`);
  if (!exists.rowCount) return undefined;
  return (await storedToken(pool)) || undefined;
}

/**
 * The deployment's shared quotaholder token for the 3.3 snippets: generated on first use and
 * kept in the astakos database (which holds the deployment's other tokens anyway), so every
 * screen and every later session shows the same one.
 */
export async function quotaholderToken(pool: pg.Pool): Promise<string> {
  return inTransaction(pool, async (client) => {
    // Two sessions asking at once (even before the table exists) get the same token.
    await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [TOKEN_LOCK_KEY]);
    await ensureSecretsTable(client);
    let token = await storedToken(client);
    if (!token) {
      token = generateToken();
      await client.query(`DELETE FROM snf_upgrade_secrets WHERE ${TOKEN_WHERE}`, [...QUOTAHOLDER_TOKEN_ROW]);
      await client.query('INSERT INTO snf_upgrade_secrets (step, tbl, pk, col, value) VALUES ($1, $2, $3, $4, $5)', [...QUOTAHOLDER_TOKEN_ROW, token]);
    }
    return token;
  });
}

/** A service's auth_token from astakos' im_service (what `snf-manage service-list` shows), or ''. */
/** The URL astakos lists for the first of the services NAMES (im_service.url), if any. */
export async function serviceUrl(pool: pg.Pool, names: string[]): Promise<string | undefined> {
  const r = await pool.query<{ url: string }>('SELECT url FROM im_service WHERE name = ANY($1) AND url <> \'\' ORDER BY id LIMIT 1', [names]);
  const url = r.rows[0]?.url;
  try {
    return url && new URL(url).origin !== 'null' ? url : undefined;
  } catch {
    return undefined;
  }
}

export async function serviceToken(pool: pg.Pool, names: string[]): Promise<string> {
  const r = await pool.query<{ auth_token: string | null }>(
    'SELECT auth_token FROM im_service WHERE name = ANY($1) AND auth_token IS NOT NULL ORDER BY id LIMIT 1', [names]);
  return r.rows[0]?.auth_token ?? '';
}
