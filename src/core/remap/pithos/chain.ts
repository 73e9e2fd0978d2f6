// Where the pithos alembic chain stands (from alembic_version and the schema), and the one
// revision below 0.13's that may still have to run: 3dd56e750a3, the latest_version repair.
import type pg from 'pg';
import type { BeforeImage, StepContext } from '../../step.js';
import { batchRows } from './names.js';
import type { RevisionState } from './types.js';

type Q = pg.Pool | pg.PoolClient;
type Keep = (images: BeforeImage[]) => void;

const rc = (r: pg.QueryResult): number => r.rowCount ?? 0;

async function imagesOf(client: pg.PoolClient, keep: Keep, table: string, pk: string[], sql: string, params: unknown[]): Promise<void> {
  const r = await client.query<Record<string, unknown>>(sql, params);
  if (r.rows.length) keep(r.rows.map((row) => ({ service: 'pithos', table, action: 'update', row, pk: Object.fromEntries(pk.map((k) => [k, row[k]])) })));
}

export const HEAD_REVISION = '27381099d477';
/** The pithos alembic chain up to 0.13, oldest first (pithos.md §2.1). */
export const CHAIN = ['8320b1c62d9', '230f8ce9c90f', '3dd56e750a3', '165ba3fbfe53', '2a309a9a3438', '27381099d477'] as const;

export async function exists(q: Q, sql: string, params: unknown[]): Promise<boolean> {
  return ((await q.query(sql, params)).rowCount ?? 0) > 0;
}
export const hasTable = (q: Q, t: string) => exists(q, `SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1`, [t]);
export const hasColumn = (q: Q, t: string, c: string) =>
  exists(q, `SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2`, [t, c]);
export const hasIndex = (q: Q, name: string) =>
  exists(q, `SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relname = $1 AND c.relkind = 'i'`, [name]);

export async function readRevision(q: Q): Promise<RevisionState> {
  const table = await hasTable(q, 'alembic_version');
  const rows = table ? (await q.query<{ v: string }>('SELECT version_num AS v FROM alembic_version')).rows.map((r) => r.v) : [];
  const state: RevisionState = {
    table, rows, urlColumn: await hasColumn(q, 'public', 'url'), urlUnique: await hasIndex(q, 'idx_public_url'), latestRepair: false,
  };
  if (!(await hasColumn(q, 'nodes', 'latest_version')) || !(await hasIndex(q, 'idx_nodes_parent'))) {
    state.refusal = 'nodes.latest_version or idx_nodes_parent is missing: this pithos database is older than 0.10 (upgrade it to 0.12.5 first)';
  } else if (rows.length > 1) {
    state.refusal = `alembic_version holds ${rows.length} rows (${rows.join(', ')}); alembic 0.3 keeps at most one: repair it by hand`;
  } else if (rows.length === 1 && !(CHAIN as readonly string[]).includes(rows[0]!)) {
    state.refusal = `alembic_version is ${rows[0]}, which is not a revision of the 0.13 chain (a later release?): this step only upgrades to 0.13`;
  } else if (rows.length === 1 && CHAIN.indexOf(rows[0] as (typeof CHAIN)[number]) < CHAIN.indexOf('3dd56e750a3')) {
    state.latestRepair = true;
  }
  return state;
}

export function describeRevision(r: RevisionState): string {
  const at = !r.table ? 'no alembic_version table (never initialised; upstream would stamp 3dd56e750a3)'
    : r.rows.length === 0 ? 'alembic_version is empty (`pithos-migrate current` ran; upstream would stamp 3dd56e750a3)'
      : `alembic at ${r.rows[0]}`;
  return `${at}${r.urlColumn ? '; public.url exists already' : ''}`;
}

/** 3dd56e750a3's UPDATE (newest version by mtime, as upstream; serial breaks ties), for one node range. */
export async function repairLatest(c: pg.PoolClient, keep: Keep, lo: number, hi: number): Promise<number> {
  const pick = '(SELECT v.serial FROM versions v WHERE v.node = n.node ORDER BY v.mtime DESC, v.serial DESC LIMIT 1)';
  await imagesOf(c, keep, 'nodes', ['node'], `SELECT n.node, n.latest_version FROM nodes n
                                               WHERE n.node >= $1 AND n.node < $2 AND n.latest_version IS DISTINCT FROM ${pick}`, [lo, hi]);
  return rc(await c.query(`UPDATE nodes n SET latest_version = ${pick} WHERE n.node >= $1 AND n.node < $2 AND n.latest_version IS DISTINCT FROM ${pick}`, [lo, hi]));
}


/**
 * Runs 3dd56e750a3 (in node ranges, one exactly-once batch each of the step) and stamps
 * alembic_version at it, when the database is below it. Returns the nodes repaired, or
 * undefined when the operator asked to stop.
 */
export async function runLatestRepair(ctx: StepContext): Promise<number | undefined> {
  const pool = (await ctx.db('pithos')).pool;
  const rev = await readRevision(pool);
  if (!rev.latestRepair) return 0;
  const max = Number((await pool.query<{ m: number | null }>('SELECT max(node) AS m FROM nodes')).rows[0]!.m ?? 0);
  const width = batchRows();
  const batches = Math.max(1, Math.ceil((max + 1) / width));
  let n = 0;
  for (let i = 0; i < batches; i++) {
    if (ctx.stopRequested()) return undefined;
    const lo = i * width;
    const r = await ctx.batch('pithos', `3dd56e750a3 nodes ${lo}-${lo + width}`, (c, keep) => repairLatest(c, keep, lo, lo + width));
    n += r.rows;
    ctx.progress({ table: 'nodes.latest_version', done: Math.min(max, lo + width), total: max, batch: i + 1, batches });
  }
  await ctx.batch('pithos', 'alembic 3dd56e750a3', async (c, keep) => {
    const old = await c.query<{ version_num: string }>('SELECT version_num FROM alembic_version');
    keep(old.rows.map((row) => ({ service: 'pithos', table: 'alembic_version', action: 'update', pk: { version_num: row.version_num }, row })));
    return (await c.query(`UPDATE alembic_version SET version_num = '3dd56e750a3'`)).rowCount ?? 0;
  });
  return n;
}
