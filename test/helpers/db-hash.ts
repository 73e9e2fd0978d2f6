// A content hash per table of the three service databases: order-independent (rows are
// hashed one by one, then the sorted row hashes together), over every user table of every
// schema. Values that legitimately differ between two runs on the same sandbox are made
// comparable instead of compared raw (see COMPARABLE).
import { SERVICES, openDb, type Service } from '../../src/db/connection.js';

/**
 * "table.column" → the SQL expression that is compared instead of the raw value, for values
 * that depend on when or in which session a run happened, not on what it did:
 * - im_service.auth_token (random bytes step 5 generates per new service, as upstream does)
 *   and auth_token_created (now()): the token's length and whether the time is set;
 * - quotaholder_app_policy.policy (a random name per policy, as the upstream quotaholder
 *   makes them): only whether it is set; a holding's policy_id is compared by the content of
 *   the policy it names (quantity, capacity, limits), so a dangling one still shows;
 * - the times the sandbox's simulation of the manual steps 3.2–3.6 stamps with now()
 *   (south_migrationhistory.applied, im_astakosuser.activation_sent,
 *   im_astakosuserauthprovider.created, db_network.updated): only whether they are set;
 * - the quotaholder token the 3.3 snippets generate once per deployment (random by design,
 *   kept in snf_upgrade_secrets under step 'snippets'): its length.
 */
export const COMPARABLE: Record<string, string> = {
  'im_service.auth_token': 'length(auth_token)',
  'im_service.auth_token_created': '(auth_token_created IS NOT NULL)',
  'quotaholder_app_policy.policy': '(policy IS NOT NULL)',
  'quotaholder_app_holding.policy_id': `(SELECT ROW(p.quantity, p.capacity, p.import_limit, p.export_limit)::text
                                           FROM quotaholder_app_policy p WHERE p.policy = t0.policy_id)`,
  'south_migrationhistory.applied': '(applied IS NOT NULL)',
  'im_astakosuser.activation_sent': '(activation_sent IS NOT NULL)',
  'im_astakosuserauthprovider.created': '(created IS NOT NULL)',
  'db_network.updated': '(updated IS NOT NULL)',
  'snf_upgrade_secrets.value': `(CASE WHEN step = 'snippets' THEN length(value)::text ELSE value END)`,
  'snf_upgrade_decisions.decided_at': '(decided_at IS NOT NULL)',
};

/**
 * Tables compared through a query instead of row by row. snf_upgrade_journal (the tool's
 * exactly-once bookkeeping): per step, its batches and the rows they changed in all. Its
 * rows themselves legitimately differ after a kill: a resumed step plans what is left, so 6.2
 * may finish a half-merged account in one batch ("set …") instead of the remaining chunks,
 * batch names carry digests of their content (serial ids included, see below) and 6.2's
 * last pass is named by the step's attempt; committed_at and run_id are the time and the
 * state file's run. Each trial checks the exact batch names against its state file instead.
 * snf_upgrade_steps: the steps each database saw finish, not when.
 */
export const AGGREGATED: Record<string, { columns: string[]; sql: string }> = {
  snf_upgrade_journal: { columns: ['step', 'rows_changed'], sql: 'SELECT step, sum(rows_changed) AS rows_changed FROM snf_upgrade_journal GROUP BY step' },
  // which steps each database saw finish (when, and the summary's counts of a resumed run, differ)
  snf_upgrade_steps: { columns: ['step'], sql: 'SELECT step FROM snf_upgrade_steps' },
};

export type Hashes = Record<string, string>;

interface Queryable { query(text: string, values?: unknown[]): Promise<{ rows: any[] }> }

const ident = (s: string): string => `"${s.replace(/"/g, '""')}"`;

/**
 * "schema.table" (schema omitted for public) → "rows:hash" of the whole rows, and
 * "schema.table.column" → hash of that column's values, for one database.
 *
 * Columns filled from a sequence (serial ids), and single-column foreign keys to them, are
 * compared by the rank of the value among the referenced column's values, not the value:
 * sequences are not transactional, so a batch that rolled back (or an embedded database
 * recovering from the kill, which skips ahead up to 32 values) leaves gaps an uninterrupted
 * run does not have. Row order and gaps aside, a changed, missing or extra row still shows.
 */
export async function tableHashes(q: Queryable): Promise<Hashes> {
  const cols = (await q.query(`
    SELECT c.table_schema AS s, c.table_name AS t, c.column_name AS col, coalesce(c.column_default LIKE 'nextval(%', false) AS serial
      FROM information_schema.columns c
      JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
     WHERE t.table_type = 'BASE TABLE' AND c.table_schema NOT IN ('pg_catalog', 'information_schema')
     ORDER BY 1, 2, c.ordinal_position`)).rows as { s: string; t: string; col: string; serial: boolean }[];
  const fks = (await q.query(`
    SELECT sn.nspname AS s, st.relname AS t, sa.attname AS col, rn.nspname AS rs, rt.relname AS rt, ra.attname AS rcol
      FROM pg_constraint k
      JOIN pg_class st ON st.oid = k.conrelid JOIN pg_namespace sn ON sn.oid = st.relnamespace
      JOIN pg_attribute sa ON sa.attrelid = k.conrelid AND sa.attnum = k.conkey[1]
      JOIN pg_class rt ON rt.oid = k.confrelid JOIN pg_namespace rn ON rn.oid = rt.relnamespace
      JOIN pg_attribute ra ON ra.attrelid = k.confrelid AND ra.attnum = k.confkey[1]
     WHERE k.contype = 'f' AND array_length(k.conkey, 1) = 1`)).rows as { s: string; t: string; col: string; rs: string; rt: string; rcol: string }[];
  const serial = new Set(cols.filter((c) => c.serial).map((c) => `${c.s}.${c.t}.${c.col}`));
  const fkOf = new Map(fks.filter((f) => serial.has(`${f.rs}.${f.rt}.${f.rcol}`)).map((f) => [`${f.s}.${f.t}.${f.col}`, f]));

  const tables = new Map<string, { schema: string; table: string; cols: string[]; exprs: string[]; ranks: string[] }>();
  for (const [t, a] of Object.entries(AGGREGATED)) {
    if (cols.some((c) => c.s === 'public' && c.t === t)) tables.set(t, { schema: 'public', table: t, cols: a.columns, exprs: a.columns.map((c) => `t0.${ident(c)}`), ranks: [] });
  }
  for (const c of cols) {
    if (c.s === 'public' && c.t in AGGREGATED) continue;
    const key = c.s === 'public' ? c.t : `${c.s}.${c.t}`;
    let e = tables.get(key);
    if (!e) tables.set(key, (e = { schema: c.s, table: c.t, cols: [], exprs: [], ranks: [] }));
    e.cols.push(c.col);
    const fk = fkOf.get(`${c.s}.${c.t}.${c.col}`);
    const ranked = c.serial ? { s: c.s, t: c.t, col: c.col } : fk ? { s: fk.rs, t: fk.rt, col: fk.rcol } : undefined;
    if (ranked) {
      const i = e.ranks.length;
      // rank of this value among the ranked column's values, joined in below as rk<i>
      e.ranks.push(`LEFT JOIN (SELECT ${ident(ranked.col)} AS snf_k, dense_rank() OVER (ORDER BY ${ident(ranked.col)}) AS snf_r
                                 FROM ${ident(ranked.s)}.${ident(ranked.t)}) rk${i} ON rk${i}.snf_k = t0.${ident(c.col)}`);
      e.exprs.push(`rk${i}.snf_r`);
    } else {
      e.exprs.push(COMPARABLE[`${c.t}.${c.col}`] ?? `t0.${ident(c.col)}`);
    }
  }
  const out: Hashes = {};
  for (const [key, { schema, table, cols: names, exprs, ranks }] of [...tables].sort(([a], [b]) => (a < b ? -1 : 1))) {
    // the row hashes, and one per column (so that a mismatch can name its columns)
    const parts = [`ROW(${exprs.join(', ')})::text`, ...exprs.map((e) => `coalesce((${e})::text, '<null>')`)];
    const r = await q.query(`SELECT count(*)::text AS n, ${parts.map((_, i) => `md5(coalesce(string_agg(h${i}, '' ORDER BY h${i}), '')) AS h${i}`).join(', ')}
                               FROM (SELECT ${parts.map((p, i) => `md5(${p}) AS h${i}`).join(', ')}
                                       FROM ${schema === 'public' && AGGREGATED[table] ? `(${AGGREGATED[table]!.sql})` : `${ident(schema)}.${ident(table)}`} t0 ${ranks.join(' ')}) x`);
    const row = r.rows[0];
    out[key] = `${row.n}:${row.h0}`;
    names.forEach((col, i) => { out[`${key}.${col}`] = row[`h${i + 1}`]; });
  }
  return out;
}

/** "service.table" → hash for the three databases. */
export async function deploymentHashes(urls: Record<Service, string>): Promise<Hashes> {
  const out: Hashes = {};
  for (const s of SERVICES) {
    const db = await openDb(s, urls[s], { max: 1, application: 'snf-upgrade crash test' });
    try {
      for (const [t, h] of Object.entries(await tableHashes(db.pool))) out[`${s}.${t}`] = h;
    } finally {
      await db.close();
    }
  }
  return out;
}

/** Lines naming every table whose rows differ (with the columns that do), or that exists on one side only. */
export function hashDifferences(expected: Hashes, actual: Hashes): string[] {
  const tables = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].filter((k) => (expected[k] ?? actual[k])!.includes(':')).sort();
  const out: string[] = [];
  for (const t of tables) {
    if (expected[t] === actual[t]) continue;
    if (!expected[t] || !actual[t]) { out.push(`${t}: ${expected[t] ? 'missing' : 'unexpected'} table`); continue; }
    const [n0] = expected[t]!.split(':');
    const [n1] = actual[t]!.split(':');
    const cols = Object.keys(expected).filter((k) => k.startsWith(`${t}.`) && !expected[k]!.includes(':') && expected[k] !== actual[k])
      .map((k) => k.slice(t.length + 1));
    out.push(`${t}: ${n0 === n1 ? `${n0} rows` : `${n1} rows instead of ${n0}`}, differing in ${cols.length ? cols.join(', ') : 'row combinations only'}`);
  }
  return out;
}
