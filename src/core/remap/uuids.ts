// The email → uuid map, read straight from the astakos database the way 0.13 astakos
// matches names (user_catalogs): lower(identifier) == auth_user.username exactly.
import Cursor from 'pg-cursor';
import type pg from 'pg';
import type { Db } from '../../db/connection.js';
import { UserError } from '../../errors.js';
import { pyLower } from '../fold.js';
import type { StepContext } from '../step.js';
import { crossFoldLinks } from './sets.js';

/** What an astakos uuid looks like. */
export const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;


export interface UuidMap {
  /** The uuid astakos would return for IDENTIFIER (any case), or undefined. */
  lookup(identifier: string): string | undefined;
  /** Whether VALUE is one of astakos' uuids. */
  isUuid(value: string): boolean;
  readonly size: number;
}

/** The uuid map a step uses: astakos' users, plus USERSSTEP's merges that Python lower() tells apart. */
export async function stepUuidMap(ctx: StepContext, usersStep: string): Promise<UuidMap> {
  return loadUuidMap(await ctx.db('astakos'), crossFoldLinks(ctx.state, usersStep));
}

/** Whether astakos has user uuids (im_astakosuser.uuid, added by 3.2's migrate). */
export async function hasAstakosUuids(q: pg.Pool | pg.PoolClient): Promise<boolean> {
  const r = await q.query(`SELECT 1 FROM information_schema.columns
    WHERE table_schema = current_schema() AND table_name = 'im_astakosuser' AND column_name = 'uuid'`);
  return !!r.rowCount;
}

/** Fails with a clear message when astakos has no uuids yet (step 3.2 not done); WHY ends the next action. */
export async function requireAstakosUuids(q: pg.Pool | pg.PoolClient, why?: string): Promise<void> {
  if (!(await hasAstakosUuids(q))) {
    throw new UserError('astakos has no user uuids yet (im_astakosuser.uuid is missing)',
      `finish step 3.2 (snf-manage migrate on astakos) first${why ? `: ${why}` : ''}`);
  }
}

/** The step's uuid map, once astakos has uuids (requireAstakosUuids). */
export async function requiredUuidMap(ctx: StepContext, usersStep: string, why?: string): Promise<UuidMap> {
  await requireAstakosUuids((await ctx.db('astakos')).pool, why);
  return stepUuidMap(ctx, usersStep);
}

/**
 * Streams username → uuid from astakos (0.13 schema) in one pass; memory grows with users only.
 * MERGED ([deleted email, survivor email]) resolves a deleted user's name to its survivor where
 * folding alone cannot (a group step 2 formed under upper() only, e.g. a final ς and Σ).
 */
export async function loadUuidMap(astakos: Db, merged: [string, string][] = [], batch = 5000): Promise<UuidMap> {
  const byUsername = new Map<string, string>();
  const uuids = new Set<string>();
  const client = await astakos.pool.connect();
  try {
    const cursor = client.query(new Cursor<{ username: string; uuid: string }>(
      `SELECT u.username, a.uuid FROM auth_user u JOIN im_astakosuser a ON a.user_ptr_id = u.id WHERE a.uuid IS NOT NULL`));
    for (;;) {
      const rows = await cursor.read(batch);
      if (rows.length === 0) break;
      for (const r of rows) {
        byUsername.set(r.username, r.uuid);
        uuids.add(r.uuid);
      }
    }
    await cursor.close();
  } finally {
    client.release();
  }
  const survivorOf = new Map(merged.map(([deleted, into]) => [pyLower(deleted), pyLower(into)]));
  return {
    // Folded like Python's unicode.lower() (as astakos 0016 and user_catalogs do), not in SQL:
    // PostgreSQL's lower() under the C collation of Synnefo databases folds ASCII only.
    lookup: (identifier) => {
      const name = pyLower(identifier);
      const survivor = survivorOf.get(name);
      return byUsername.get(name) ?? (survivor === undefined ? undefined : byUsername.get(survivor));
    },
    isUuid: (value) => uuids.has(value),
    get size() { return byUsername.size; },
  };
}

/**
 * Writes (identifier, uuid) pairs into TABLE of a target database in multi-row INSERTs
 * (PostgreSQL 9.1 has no ON CONFLICT: the table is created fresh by the caller's batch).
 */
export async function insertPairs(client: pg.PoolClient, table: string, pairs: Iterable<[string, string]>, chunk = 1000): Promise<number> {
  let buf: [string, string][] = [];
  let n = 0;
  const flush = async () => {
    if (!buf.length) return;
    const values = buf.map((_, i) => `($${2 * i + 1}, $${2 * i + 2})`).join(', ');
    await client.query(`INSERT INTO ${table} (identifier, uuid) VALUES ${values}`, buf.flat());
    n += buf.length;
    buf = [];
  };
  for (const p of pairs) {
    buf.push(p);
    if (buf.length >= chunk) await flush();
  }
  await flush();
  return n;
}

/** An astakos user, as the wizard names one before an identifier is mapped to it. */
export interface AstakosUser { id: number; email: string; uuid: string; active: boolean; verified: boolean }

/**
 * The astakos user QUERY names: a uuid of im_astakosuser, or an email matched the way 0.13
 * astakos matches names (its lower() is the username). Needs astakos at 0.13 (step 3.2).
 */
export async function findAstakosUser(pool: pg.Pool, query: string): Promise<AstakosUser | undefined> {
  const q = query.trim();
  const byUuid = UUID_SHAPE.test(q);
  if (!byUuid && !(q.includes('@') && q.length > 2)) {
    throw new UserError(`"${q}" is neither a uuid nor an email`, 'type the uuid of an astakos user (8-4-4-4-12 hex digits) or the email of one');
  }
  const r = await pool.query<{ id: number; email: string; uuid: string; is_active: boolean; email_verified: boolean }>(
    `SELECT u.id, u.email, a.uuid, u.is_active, a.email_verified FROM auth_user u JOIN im_astakosuser a ON a.user_ptr_id = u.id
      WHERE ${byUuid ? 'a.uuid = $1' : 'u.username = $1'} AND a.uuid IS NOT NULL LIMIT 1`, [byUuid ? q.toLowerCase() : pyLower(q)]);
  const row = r.rows[0];
  return row && { id: row.id, email: row.email, uuid: row.uuid, active: row.is_active, verified: row.email_verified };
}
