// What the quota steps share: the registered resources, the astakos schema check, astakos's
// own quota lock, streaming reads, batch names and short lists for the operator.
import { createHash } from 'node:crypto';
import Cursor from 'pg-cursor';
import type pg from 'pg';
import type { Db } from '../../db/connection.js';
import { describeVersion, detectSchema } from '../../db/detect.js';
import { CheckFailed, UserError } from '../../errors.js';
import { big } from './numbers.js';

export type Q = pg.Pool | pg.PoolClient;

/** Users (or accounts, owners) handled per exactly-once batch (SNF_UPGRADE_USERS_BATCH overrides, for tests). */
export const USERS_PER_BATCH = Number(process.env.SNF_UPGRADE_USERS_BATCH) > 0 ? Math.floor(Number(process.env.SNF_UPGRADE_USERS_BATCH)) : 250;
/** Rows read per round trip when streaming. */
export const READ_CHUNK = 1000;

export interface ResourceRow {
  id: number;
  serviceId: number;
  service: string;
  /** As in im_resource ("vm", "network.private"). */
  name: string;
  /** "<service>.<resource>", the quotaholder's name. */
  fullName: string;
  uplimit: bigint;
}

/** Every resource registered in astakos (im_resource ⋈ im_service), by full name. */
export async function loadResources(q: Q): Promise<Map<string, ResourceRow>> {
  const r = await q.query<{ id: number; service_id: number; service: string; name: string; uplimit: string }>(
    `SELECT r.id, r.service_id, s.name AS service, r.name, r.uplimit::text AS uplimit
       FROM im_resource r JOIN im_service s ON s.id = r.service_id ORDER BY s.name, r.name`);
  const out = new Map<string, ResourceRow>();
  for (const row of r.rows) {
    const fullName = `${row.service}.${row.name}`;
    out.set(fullName, { id: row.id, serviceId: row.service_id, service: row.service, name: row.name, fullName, uplimit: big(row.uplimit) });
  }
  return out;
}

/** Refuses to go on unless astakos is at 0.13 (im_resource, im_astakosuserquota and the quotaholder tables exist). */
export async function requireAstakos013(db: Db, step: string): Promise<void> {
  const v = await detectSchema(db.pool, 'astakos');
  if (v.kind !== '0.13') {
    throw new CheckFailed(`step ${step} needs astakos at 0.13, and ${db.label} is ${describeVersion('astakos', v)}`,
      'finish step 3.2 (snf-manage syncdb && snf-manage migrate on the astakos host) first');
  }
}

/**
 * astakos serialises its quota syncs with pg_advisory_lock(1) in its database (astakos.md §6.1,
 * §11); a batch that writes the quotaholder tables takes the same key for its transaction,
 * trying three times a second apart as astakos does.
 */
export async function takeQuotaLock(client: pg.PoolClient): Promise<void> {
  for (let i = 0; i < 3; i++) {
    const r = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock(1) AS ok');
    if (r.rows[0]!.ok) return;
    await new Promise((res) => setTimeout(res, 1000));
  }
  throw new UserError('astakos is syncing quotas right now (it holds advisory lock 1 in its database); nothing was changed',
    'wait until that sync (astakos-quota, project-control, a project approval) is over and run the step again');
}

/** Streams QUERY on a connection of its own, a chunk at a time (bounded memory). */
export async function* streamRows<T extends pg.QueryResultRow>(pool: pg.Pool, text: string, values: unknown[] = [], chunk = READ_CHUNK): AsyncGenerator<T[]> {
  const client = await pool.connect();
  let cursor: Cursor<T> | undefined;
  try {
    cursor = client.query(new Cursor<T>(text, values));
    for (;;) {
      const rows = await cursor.read(chunk);
      if (rows.length === 0) break;
      yield rows;
    }
  } finally {
    await cursor?.close().catch(() => undefined);
    client.release();
  }
}

/** Re-chunks a stream of row chunks into groups of SIZE keys, never splitting rows of one key. */
export async function* regroup<T>(source: AsyncIterable<T[]>, size: number, keyOf: (row: T) => string): AsyncGenerator<T[]> {
  let buf: T[] = [];
  let keys = 0;
  let last: string | undefined;
  for await (const rows of source) {
    for (const row of rows) {
      const k = keyOf(row);
      if (k !== last) {
        if (keys >= size) {
          yield buf;
          buf = [];
          keys = 0;
        }
        keys++;
        last = k;
      }
      buf.push(row);
    }
  }
  if (buf.length) yield buf;
}

export const sha = (text: string, n = 16): string => createHash('sha256').update(text).digest('hex').slice(0, n);

/** JSON that keeps bigints (as decimal strings): for hashing batch contents. */
export const stableJson = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));

/**
 * A batch name: the step's kind of batch, where it starts and ends, and a digest of exactly
 * what it changes. A batch that committed is found again under the same name on resume and
 * skipped; a later run that has different changes to make gets a different name.
 */
export function batchName(kind: string, first: string, last: string, changes: unknown): string {
  return `${kind} ${sha(first, 12)}..${sha(last, 12)} ${sha(stableJson(changes), 20)}`;
}

const LIST_LIMIT = 12;
/** "a, b, c, … (40 in all)". */
export function sample(items: string[], limit = LIST_LIMIT): string {
  return items.length > limit ? `${items.slice(0, limit).join(', ')}, … (${items.length} in all)` : items.join(', ');
}

export const plural = (n: number | bigint, one: string, many = `${one}s`): string => `${n} ${n === 1 || n === 1n ? one : many}`;

/** $k placeholders for a VALUES list of ROWS rows of WIDTH columns, with optional casts per column. */
export function valuesList(rows: number, width: number, casts: string[] = [], offset = 0): string {
  const out: string[] = [];
  for (let i = 0; i < rows; i++) {
    const cols: string[] = [];
    for (let j = 0; j < width; j++) cols.push(`$${offset + i * width + j + 1}${casts[j] ? `::${casts[j]}` : ''}`);
    out.push(`(${cols.join(', ')})`);
  }
  return out.join(', ');
}
