// Step 2.1: finds every group of astakos users whose emails collide once 0.13 folds case,
// shows what each of them owns in cyclades and pithos, and suggests a survivor.
// Read-only. Everything is aggregated in SQL (GROUP BY, `= ANY($1)`), one query per table.
import type pg from 'pg';
import type { Service } from '../../db/connection.js';
import type { StepContext } from '../step.js';
import { isAscii, pyLower } from '../fold.js';
import { asciiFolder, byCodeUnits, NON_ASCII_PATTERN, UnionFind } from './fold.js';
import type { CycladesOwned, DedupFindings, DuplicateGroup, DuplicateUser, PithosOwned } from './types.js';

type Q = pg.Pool | pg.PoolClient;

/** Astakos users (rows of auth_user that have an im_astakosuser row), as 0016 and the guide see them. */
const ASTAKOS_USERS = 'auth_user u JOIN im_astakosuser a ON a.user_ptr_id = u.id';

export interface CollisionGroup {
  key: string;
  ids: number[];
  /** Each member's email exactly as stored, in the order of IDS. */
  emails: string[];
  /** Members whose Python-lowered emails differ: they collide only under PostgreSQL upper() (0016 step C). */
  upperOnly: boolean;
  nonAscii: boolean;
}

/** An email that is empty or only whitespace: "no email" (auth_user.email is NOT NULL). */
const BLANK_EMAIL_SQL = `'^[[:space:]]*$'`;
const isBlankEmail = (email: string): boolean => /^\s*$/u.test(email);

/**
 * Astakos users with no email (empty or whitespace only), by id. They are distinct people,
 * never duplicates of each other: no group holds them.
 */
export async function emaillessUsers(q: Q): Promise<number[]> {
  const r = await q.query<{ id: number; email: string }>(
    `SELECT u.id, u.email FROM ${ASTAKOS_USERS} WHERE u.email ~ ${BLANK_EMAIL_SQL} OR u.email ~ $1 ORDER BY u.id`, [NON_ASCII_PATTERN]);
  return r.rows.filter((row) => isBlankEmail(row.email)).map((row) => row.id);
}

/**
 * Groups of astakos user ids that 0.13 cannot keep apart: equal under Python lower()
 * (the UNIQUE auth_user.username = lower(email)) or under the database's upper()
 * (0016's duplicate prompt and 0.13's iexact logins). ASCII emails are grouped by
 * PostgreSQL (translate() = Python lower() for ASCII, in any locale); the few non-ASCII
 * emails are folded in TypeScript and joined to their ASCII and upper() twins. Users with
 * no email (emaillessUsers) are never grouped.
 */
export async function astakosCollisions(q: Q): Promise<CollisionGroup[]> {
  const uf = new UnionFind<number>();
  const email = new Map<number, string>();
  const fold = await asciiFolder(q);

  const ascii = await q.query<{ ids: number[]; emails: string[] }>(
    `SELECT array_agg(u.id) AS ids, array_agg(u.email) AS emails FROM ${ASTAKOS_USERS}
      WHERE NOT (u.email ~ $1) AND NOT (u.email ~ ${BLANK_EMAIL_SQL}) GROUP BY ${fold('u.email')} HAVING count(*) > 1`, [NON_ASCII_PATTERN]);
  for (const row of ascii.rows) {
    row.ids.forEach((id, i) => { email.set(id, row.emails[i]!); uf.union(id, row.ids[0]!); });
  }

  const wide = await q.query<{ id: number; email: string; up: string }>(
    `SELECT u.id, u.email, upper(u.email) AS up FROM ${ASTAKOS_USERS} WHERE u.email ~ $1`, [NON_ASCII_PATTERN]);
  wide.rows = wide.rows.filter((r) => !isBlankEmail(r.email));
  if (wide.rows.length > 0) {
    const keys = new Set<string>();
    const ups = new Set<string>();
    for (const r of wide.rows) {
      keys.add(pyLower(r.email));
      ups.add(r.up);
    }
    const asciiKeys = [...keys].filter(isAscii);
    const partners = await q.query<{ id: number; email: string; up: string }>(
      `SELECT u.id, u.email, upper(u.email) AS up FROM ${ASTAKOS_USERS}
        WHERE ((NOT (u.email ~ $1) AND ${fold('u.email')} = ANY($2::text[])) OR upper(u.email) = ANY($3::text[]))
          AND NOT (u.email ~ ${BLANK_EMAIL_SQL})`,
      [NON_ASCII_PATTERN, asciiKeys, [...ups]]);
    const byKey = new Map<string, number>();
    const byUp = new Map<string, number>();
    const link = (map: Map<string, number>, k: string, id: number) => {
      const first = map.get(k);
      if (first === undefined) map.set(k, id); else uf.union(first, id);
    };
    for (const r of [...wide.rows, ...partners.rows]) {
      email.set(r.id, r.email);
      uf.add(r.id);
      link(byKey, pyLower(r.email), r.id);
      link(byUp, r.up, r.id);
    }
  }

  return uf.groups(2).map((ids) => {
    ids.sort((a, b) => a - b);
    const keys = [...new Set(ids.map((id) => pyLower(email.get(id)!)))].sort(byCodeUnits);
    return { key: keys[0]!, ids, emails: ids.map((id) => email.get(id)!), upperOnly: keys.length > 1, nonAscii: ids.some((id) => !isAscii(email.get(id)!)) };
  }).sort((a, b) => byCodeUnits(a.key, b.key) || a.ids[0]! - b.ids[0]!);
}

/**
 * Groups of distinct identifiers (from the one-column query IDS) that are equal under
 * Python lower(), as sorted lists keyed by the lowered form.
 */
export async function identifierCollisions(q: Q, ids: string): Promise<Map<string, string[]>> {
  const src = `(SELECT DISTINCT id FROM (${ids}) i0 WHERE id IS NOT NULL AND id <> '') ids`;
  const fold = await asciiFolder(q);
  const out = new Map<string, Set<string>>();
  const put = (id: string) => {
    const k = pyLower(id);
    const set = out.get(k) ?? new Set<string>();
    set.add(id);
    out.set(k, set);
  };
  const ascii = await q.query<{ ids: string[] }>(
    `SELECT array_agg(id) AS ids FROM ${src} WHERE NOT (id ~ $1) GROUP BY ${fold('id')} HAVING count(*) > 1`, [NON_ASCII_PATTERN]);
  for (const row of ascii.rows) row.ids.forEach(put);
  const wide = await q.query<{ id: string }>(`SELECT id FROM ${src} WHERE id ~ $1`, [NON_ASCII_PATTERN]);
  if (wide.rows.length) {
    const keys = [...new Set(wide.rows.map((r) => pyLower(r.id)))].filter(isAscii);
    const partners = await q.query<{ id: string }>(
      `SELECT id FROM ${src} WHERE NOT (id ~ $1) AND ${fold('id')} = ANY($2::text[])`, [NON_ASCII_PATTERN, keys]);
    for (const r of [...wide.rows, ...partners.rows]) put(r.id);
  }
  const groups = new Map<string, string[]>();
  for (const [k, set] of out) if (set.size > 1) groups.set(k, [...set].sort(byCodeUnits));
  return groups;
}

export const CYCLADES_IDENTIFIERS = `SELECT "user" AS id FROM userdata_publickeypair
  UNION SELECT userid FROM db_virtualmachine UNION SELECT userid FROM db_network`;
export const PITHOS_ACCOUNTS = 'SELECT path AS id FROM nodes WHERE parent = 0 AND node <> 0';

async function tableExists(q: Q, table: string): Promise<boolean> {
  const r = await q.query(`SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1`, [table]);
  return r.rowCount! > 0;
}

export const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const iso = (v: Date | string | null): string | null => (v === null ? null : v instanceof Date ? v.toISOString() : String(v));

interface UserRow {
  id: number; email: string; username: string; is_active: boolean; email_verified: boolean;
  date_joined: Date; last_login: Date | null; provider: string | null;
}

async function astakosDetails(q: Q, ids: number[]): Promise<Map<number, Omit<DuplicateUser, 'cyclades' | 'pithos'>>> {
  const users = await q.query<UserRow>(
    `SELECT u.id, u.email, u.username, u.is_active, a.email_verified, u.date_joined, u.last_login, a.provider
       FROM ${ASTAKOS_USERS} WHERE u.id = ANY($1::int[])`, [ids]);
  const count = async (table: string, column: string): Promise<Map<number, number>> => {
    const r = await q.query<{ id: number; n: string }>(
      `SELECT ${column} AS id, count(*) AS n FROM ${table} WHERE ${column} = ANY($1::int[]) GROUP BY ${column}`, [ids]);
    return new Map(r.rows.map((row) => [row.id, num(row.n)]));
  };
  const invitations = await count('im_invitation', 'inviter_id');
  const mails = await count('im_additionalmail', 'owner_id');
  // At 0.12.5 a user has one provider column; a database already carrying 0.13's table is read from it.
  const providers = new Map<number, string[]>();
  if (await tableExists(q, 'im_astakosuserauthprovider')) {
    const r = await q.query<{ id: number; module: string }>(
      'SELECT user_id AS id, module FROM im_astakosuserauthprovider WHERE user_id = ANY($1::int[]) ORDER BY user_id, module', [ids]);
    for (const row of r.rows) providers.set(row.id, [...(providers.get(row.id) ?? []), row.module]);
  }
  const out = new Map<number, Omit<DuplicateUser, 'cyclades' | 'pithos'>>();
  for (const u of users.rows) {
    out.set(u.id, {
      id: u.id, email: u.email, username: u.username, is_active: u.is_active, email_verified: u.email_verified,
      date_joined: iso(u.date_joined)!, last_login: iso(u.last_login),
      providers: providers.get(u.id) ?? [u.provider && u.provider !== 'local' ? u.provider : 'local'],
      invitations: invitations.get(u.id) ?? 0, additional_mails: mails.get(u.id) ?? 0,
    });
  }
  return out;
}

export const noCyclades = (): CycladesOwned => ({ vms_live: 0, vms_deleted: 0, networks: 0, keys: 0 });
const noPithos = (): PithosOwned => ({ containers: 0, objects: 0, bytes: '0', groups: 0, permissions: 0 });

/** What each exact identifier owns in cyclades: one aggregated query per table. */
export async function cycladesOwned(q: Q, idents: string[]): Promise<Map<string, CycladesOwned>> {
  const out = new Map<string, CycladesOwned>(idents.map((i) => [i, noCyclades()]));
  if (!idents.length) return out;
  const vms = await q.query<{ id: string; live: string; del: string }>(
    `SELECT userid AS id, sum(CASE WHEN deleted THEN 0 ELSE 1 END) AS live, sum(CASE WHEN deleted THEN 1 ELSE 0 END) AS del
       FROM db_virtualmachine WHERE userid = ANY($1::text[]) GROUP BY userid`, [idents]);
  for (const r of vms.rows) Object.assign(out.get(r.id)!, { vms_live: num(r.live), vms_deleted: num(r.del) });
  const nets = await q.query<{ id: string; n: string }>(
    'SELECT userid AS id, count(*) AS n FROM db_network WHERE userid = ANY($1::text[]) GROUP BY userid', [idents]);
  for (const r of nets.rows) out.get(r.id)!.networks = num(r.n);
  const keys = await q.query<{ id: string; n: string }>(
    'SELECT "user" AS id, count(*) AS n FROM userdata_publickeypair WHERE "user" = ANY($1::text[]) GROUP BY "user"', [idents]);
  for (const r of keys.rows) out.get(r.id)!.keys = num(r.n);
  return out;
}

/** What each exact account name owns in pithos: one aggregated query per table. */
export async function pithosOwned(q: Q, idents: string[]): Promise<Map<string, PithosOwned>> {
  const out = new Map<string, PithosOwned>(idents.map((i) => [i, noPithos()]));
  const tree = await q.query<{ id: string; containers: string; objects: string; bytes: string }>(
    `SELECT a.path AS id, count(DISTINCT c.node) AS containers, count(v.serial) AS objects, coalesce(sum(v.size), 0) AS bytes
       FROM nodes a
       LEFT JOIN nodes c ON c.parent = a.node
       LEFT JOIN nodes o ON o.parent = c.node
       LEFT JOIN versions v ON v.serial = o.latest_version AND v.cluster = 0
      WHERE a.parent = 0 AND a.node <> 0 AND a.path = ANY($1::text[])
      GROUP BY a.path`, [idents]);
  for (const r of tree.rows) Object.assign(out.get(r.id)!, { containers: num(r.containers), objects: num(r.objects), bytes: String(r.bytes) });
  const groups = await q.query<{ id: string; n: string }>(
    'SELECT owner AS id, count(DISTINCT name) AS n FROM groups WHERE owner = ANY($1::text[]) GROUP BY owner', [idents]);
  for (const r of groups.rows) out.get(r.id)!.groups = num(r.n);
  const perms = await q.query<{ id: string; n: string }>(
    `SELECT split_part(x.path, '/', 1) AS id, count(*) AS n
       FROM xfeatures x JOIN xfeaturevals v ON v.feature_id = x.feature_id
      WHERE split_part(x.path, '/', 1) = ANY($1::text[]) AND v.value <> split_part(x.path, '/', 1)
      GROUP BY split_part(x.path, '/', 1)`, [idents]);
  for (const r of perms.rows) out.get(r.id)!.permissions = num(r.n);
  return out;
}

// ------------------------------------------------------------------ suggestion

const owned = (u: DuplicateUser): number =>
  u.cyclades.vms_live + u.cyclades.networks + u.cyclades.keys + u.pithos.containers + u.pithos.objects;

/**
 * The suggested survivor of a group, with the reasons: active and email-verified first,
 * then the most recent login, then the most resources owned in cyclades and pithos, then
 * the oldest account. Only ever a suggestion: it is applied only when the operator accepts
 * suggestions.
 */
export function suggestSurvivor(users: DuplicateUser[]): { suggested: number; reasons: string[] } {
  type Criterion = { name: string; value: (u: DuplicateUser) => number | bigint; describe: (u: DuplicateUser) => string };
  const criteria: Criterion[] = [
    { name: 'active and verified', value: (u) => (u.is_active && u.email_verified ? 1 : 0),
      describe: (u) => `the only active, email-verified account (#${u.id})` },
    { name: 'most recent login', value: (u) => (u.last_login ? Date.parse(u.last_login) : 0),
      describe: (u) => `most recent login (${u.last_login ?? 'never'})` },
    { name: 'most resources', value: owned,
      describe: (u) => `owns the most (${u.cyclades.vms_live} VMs, ${u.cyclades.networks} networks, ${u.cyclades.keys} keys, ${u.pithos.containers} containers, ${u.pithos.objects} objects)` },
    { name: 'most bytes', value: (u) => BigInt(u.pithos.bytes), describe: (u) => `stores the most bytes in pithos (${u.pithos.bytes})` },
    { name: 'oldest', value: (u) => -Date.parse(u.date_joined), describe: (u) => `oldest account (joined ${u.date_joined})` },
    { name: 'lowest id', value: (u) => -u.id, describe: (u) => `lowest id (#${u.id})` },
  ];
  let pool = [...users];
  const reasons: string[] = [];
  for (const c of criteria) {
    const best = pool.map(c.value).reduce((a, b) => (b > a ? b : a));
    const next = pool.filter((u) => c.value(u) === best);
    if (next.length < pool.length) {
      reasons.push(next.length === 1 ? c.describe(next[0]!) : `${c.name}: ${next.map((u) => `#${u.id}`).join(', ')}`);
      pool = next;
    }
    if (pool.length === 1) break;
  }
  const winner = pool[0]!;
  if (users.every((u) => !(u.is_active && u.email_verified))) reasons.unshift('no account of this group is both active and email-verified');
  return { suggested: winner.id, reasons };
}

// ------------------------------------------------------------------ the whole inspection

export interface Inspection {
  data: DedupFindings;
  summary: string[];
  /** Collision groups with their flags (for summaries and verify). */
  collisions: CollisionGroup[];
}

function configured(ctx: StepContext, service: Service): boolean {
  return !!ctx.config[service].db;
}

export async function inspectDuplicates(ctx: StepContext): Promise<Inspection> {
  const astakos = (await ctx.db('astakos')).pool;
  const collisions = await astakosCollisions(astakos);
  const allIds = collisions.flatMap((g) => g.ids);
  const details = await astakosDetails(astakos, allIds);
  const idents = [...new Set([...details.values()].map((u) => u.email))];
  const summary: string[] = [];

  const cyc = configured(ctx, 'cyclades') ? await cycladesOwned((await ctx.db('cyclades')).pool, idents) : new Map<string, CycladesOwned>();
  const pit = configured(ctx, 'pithos') ? await pithosOwned((await ctx.db('pithos')).pool, idents) : new Map<string, PithosOwned>();
  for (const s of ['cyclades', 'pithos'] as const) {
    if (!configured(ctx, s)) summary.push(`${s} database not configured: its columns show 0`);
  }

  const groups: DuplicateGroup[] = collisions.map((c) => {
    const users = c.ids.map((id) => {
      const d = details.get(id)!;
      return { ...d, cyclades: cyc.get(d.email) ?? noCyclades(), pithos: pit.get(d.email) ?? noPithos() };
    });
    const { suggested, reasons } = suggestSurvivor(users);
    const sameEmail = new Map<string, number[]>();
    for (const u of users) sameEmail.set(u.email, [...(sameEmail.get(u.email) ?? []), u.id]);
    for (const [e, same] of sameEmail) {
      if (same.length > 1) reasons.push(`${same.map((id) => `#${id}`).join(' and ')} have the very same email ${e}: in cyclades and pithos they are one owner, so the columns repeat the same resources`);
    }
    if (c.upperOnly) reasons.push('members differ under Python lower() but are equal under PostgreSQL upper(), which 0016 and 0.13 logins compare with');
    return { key: c.key, users, suggested, reasons };
  });

  const astakosKeys = new Set(groups.flatMap((g) => g.users.map((u) => pyLower(u.email))));
  const serviceOnly = async (service: 'cyclades' | 'pithos', ids: string): Promise<string[][]> => {
    if (!configured(ctx, service)) return [];
    const found = await identifierCollisions((await ctx.db(service)).pool, ids);
    return [...found].filter(([k]) => !astakosKeys.has(k)).sort(([a], [b]) => byCodeUnits(a, b)).map(([, list]) => list);
  };
  const noEmail = await emaillessUsers(astakos);
  const data: DedupFindings = {
    groups,
    noEmail,
    serviceOnly: { cyclades: await serviceOnly('cyclades', CYCLADES_IDENTIFIERS), pithos: await serviceOnly('pithos', PITHOS_ACCOUNTS) },
  };

  const users = groups.reduce((n, g) => n + g.users.length, 0);
  summary.unshift(groups.length === 0
    ? 'no astakos users whose emails differ only in case'
    : `${groups.length} group(s) of case-duplicate emails, ${users} users; ${users - groups.length} must go`);
  const big = groups.filter((g) => g.users.length > 2).length;
  if (big) summary.push(`${big} group(s) of three or more`);
  const nonAscii = collisions.filter((c) => c.nonAscii).length;
  if (nonAscii) summary.push(`${nonAscii} group(s) involve non-ASCII emails (folded as Python lower() does, not by the database's locale)`);
  const upperOnly = collisions.filter((c) => c.upperOnly).map((c) => c.key);
  if (upperOnly.length) summary.push(`collide only under PostgreSQL upper() (0016's duplicate check): ${upperOnly.join(', ')}`);
  const clash = await usernameClashes(astakos);
  if (clash.length) {
    summary.push(`0016 would also fail: lower(email) of user(s) ${clash.map((c) => `#${c.id}`).join(', ')} equals another user's email-like username (fix by hand)`);
  }
  if (noEmail.length) summary.push(noEmailLine(noEmail));
  if (data.serviceOnly.cyclades.length) summary.push(`cyclades alone: ${data.serviceOnly.cyclades.length} group(s) of case-variant owners (step 6.1)`);
  if (data.serviceOnly.pithos.length) summary.push(`pithos alone: ${data.serviceOnly.pithos.length} group(s) of case-variant accounts (step 6.2)`);
  return { data, summary, collisions };
}

/**
 * Users whose future username (lower(email)) equals another user's current username that
 * 0016 keeps because it already looks like an email (astakos.md §2.4 step D, §3.4).
 */
async function usernameClashes(q: Q): Promise<{ id: number }[]> {
  const fold = await asciiFolder(q);
  const r = await q.query<{ id: number }>(
    `SELECT DISTINCT u.id FROM ${ASTAKOS_USERS}
       JOIN auth_user o ON o.username = ${fold('u.email')} AND o.id <> u.id
      WHERE o.username LIKE '%@%' AND ${fold('o.email')} <> ${fold('u.email')} ORDER BY u.id`);
  return r.rows;
}

/** The finding about users with no email: how many, their ids, and what 0.13 will make of them. */
export function noEmailLine(ids: number[]): string {
  const list = ids.length > 20 ? `${ids.slice(0, 20).map((id) => `#${id}`).join(', ')}, … (plan --json lists them all)` : ids.map((id) => `#${id}`).join(', ');
  return `${ids.length} astakos user(s) have no email (empty or only spaces): ${list}. They are not duplicates of each other and nothing here deletes them`
    + (ids.length > 1 ? '; 0016 (step 3.2) stops on users whose blank emails are equal: give each its own email by hand before 3.2' : '');
}
