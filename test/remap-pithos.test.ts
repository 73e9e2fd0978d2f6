// Steps 6.2 / 6.4 (src/core/remap/pithos): duplicate pithos accounts (exact folded
// comparison, sets of any size, merge as a move, delete of every row, case-variant rows),
// and the 0.13 alembic chain done set-based from every starting point, compared table by
// table with the reference's SQL equivalent of upstream (pithos.md §2.5, run here as an
// independent oracle), plus re-runs and kill -9 + resume.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type pg from 'pg';
import { byCodeUnits } from '../src/core/dedup/fold.js';
import { pyLower } from '../src/core/fold.js';
import {
  encodeUrl, invalidDecision, legacyPublicUrl, parseSetAnswer, suggestInto,
  type AccountHoldings, type DuplicateAccountSet, type PithosDuplicatesFindings, type PithosMigrateFindings,
} from '../src/core/remap/pithos/index.js';
import { closeAllEmbedded, type Db, type Service } from '../src/db/connection.js';
import { createSandbox, loadSchema, simulateStep } from '../src/sandbox/index.js';
import { StateFile } from '../src/state/index.js';
import { cleanupAll, cliIn as cli, emptyDatabases, runCli, sandboxTarget, tempDir, testDbName, withDb, writeConfig } from './support.js';

after(cleanupAll);

type Urls = Record<Service, string>;
const PITHOS_TABLES = ['nodes', 'versions', 'attributes', 'statistics', 'policy', 'public', 'xfeatures', 'xfeaturevals', 'groups', 'alembic_version'];

// ------------------------------------------------------------------------ helpers

function withState<T>(file: string, fn: (s: StateFile) => T): T {
  const s = StateFile.open(file);
  try { return fn(s); } finally { s.close(); }
}

function answersFile(dir: string, name: string, answers: unknown): string {
  const f = join(dir, `${name}.json`);
  writeFileSync(f, JSON.stringify(answers));
  return f;
}

/** An order-independent digest of TABLE's rows in SCHEMA. */
async function digest(q: pg.Pool | pg.PoolClient, table: string, schema = 'public'): Promise<string> {
  const r = await q.query<{ d: string | null; n: string }>(
    `SELECT md5(coalesce(string_agg(h, '' ORDER BY h), '')) AS d, count(*) AS n FROM (SELECT md5(t::text) AS h FROM ${schema}.${table} t) x`);
  return `${r.rows[0]!.n}:${r.rows[0]!.d}`;
}

/** Rows of SCHEMA_A.TABLE not in SCHEMA_B.TABLE (multiset difference), both ways, as text. */
async function tableDiff(q: pg.Pool, table: string, a: string, b: string): Promise<string[]> {
  const one = await q.query<{ r: string }>(`SELECT t::text AS r FROM (SELECT * FROM ${a}.${table} EXCEPT ALL SELECT * FROM ${b}.${table}) t ORDER BY 1 LIMIT 5`);
  const two = await q.query<{ r: string }>(`SELECT t::text AS r FROM (SELECT * FROM ${b}.${table} EXCEPT ALL SELECT * FROM ${a}.${table}) t ORDER BY 1 LIMIT 5`);
  return [...one.rows.map((x) => `only in ${a}: ${x.r}`), ...two.rows.map((x) => `only in ${b}: ${x.r}`)];
}

async function copySchema(q: pg.Pool, to: string): Promise<void> {
  await q.query(`DROP SCHEMA IF EXISTS ${to} CASCADE`);
  await q.query(`CREATE SCHEMA ${to}`);
  for (const t of PITHOS_TABLES) {
    const there = await q.query(`SELECT 1 FROM information_schema.tables WHERE table_schema = 'public' AND table_name = $1`, [t]);
    if (there.rowCount) await q.query(`CREATE TABLE ${to}.${t} AS SELECT * FROM public.${t}`);
  }
}

/** Statistics rows that differ from the tree, by the reference's own recompute (pithos.md §1.7). */
async function referenceStatisticsDrift(q: pg.Pool, schema = 'public'): Promise<number> {
  const r = await q.query<{ n: string }>(`
    WITH RECURSIVE anc(node, ancestor, depth) AS (
        SELECT node, parent, 1 FROM ${schema}.nodes WHERE node <> 0
      UNION ALL
        SELECT a.node, n.parent, a.depth + 1 FROM anc a JOIN ${schema}.nodes n ON n.node = a.ancestor WHERE a.ancestor <> 0),
    ideal AS (SELECT a.ancestor AS node, v.cluster, sum(CASE WHEN a.depth = 1 THEN 1 ELSE 0 END) AS population, sum(v.size) AS size
                FROM anc a JOIN ${schema}.versions v ON v.node = a.node GROUP BY a.ancestor, v.cluster)
    SELECT count(*) AS n FROM ${schema}.statistics s FULL JOIN ideal i ON i.node = s.node AND i.cluster = s.cluster
     WHERE coalesce(s.size, 0) <> coalesce(i.size, 0) OR coalesce(s.population, 0) <> coalesce(i.population, 0)`);
  return Number(r.rows[0]!.n);
}

// ------------------------------------------------------------------------ the oracle

/** The reference's PL/pgSQL version of short_url.encode_url(public_id + 42) (pithos.md §1.11), verbatim. */
const LEGACY_URL_FUNCTION = (schema: string) => `
CREATE OR REPLACE FUNCTION ${schema}.pithos_legacy_public_url(public_id bigint) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  alphabet constant text := 'mn6j2c4rv8bpygw95z7hsdaetxuk3fq';
  n bigint := public_id + 42;  low bigint := n & 16777215;  rev bigint := 0;
  x bigint;  s text := '';  i int;
BEGIN
  FOR i IN 0..23 LOOP
    IF (low >> i) & 1 = 1 THEN rev := rev | (1::bigint << (23 - i)); END IF;
  END LOOP;
  x := (n & ~16777215::bigint) | rev;
  LOOP
    s := substr(alphabet, (x % 31)::int + 1, 1) || s;  x := x / 31;
    EXIT WHEN x = 0;
  END LOOP;
  RETURN CASE WHEN length(s) < 5 THEN lpad(s, 5, 'm') ELSE s END;
END $$`;

/**
 * Upstream's 3dd56e750a3 (if asked) + 165ba3fbfe53 + 2a309a9a3438 + 27381099d477 on the
 * tables of SCHEMA, as the reference's set-based SQL (pithos.md §2.5 steps A, B, D, E),
 * with names resolved the way astakos' user_catalogs does (lower(name) = username).
 */
async function upstreamOracle(pithos: pg.Pool, astakos: pg.Pool, schema: string, opts: { latestRepair?: boolean; urlExists?: boolean } = {}): Promise<void> {
  const users = await astakos.query<{ username: string; uuid: string }>(
    'SELECT u.username, a.uuid FROM auth_user u JOIN im_astakosuser a ON a.user_ptr_id = u.id WHERE a.uuid IS NOT NULL');
  const byUsername = new Map(users.rows.map((r) => [r.username, r.uuid]));
  const c = await pithos.connect();
  try {
    await c.query(`SET search_path = ${schema}`);
    await c.query(LEGACY_URL_FUNCTION(schema));
    await c.query('BEGIN');
    const idents = await c.query<{ name: string }>(`
      SELECT split_part(path, '/', 1) AS name FROM nodes WHERE node <> 0
      UNION SELECT split_part(path, '/', 1) FROM public
      UNION SELECT split_part(path, '/', 1) FROM xfeatures
      UNION SELECT muser FROM versions
      UNION SELECT split_part(value, ':', 1) FROM xfeaturevals WHERE value <> '*'
      UNION SELECT owner FROM groups
      UNION SELECT member FROM groups`);
    await c.query('CREATE TEMP TABLE acct_map (name varchar(256) PRIMARY KEY, uuid varchar(256) NOT NULL)');
    for (const { name } of idents.rows) {
      const uuid = name ? byUsername.get(name.toLowerCase()) : undefined;
      if (uuid) await c.query('INSERT INTO acct_map VALUES ($1, $2)', [name, uuid]);
    }
    if (opts.latestRepair) {
      await c.query('UPDATE nodes SET latest_version = (SELECT serial FROM versions WHERE versions.node = nodes.node ORDER BY mtime DESC LIMIT 1)');
    }
    await c.query(`UPDATE nodes n SET path = m.uuid || substr(n.path, length(m.name) + 1)
                     FROM acct_map m WHERE n.node <> 0 AND split_part(n.path, '/', 1) = m.name`);
    await c.query('UPDATE versions v SET muser = m.uuid FROM acct_map m WHERE v.muser = m.name');
    await c.query(`UPDATE public p SET path = m.uuid || substr(p.path, length(m.name) + 1)
                     FROM acct_map m WHERE split_part(p.path, '/', 1) = m.name`);
    await c.query(`UPDATE xfeatures x SET path = m.uuid || substr(x.path, length(m.name) + 1)
                     FROM acct_map m WHERE split_part(x.path, '/', 1) = m.name`);
    await c.query(`UPDATE xfeaturevals x SET value = m.uuid || substr(x.value, length(m.name) + 1)
                     FROM acct_map m WHERE x.value <> '*' AND split_part(x.value, ':', 1) = m.name`);
    await c.query('UPDATE groups g SET owner  = m.uuid FROM acct_map m WHERE g.owner  = m.name');
    await c.query('UPDATE groups g SET member = m.uuid FROM acct_map m WHERE g.member = m.name');
    await c.query('UPDATE statistics SET population = 0 WHERE population < 0');
    if (!opts.urlExists) await c.query('ALTER TABLE public ADD COLUMN url varchar(2048)');
    await c.query('ALTER TABLE public ADD CONSTRAINT idx_public_url UNIQUE (url)');
    await c.query(`UPDATE public SET url = pithos_legacy_public_url(public_id)${opts.urlExists ? ' WHERE url IS NULL' : ''}`);
    await c.query('CREATE TABLE IF NOT EXISTS alembic_version (version_num varchar(32) NOT NULL)');
    await c.query('DELETE FROM alembic_version');
    await c.query(`INSERT INTO alembic_version (version_num) VALUES ('27381099d477')`);
    await c.query('COMMIT');
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    await c.query('RESET search_path').catch(() => undefined);
    c.release();
  }
}

async function assertSameAsOracle(pithos: pg.Pool, oracle: string): Promise<void> {
  for (const t of PITHOS_TABLES) {
    assert.deepEqual(await tableDiff(pithos, t, 'public', oracle), [], `${t} differs from upstream's result`);
  }
}

// ------------------------------------------------------------------------ unit

describe('legacy public urls (27381099d477)', () => {
  test('encode_url reproduces every test vector of the reference', () => {
    const vectors: [number, string][] = [
      [1, '9npwd'], [2, 'jdycp'], [3, 'yeq4h'], [10, 'jjt7u'], [100, 'vm7j8'], [12345, 'wns3k'],
      [8388566, 'mmmmn'], [16777174, '7cc65'], [16777175, 'krejt'], [16777216, 'tjf9f'], [100000000, 'jjxeq9'],
    ];
    for (const [id, url] of vectors) assert.equal(legacyPublicUrl(id), url, `public_id ${id}`);
    assert.equal(encodeUrl(0n), 'mmmmm');
    assert.equal(legacyPublicUrl(2 ** 31 - 1).length >= 5, true);
  });
});

describe('6.2 decisions', () => {
  const acc = (name: string, o: Partial<AccountHoldings> = {}): AccountHoldings => ({
    name, containers: 1, objects: 0, bytes: '0', groups: 0, permissions: 0, astakos: 'unknown', nodes: 2, versions: 2, ...o,
  });
  const set: DuplicateAccountSet = {
    key: 'foo@x.gr', accounts: [acc('FOO@x.gr'), acc('Foo@x.gr', { astakos: 'known' }), acc('foo@x.gr', { objects: 9 })],
    suggested: { action: 'merge', into: 'Foo@x.gr' }, reasons: [],
  };

  test('answers parse and are checked against the set', () => {
    assert.deepEqual(parseSetAnswer({ merge: 'Foo@x.gr' }), { action: 'merge', into: 'Foo@x.gr' });
    assert.deepEqual(parseSetAnswer({ delete: ['FOO@x.gr'], merge: 'Foo@x.gr' }), { action: 'delete', delete: ['FOO@x.gr'], into: 'Foo@x.gr' });
    assert.equal(parseSetAnswer(42), undefined);
    assert.equal(invalidDecision(set, { action: 'merge', into: 'Foo@x.gr' }), undefined);
    assert.match(invalidDecision(set, { action: 'merge', into: 'fOO@x.gr' })!, /not one of the set's accounts/);
    assert.match(invalidDecision(set, { action: 'delete', delete: ['FOO@x.gr'] })!, /would still be one account/);
    assert.equal(invalidDecision(set, { action: 'delete', delete: ['FOO@x.gr', 'foo@x.gr'] }), undefined);
    assert.equal(invalidDecision(set, { action: 'delete', delete: ['FOO@x.gr', 'foo@x.gr', 'Foo@x.gr'] }), undefined);
    assert.match(invalidDecision(set, { action: 'delete', delete: ['Foo@x.gr'], into: 'Foo@x.gr' })!, /both deleted and merged/);
  });

  test('the suggestion: step 2\'s survivor, else the exact astakos email, else the fullest account', () => {
    assert.equal(suggestInto(set.key, set.accounts, [{ deleted: 'foo@x.gr', into: 'FOO@x.gr', survivorId: 9 }]).into, 'FOO@x.gr');
    assert.equal(suggestInto(set.key, set.accounts, []).into, 'Foo@x.gr');
    const noTwin = set.accounts.map((a) => ({ ...a, astakos: 'unknown' as const }));
    const s = suggestInto(set.key, noTwin, []);
    assert.equal(s.into, 'foo@x.gr');
    assert.match(s.reasons.join(' '), /holds the most/);
  });
});

// ------------------------------------------------------------------------ a hand-made deployment

const U = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
/** astakos at 0.13: id, email (username = its lower-case form, as 0016 leaves it). */
const ASTAKOS: [number, string][] = [
  [1, 'Foo@x.gr'], [2, 'bar@x.gr'], [3, 'A+b@x.gr'], [4, 'a.b@x.gr'], [5, 'axb@x.gr'], [6, 'Dept(IT)@x.gr'], [7, 'Σωκράτης@x.gr'], [8, 'zed@x.gr'],
];

async function seedAstakos(db: Db): Promise<void> {
  await loadSchema(db.pool, 'astakos', '0.13');
  for (const [id, email] of ASTAKOS) {
    await db.pool.query(`INSERT INTO auth_user (id, username, first_name, last_name, email, password, is_staff, is_active, is_superuser, last_login, date_joined)
      VALUES ($1, $2, 'F', 'L', $3, '!', false, true, false, '2012-01-01 00:00:00+00', '2011-01-01 00:00:00+00')`, [id, email.toLowerCase(), email]);
    await db.pool.query(`INSERT INTO im_astakosuser (user_ptr_id, provider, level, invitations, updated, is_verified, email_verified, has_credits,
        has_signed_terms, uuid, disturbed_quota) VALUES ($1, 'local', 4, 0, '2012-01-01 00:00:00+00', true, true, false, false, $2, false)`, [id, U(id)]);
  }
}

interface V { c: 0 | 1 | 2; uuid?: string; type?: string; muser?: string; attrs?: [string, string, string][] }

/** The pithos tree of the fixture, with ids it remembers by path. */
class Tree {
  readonly node = new Map<string, number>();
  readonly lastSerial = new Map<string, number>();
  readonly uuidOf = new Map<string, string>();
  private rows = { nodes: [] as string[], versions: [] as string[], attributes: [] as string[], policy: [] as string[] };
  private n = 0;
  private s = 0;

  private lit = (x: string | number | null): string => (x === null ? 'NULL' : typeof x === 'number' ? String(x) : `'${x.replace(/'/g, "''")}'`);

  add(parent: string | null, path: string, versions: V[], policy: [string, string][] = []): number {
    const id = ++this.n;
    const owner = path.split('/')[0]!;
    let prev: number | null = null;
    for (const v of versions) {
      const serial = ++this.s;
      const marker = v.c === 2;
      const uuid = v.uuid ?? `obj-${id}`;
      this.rows.versions.push(`(${serial}, ${id}, ${this.lit(marker ? null : `h${serial}`)}, ${marker ? 0 : 100 * serial}, ${this.lit(marker ? '' : v.type ?? 'text/plain')},
        ${prev ?? 'NULL'}, ${1_330_000_000 + serial * 7}.25, ${this.lit(v.muser ?? owner)}, ${this.lit(uuid)}, '', ${v.c})`);
      for (const [d, k, val] of v.attrs ?? []) this.rows.attributes.push(`(${serial}, ${this.lit(d)}, ${this.lit(k)}, ${this.lit(val)})`);
      prev = serial;
      this.uuidOf.set(path, uuid);
    }
    this.rows.nodes.push(`(${id}, ${parent === null ? 0 : this.node.get(parent)!}, ${prev ?? 'NULL'}, ${this.lit(path)})`);
    for (const [k, v] of policy) this.rows.policy.push(`(${id}, ${this.lit(k)}, ${this.lit(v)})`);
    this.node.set(path, id);
    if (prev !== null) this.lastSerial.set(path, prev);
    return id;
  }

  account(name: string, quota?: string): void { this.add(null, name, [{ c: 0 }], quota ? [['quota', quota]] : []); }
  container(path: string): void { this.add(path.split('/')[0]!, path, [{ c: 0 }], [['quota', '53687091200'], ['versioning', 'auto']]); }
  object(path: string, ...versions: V[]): void { const [a, c] = path.split('/'); this.add(`${a}/${c}`, path, versions); }

  sql(): string[] {
    return [
      `INSERT INTO nodes (node, parent, latest_version, path) VALUES ${this.rows.nodes.join(',\n')}`,
      `INSERT INTO versions (serial, node, hash, size, type, source, mtime, muser, uuid, checksum, cluster) VALUES ${this.rows.versions.join(',\n')}`,
      ...(this.rows.attributes.length ? [`INSERT INTO attributes (serial, domain, key, value) VALUES ${this.rows.attributes.join(',\n')}`] : []),
      `INSERT INTO policy (node, key, value) VALUES ${this.rows.policy.join(',\n')}`,
    ];
  }
}

function fixtureTree(): Tree {
  const t = new Tree();
  // the set foo@x.gr: three spellings, the astakos email is Foo@x.gr
  t.account('Foo@x.gr');
  t.container('Foo@x.gr/pithos');
  t.object('Foo@x.gr/pithos/a.txt', { c: 1 }, { c: 0 });
  t.object('Foo@x.gr/pithos/shared/doc', { c: 0 });
  t.container('Foo@x.gr/photos');
  t.object('Foo@x.gr/photos/p.jpg', { c: 0, type: 'image/jpeg' });
  t.account('foo@x.gr', '107374182400');
  t.container('foo@x.gr/pithos');
  t.object('foo@x.gr/pithos/a.txt', { c: 1 }, { c: 1, muser: 'bar@x.gr' }, { c: 0, attrs: [['pithos', 'X-Object-Meta-Tag', 'work']] });
  t.object('foo@x.gr/pithos/b.txt', { c: 0 });
  t.object('foo@x.gr/pithos/gone.txt', { c: 1 }, { c: 2 });
  t.object('foo@x.gr/pithos/img.diskdump', {
    c: 0, uuid: 'image-uuid-1', type: 'application/octet-stream',
    attrs: [['plankton', 'plankton:name', 'Debian'], ['plankton', 'plankton:status', 'available'], ['plankton', 'plankton:properties', '{"OS": "debian"}']],
  });
  t.container('foo@x.gr/trash');
  t.object('foo@x.gr/trash/x', { c: 1 }, { c: 0 });
  t.account('FOO@x.gr');
  t.container('FOO@x.gr/pithos');
  t.object('FOO@x.gr/pithos/a.txt', { c: 1 }, { c: 2 });
  // others
  t.account('bar@x.gr');
  t.container('bar@x.gr/pithos');
  t.object('bar@x.gr/pithos/r.txt', { c: 0, muser: 'FOO@x.gr' });
  t.account('A+b@x.gr');
  t.container('A+b@x.gr/pithos');
  t.object('A+b@x.gr/pithos/one.txt', { c: 0 });
  t.account('a+b@x.gr');
  t.container('a+b@x.gr/pithos');
  t.object('a+b@x.gr/pithos/two.txt', { c: 0 });
  t.account('a.b@x.gr');
  t.container('a.b@x.gr/pithos');
  t.object('a.b@x.gr/pithos/f', { c: 0 });
  t.account('aXb@x.gr');
  t.container('aXb@x.gr/pithos');
  t.object('aXb@x.gr/pithos/g', { c: 0 });
  t.account('Dept(IT)@x.gr', '0');
  t.container('Dept(IT)@x.gr/pithos');
  t.object('Dept(IT)@x.gr/pithos/d1', { c: 0 });
  t.object('Dept(IT)@x.gr/pithos/d2', { c: 1 }, { c: 0 });
  t.account('dept(it)@x.gr');
  t.container('dept(it)@x.gr/pithos');
  t.object('dept(it)@x.gr/pithos/d3', { c: 0 });
  t.account('Σωκράτης@x.gr');
  t.container('Σωκράτης@x.gr/pithos');
  t.object('Σωκράτης@x.gr/pithos/σ', { c: 0 });
  t.account('σωκράτης@x.gr');
  t.container('σωκράτης@x.gr/έγγραφα');
  t.object('σωκράτης@x.gr/έγγραφα/σημειώσεις.txt', { c: 0 });
  t.account('Ghost@gone.org');
  t.container('Ghost@gone.org/pithos');
  t.object('Ghost@gone.org/pithos/g1', { c: 0 });
  t.account('ghost@gone.org');
  t.container('ghost@gone.org/pithos');
  t.object('ghost@gone.org/pithos/g2', { c: 0 });
  t.account(U(8));
  t.container(`${U(8)}/pithos`);
  t.object(`${U(8)}/pithos/z1`, { c: 0 });
  t.account('zed@x.gr');
  t.container('zed@x.gr/pithos');
  t.object('zed@x.gr/pithos/z1', { c: 1 }, { c: 0 });
  t.object('zed@x.gr/pithos/z2', { c: 0 });
  t.account('orphan@gone.org');
  t.container('orphan@gone.org/pithos');
  t.object('orphan@gone.org/pithos/o', { c: 0 });
  return t;
}

const FEATURES: [number, string, [number, string][]][] = [
  [1, 'Foo@x.gr/pithos/a.txt', [[0, 'zed@x.gr']]],
  [2, 'foo@x.gr/pithos/a.txt', [[0, 'bar@x.gr'], [0, 'foo@x.gr:friends']]],
  [3, 'foo@x.gr/pithos/b.txt', [[0, '*']]],
  [4, 'bar@x.gr/pithos/r.txt', [[0, 'foo@x.gr'], [0, 'Foo@x.gr'], [1, 'FOO@x.gr:team']]],
  [5, 'Dept(IT)@x.gr/pithos/d1', [[0, 'bar@x.gr']]],
  [6, 'Dept(IT)@x.gr/pithos/stale', [[0, 'bar@x.gr']]],
  [7, 'a.b@x.gr/pithos/f', [[0, 'axb@x.gr'], [0, 'aXb@x.gr']]],
];
const PUBLIC: [number, string, boolean][] = [
  [1, 'Foo@x.gr/pithos/a.txt', true], [2, 'foo@x.gr/pithos/a.txt', true], [3, 'foo@x.gr/pithos/b.txt', true],
  [10, 'foo@x.gr/pithos/gone.txt', false], [100, 'Dept(IT)@x.gr/pithos/d1', true], [12345, 'bar@x.gr/pithos/r.txt', true],
  [16777174, 'a.b@x.gr/pithos/f', true], [16777216, 'zed@x.gr/pithos/z2', true],
];
const GROUPS: [string, string, string][] = [
  ['foo@x.gr', 'friends', 'bar@x.gr'], ['foo@x.gr', 'friends', 'foo@x.gr'], ['Foo@x.gr', 'friends', 'zed@x.gr'], ['FOO@x.gr', 'team', 'Bar@x.gr'],
  ['bar@x.gr', 'pals', 'foo@x.gr'], ['bar@x.gr', 'pals', 'Foo@x.gr'], ['bar@x.gr', 'pals', 'ZED@x.gr'], ['bar@x.gr', 'pals', 'zed@x.gr'],
  ['Dept(IT)@x.gr', 'it', 'bar@x.gr'], ['bar@x.gr', 'pals', 'Dept(IT)@x.gr'],
];

/** The reference's statistics recompute (pithos.md §1.7), so the fixture starts consistent. */
const REFERENCE_STATISTICS = `
INSERT INTO statistics (node, population, size, mtime, cluster)
WITH RECURSIVE anc(node, ancestor, depth) AS (
    SELECT node, parent, 1 FROM nodes WHERE node <> 0
  UNION ALL
    SELECT a.node, n.parent, a.depth + 1 FROM anc a JOIN nodes n ON n.node = a.ancestor WHERE a.ancestor <> 0)
SELECT a.ancestor, sum(CASE WHEN a.depth = 1 THEN 1 ELSE 0 END), sum(v.size), max(v.mtime), v.cluster
  FROM anc a JOIN versions v ON v.node = a.node GROUP BY a.ancestor, v.cluster`;

async function seedPithos(db: Db, tree: Tree): Promise<void> {
  const q = db.pool;
  await loadSchema(q, 'pithos', '0.12.5', { sections: ['tables'] });
  await q.query(`INSERT INTO nodes (node, parent, latest_version, path) VALUES (0, 0, NULL, '')`);
  for (const s of tree.sql()) await q.query(s);
  for (const [id, path, vals] of FEATURES) {
    await q.query('INSERT INTO xfeatures (feature_id, path) VALUES ($1, $2)', [id, path]);
    for (const [k, v] of vals) await q.query('INSERT INTO xfeaturevals (feature_id, key, value) VALUES ($1, $2, $3)', [id, k, v]);
  }
  for (const [id, path, active] of PUBLIC) await q.query('INSERT INTO public (public_id, path, active) VALUES ($1, $2, $3)', [id, path, active]);
  for (const [o, n, m] of GROUPS) await q.query('INSERT INTO groups (owner, name, member) VALUES ($1, $2, $3)', [o, n, m]);
  await q.query(REFERENCE_STATISTICS);
  await loadSchema(q, 'pithos', '0.12.5', { sections: ['constraints', 'foreign-keys'] });
  await q.query(`INSERT INTO alembic_version (version_num) VALUES ('3dd56e750a3')`);
  for (const [seq, t, c] of [['nodes_node_seq', 'nodes', 'node'], ['versions_serial_seq', 'versions', 'serial'],
    ['public_public_id_seq', 'public', 'public_id'], ['xfeatures_feature_id_seq', 'xfeatures', 'feature_id']]) {
    await q.query(`SELECT setval('${seq}', (SELECT max(${c}) FROM ${t}))`);
  }
}

/** Rebuilds the pithos tables from the copy in schema FROM (constraints included), then runs SETUP. */
async function restorePithos(q: pg.Pool, from: string, setup: string[] = []): Promise<void> {
  await q.query('DROP SCHEMA public CASCADE');
  await q.query('CREATE SCHEMA public');
  await loadSchema(q, 'pithos', '0.12.5', { sections: ['tables'] });
  for (const t of PITHOS_TABLES) await q.query(`INSERT INTO public.${t} SELECT * FROM ${from}.${t}`);
  await loadSchema(q, 'pithos', '0.12.5', { sections: ['constraints', 'foreign-keys'] });
  for (const x of setup) await q.query(x);
}

/** A fresh state file for the deployment at URLS with every step before 6.2 done. */
function freshConfig(dir: string, urls: Urls, name: string): string {
  const sub = join(dir, name);
  mkdirSync(sub, { recursive: true });
  const cfg = writeConfig(sub, urls, { state: join(dir, `${name}.db`) });
  withState(join(dir, `${name}.db`), (s) => { for (const id of ['1', '2.1', '2.2', '3.1', '3.2']) s.markDone(id); });
  return cfg;
}

describe('a hand-made deployment: 6.2 merges and deletes exactly, 6.4 equals upstream from every starting point', () => {
  let urls: Urls;
  let dir: string;
  let cfg: string;
  let stateFile: string;
  let tree: Tree;

  before(async () => {
    urls = await emptyDatabases('rpit_t_f');
    await withDb('cyclades', urls.cyclades, async () => undefined); // empty, but there (an embedded one is created on first open)
    dir = tempDir('rpit-f-');
    tree = fixtureTree();
    await withDb('astakos', urls.astakos, seedAstakos);
    await withDb('pithos', urls.pithos, (db) => seedPithos(db, tree));
    cfg = freshConfig(dir, urls, 'state-main');
    stateFile = join(dir, 'state-main.db');
  });

  test('the TypeScript encoder agrees with the reference\'s PL/pgSQL one', async () => {
    await withDb('pithos', urls.pithos, async (db) => {
      await db.pool.query('CREATE SCHEMA IF NOT EXISTS enc');
      await db.pool.query(LEGACY_URL_FUNCTION('enc'));
      const ids = [...Array.from({ length: 600 }, (_, i) => i + 1), 8388566, 16777174, 16777175, 16777216, 100000000, 2147483000];
      const r = await db.pool.query<{ id: number; url: string }>('SELECT id, enc.pithos_legacy_public_url(id) AS url FROM unnest($1::int[]) id', [ids]);
      for (const { id, url } of r.rows) assert.equal(legacyPublicUrl(id), url, `public_id ${id}`);
      await db.pool.query('DROP SCHEMA enc CASCADE');
    });
  });

  test('6.2 finds the sets by folded names and uuids, never by regex', async () => {
    const r = await cli(cfg, 'plan', '6.2', '--json');
    assert.equal(r.code, 0, r.err);
    const view = JSON.parse(r.out);
    const data = view.findings.data as PithosDuplicatesFindings;
    const sets = Object.fromEntries(data.sets.map((s) => [s.key, s.accounts.map((a) => a.name)]));
    assert.deepEqual(sets, {
      'a+b@x.gr': ['A+b@x.gr', 'a+b@x.gr'],
      'dept(it)@x.gr': ['Dept(IT)@x.gr', 'dept(it)@x.gr'],
      'foo@x.gr': ['FOO@x.gr', 'Foo@x.gr', 'foo@x.gr'],
      'ghost@gone.org': ['Ghost@gone.org', 'ghost@gone.org'],
      'zed@x.gr': [U(8), 'zed@x.gr'],
      'σωκράτης@x.gr': ['Σωκράτης@x.gr', 'σωκράτης@x.gr'],
    }, 'a.b@x.gr / aXb@x.gr is no set; A+b / a+b and Dept(IT) / dept(it) are');
    const foo = data.sets.find((s) => s.key === 'foo@x.gr')!;
    assert.equal(foo.suggested.into, 'Foo@x.gr');
    const sfoo = foo.accounts.find((a) => a.name === 'foo@x.gr')!;
    assert.deepEqual({ c: sfoo.containers, o: sfoo.objects, g: sfoo.groups, p: sfoo.permissions, a: sfoo.astakos, u: sfoo.uuid },
      { c: 2, o: 4, g: 1, p: 3, a: 'unknown', u: U(1) });
    assert.equal(foo.accounts.find((a) => a.name === 'Foo@x.gr')!.astakos, 'known');
    assert.deepEqual(data.unknown, ['Ghost@gone.org', 'ghost@gone.org', 'orphan@gone.org']);
    assert.equal(data.memberCase.groups.rows, 2, JSON.stringify(data.memberCase.groups));
    assert.equal(data.memberCase.permissions.rows, 2, JSON.stringify(data.memberCase.permissions));
    assert.ok(view.plan.open > 0, 'undecided without answers');
    // 6.4 on these data would collide: it says so and changes nothing
    const blocked = JSON.parse((await cli(cfg, 'plan', '6.4', '--json')).out);
    const c = (blocked.findings.data as PithosMigrateFindings).collisions.filter((x) => x.groups > 0).map((x) => x.table);
    assert.deepEqual(c, ['nodes.path', 'public.path', 'xfeatures.path', 'xfeaturevals.value', 'groups']);
  });

  test('6.4 before 6.2 is refused, with the colliding rows named and nothing written', async () => {
    const other = freshConfig(dir, urls, 'state-early');
    withState(join(dir, 'state-early.db'), (s) => s.markDone('6.2'));
    const before = await withDb('pithos', urls.pithos, (db) => digest(db.pool, 'nodes'));
    const r = await cli(other, 'run', '6.4', '--accept-suggestions');
    assert.equal(r.code, 4, r.err);
    assert.match(r.err, /would make rows collide, so it changed nothing: nodes\.path: \d+ group\(s\).*Foo@x\.gr/);
    await withDb('pithos', urls.pithos, async (db) => {
      assert.equal(await digest(db.pool, 'nodes'), before);
      assert.deepEqual((await db.pool.query('SELECT version_num FROM alembic_version')).rows, [{ version_num: '3dd56e750a3' }]);
      assert.equal((await db.pool.query(`SELECT 1 FROM information_schema.tables WHERE table_name = 'snf_upgrade_pithos_uuids'`)).rowCount, 0);
    });
  });

  test('6.2 merges as a move (ids, uuids, history, grants, links, groups follow) and deletes every row', async () => {
    const answers = answersFile(dir, 'a62', {
      '6.2': {
        sets: {
          'foo@x.gr': { merge: 'Foo@x.gr' }, 'Dept(IT)@x.gr': { delete: ['Dept(IT)@x.gr'] },
          'ghost@gone.org': { delete: ['Ghost@gone.org', 'ghost@gone.org'] }, 'zed@x.gr': { merge: U(8) },
        },
        unknown: { 'orphan@gone.org': 'keep' },
        confirm: true,
      },
    });
    // foo@x.gr's explicit quota would become Foo@x.gr's: not silently, a decision with both values
    const open = await cli(cfg, 'plan', '6.2', '--answers', answers);
    assert.match(open.out, /foo@x\.gr: quota of Foo@x\.gr after the merge: FOO@x\.gr: the default \(PITHOS_BACKEND_QUOTA\), Foo@x\.gr: the default \(PITHOS_BACKEND_QUOTA\) \(the survivor's in 0\.12\), foo@x\.gr: 107374182400 bytes → undecided: as-0\.12 keeps the default \(PITHOS_BACKEND_QUOTA\), larger gives 107374182400 bytes/);
    const refused = await cli(cfg, 'run', '6.2', '--answers', answers);
    assert.equal(refused.code, 3, refused.err);
    const larger = JSON.parse(readFileSync(answers, 'utf8'));
    larger['6.2'].quotas = { 'FOO@x.gr': 'larger' };
    writeFileSync(answers, JSON.stringify(larger));
    await withDb('pithos', urls.pithos, (db) => copySchema(db.pool, 'pre'));
    const r = await cli(cfg, 'run', '6.2', '--accept-suggestions', '--answers', answers);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /merged 5 and deleted 3 pithos account\(s\)/);
    assert.match(r.out, /Blocks and hashmaps in the block store .* are not touched/);
    assert.match(r.out, /Foo@x\.gr takes over the explicit quota of foo@x\.gr \(107374182400 bytes\)/);
    await withDb('pithos', urls.pithos, async ({ pool: q }) => {
      const accounts = (await q.query<{ path: string }>('SELECT path FROM nodes WHERE parent = 0 AND node <> 0')).rows.map((x) => x.path).sort(byCodeUnits);
      assert.deepEqual(accounts, [U(8), 'A+b@x.gr', 'Foo@x.gr', 'a.b@x.gr', 'aXb@x.gr', 'bar@x.gr', 'dept(it)@x.gr', 'orphan@gone.org', 'Σωκράτης@x.gr']);
      const node = async (path: string) => (await q.query<{ node: number; parent: number; latest_version: number }>('SELECT * FROM nodes WHERE path = $1', [path])).rows[0];
      // same-named object: every version joins the destination node; the source's current is current
      const a = (await node('Foo@x.gr/pithos/a.txt'))!;
      assert.equal(a.node, tree.node.get('Foo@x.gr/pithos/a.txt'));
      assert.equal(a.latest_version, tree.lastSerial.get('foo@x.gr/pithos/a.txt'));
      const av = await q.query<{ cluster: number; n: string }>('SELECT cluster, count(*) AS n FROM versions WHERE node = $1 GROUP BY cluster ORDER BY cluster', [a.node]);
      assert.deepEqual(av.rows.map((x) => [x.cluster, Number(x.n)]), [[0, 1], [1, 5], [2, 1]]);
      const cur = await q.query('SELECT uuid, muser FROM versions WHERE serial = $1', [a.latest_version]);
      assert.deepEqual(cur.rows[0], { uuid: tree.uuidOf.get('foo@x.gr/pithos/a.txt'), muser: 'foo@x.gr' }, 'no new uuid, muser untouched');
      // moved objects and containers keep their nodes (and so their versions, uuids, image ids)
      for (const [from, to] of [['foo@x.gr/pithos/b.txt', 'Foo@x.gr/pithos/b.txt'], ['foo@x.gr/pithos/gone.txt', 'Foo@x.gr/pithos/gone.txt'],
        ['foo@x.gr/trash', 'Foo@x.gr/trash'], ['foo@x.gr/trash/x', 'Foo@x.gr/trash/x'], ['foo@x.gr/pithos/img.diskdump', 'Foo@x.gr/pithos/img.diskdump'],
        [`zed@x.gr/pithos/z2`, `${U(8)}/pithos/z2`]]) {
        assert.equal((await node(to!))?.node, tree.node.get(from!), `${from} → ${to}`);
      }
      assert.equal((await node('Foo@x.gr/trash'))!.parent, tree.node.get('Foo@x.gr'));
      const img = await q.query(`SELECT v.uuid, (SELECT count(*) FROM attributes a WHERE a.serial = v.serial AND a.domain = 'plankton') AS attrs
                                   FROM nodes n JOIN versions v ON v.serial = n.latest_version WHERE n.path = 'Foo@x.gr/pithos/img.diskdump'`);
      assert.deepEqual(img.rows[0], { uuid: 'image-uuid-1', attrs: '3' });
      assert.equal((await node(`${U(8)}/pithos/z1`))!.latest_version, tree.lastSerial.get('zed@x.gr/pithos/z1'));
      // every version of an object survives (none dropped, none copied)
      const objectVersions = await q.query<{ n: string }>(`SELECT count(*) AS n FROM versions v JOIN nodes o ON o.node = v.node
                                                             JOIN nodes c ON c.node = o.parent WHERE c.parent <> 0`);
      assert.equal(Number(objectVersions.rows[0]!.n), 33 - 5, 'object versions: all 33 but the 5 of the deleted accounts');
      // permissions, holders, public rows, groups
      const vals = async (path: string) => (await q.query<{ key: number; value: string }>(
        'SELECT v.key, v.value FROM xfeatures x JOIN xfeaturevals v ON v.feature_id = x.feature_id WHERE x.path = $1', [path])).rows.map((x) => `${x.key}:${x.value}`).sort(byCodeUnits);
      assert.deepEqual(await vals('Foo@x.gr/pithos/a.txt'), [`0:${U(8)}`, '0:Foo@x.gr:friends', '0:bar@x.gr']);
      assert.deepEqual(await vals('Foo@x.gr/pithos/b.txt'), ['0:*']);
      assert.deepEqual(await vals('bar@x.gr/pithos/r.txt'), ['0:Foo@x.gr', '1:Foo@x.gr:team']);
      assert.deepEqual(await vals('a.b@x.gr/pithos/f'), ['0:aXb@x.gr'], 'case-variant grant de-duplicated, the account\'s spelling kept');
      assert.equal((await q.query(`SELECT 1 FROM xfeatures WHERE split_part(path, '/', 1) IN ('foo@x.gr', 'Dept(IT)@x.gr')`)).rowCount, 0);
      const pub = await q.query<{ public_id: number; path: string; active: boolean }>('SELECT * FROM public ORDER BY public_id');
      assert.deepEqual(pub.rows.map((x) => [x.public_id, x.path, x.active]), [
        [2, 'Foo@x.gr/pithos/a.txt', true], [3, 'Foo@x.gr/pithos/b.txt', true], [10, 'Foo@x.gr/pithos/gone.txt', false],
        [12345, 'bar@x.gr/pithos/r.txt', true], [16777174, 'a.b@x.gr/pithos/f', true], [16777216, `${U(8)}/pithos/z2`, true],
      ]);
      const groups = await q.query<{ owner: string; name: string; member: string }>('SELECT * FROM groups');
      assert.deepEqual(groups.rows.map((g) => `${g.owner} ${g.name} ${g.member}`).sort(byCodeUnits), [
        `Foo@x.gr friends ${U(8)}`, 'Foo@x.gr friends Foo@x.gr', 'Foo@x.gr friends bar@x.gr', 'Foo@x.gr team Bar@x.gr',
        `bar@x.gr pals ${U(8)}`, 'bar@x.gr pals Dept(IT)@x.gr', 'bar@x.gr pals Foo@x.gr',
      ]);
      const quota = await q.query(`SELECT p.value FROM policy p JOIN nodes n ON n.node = p.node WHERE n.path = 'Foo@x.gr' AND p.key = 'quota'`);
      assert.deepEqual(quota.rows, [{ value: '107374182400' }]);
      assert.equal(await referenceStatisticsDrift(q), 0, 'statistics equal a recompute from versions (root included)');
    });
    // before-images of what was deleted or rewritten are in the state file
    withState(stateFile, (s) => {
      const images = [...s.beforeImages('6.2')];
      assert.ok(images.some((i) => i.table === 'nodes' && i.action === 'delete' && (i.row as { path: string }).path === 'Dept(IT)@x.gr'));
      assert.ok(images.some((i) => i.table === 'public' && i.action === 'delete' && (i.pk as { public_id: number }).public_id === 1));
      assert.ok(images.some((i) => i.table === 'versions' && i.action === 'update' && (i.row as { node: number }).node === tree.node.get('foo@x.gr/pithos/a.txt')));
    });
    const again = await cli(cfg, 'run', '6.2');
    assert.match(again.out, /already done/);
  });

  test('6.2 run again after it finished (same decisions) finds its member-case batch done and changes nothing', async () => {
    const journal = () => withDb('pithos', urls.pithos, async (db) => (await db.pool.query<{ batch: string }>(
      `SELECT batch FROM snf_upgrade_journal WHERE step = '6.2' AND batch LIKE 'member case%'`)).rows.map((x) => x.batch));
    const tables = () => withDb('pithos', urls.pithos, (db) => Promise.all(PITHOS_TABLES.map((t) => digest(db.pool, t))));
    const first = await journal();
    assert.equal(first.length, 1, first.join(', '));
    const before = await tables();
    withState(stateFile, (s) => s.resetStep('6.2'));
    const r = await cli(cfg, 'run', '6.2', '--accept-suggestions');
    assert.equal(r.code, 0, r.err + r.out);
    assert.deepEqual(await journal(), first, 'the same key, found done');
    assert.deepEqual(await tables(), before);
  });

  // Every starting point of the chain, from the state 6.2 left, against the oracle.
  const variants: { name: string; setup: string[]; oracle: { latestRepair?: boolean; urlExists?: boolean } }[] = [
    { name: 'at 3dd56e750a3', setup: [], oracle: {} },
    { name: 'never initialised (no alembic_version)', setup: ['DROP TABLE alembic_version'], oracle: {} },
    { name: 'after `pithos-migrate current` (empty alembic_version)', setup: ['DELETE FROM alembic_version'], oracle: {} },
    {
      name: 'at 230f8ce9c90f, latest_version pointing at the oldest version',
      setup: [`UPDATE alembic_version SET version_num = '230f8ce9c90f'`,
        'UPDATE nodes SET latest_version = (SELECT serial FROM versions WHERE versions.node = nodes.node ORDER BY mtime LIMIT 1)'],
      oracle: { latestRepair: true },
    },
    {
      name: 'with the stop-gap public.url column of the errata (NULL urls)',
      setup: ['ALTER TABLE public ADD COLUMN url varchar(2048)'], oracle: { urlExists: true },
    },
  ];

  for (const v of variants) {
    test(`6.4 ${v.name} ends exactly as upstream, and a re-run changes nothing`, async () => {
      await withDb('pithos', urls.pithos, async ({ pool: q }) => {
        // the state 6.2 left, saved once, restored for every variant
        if (!(await q.query(`SELECT 1 FROM pg_namespace WHERE nspname = 'snap'`)).rowCount) await copySchema(q, 'snap');
        await restorePithos(q, 'snap', v.setup);
        await copySchema(q, 'oracle');
        await withDb('astakos', urls.astakos, (a) => upstreamOracle(q, a.pool, 'oracle', v.oracle));
      });
      const name = `state-${v.name.replace(/\W+/g, '-')}`;
      const vcfg = freshConfig(dir, urls, name);
      withState(join(dir, `${name}.db`), (s) => s.markDone('6.2'));
      const answers = answersFile(dir, 'a64', { '6.4': { unknown: { 'orphan@gone.org': 'keep' } } });
      const planned = JSON.parse((await cli(vcfg, 'plan', '6.4', '--json', '--answers', answers)).out).findings.data.rows.groups as number;
      assert.ok(planned > 0, 'the fixture has group rows to rewrite');
      const r = await cli(vcfg, 'run', '6.4', '--answers', answers);
      assert.equal(r.code, 0, r.err + r.out);
      assert.equal(Number(/groups: (\d+) row\(s\) in/.exec(r.err)?.[1] ?? 0), planned, `the group rows rewritten are the rows planned:\n${r.err}`);
      assert.match(r.out, /✓ alembic_version is 27381099d477/);
      assert.match(r.out, /✓ every account is named by an astakos uuid/);
      if (v.oracle.latestRepair) assert.match(r.out, /3dd56e750a3: latest_version repaired on \d+ node/);
      await withDb('pithos', urls.pithos, async ({ pool: q }) => {
        await assertSameAsOracle(q, 'oracle');
        const urlsNow = await q.query<{ public_id: number; url: string }>('SELECT public_id, url FROM public ORDER BY public_id');
        assert.deepEqual(urlsNow.rows.map((x) => [x.public_id, x.url]), [
          [2, 'jdycp'], [3, 'yeq4h'], [10, 'jjt7u'], [12345, 'wns3k'], [16777174, '7cc65'], [16777216, 'tjf9f'],
        ]);
        const accounts = (await q.query<{ path: string }>('SELECT path FROM nodes WHERE parent = 0 AND node <> 0')).rows.map((x) => x.path).sort(byCodeUnits);
        assert.deepEqual(accounts, [...[1, 2, 3, 4, 5, 6, 7, 8].map(U), 'orphan@gone.org']);
        await q.query('DROP SCHEMA oracle CASCADE');
      });
      const tables = () => withDb('pithos', urls.pithos, (db) => Promise.all(PITHOS_TABLES.map((t) => digest(db.pool, t))));
      const before = await tables();
      withState(join(dir, `${name}.db`), (s) => s.resetStep('6.4'));
      const again = await cli(vcfg, 'run', '6.4', '--answers', answers);
      assert.equal(again.code, 0, again.err);
      assert.deepEqual(await tables(), before, 're-running changes nothing');
    });
  }

  test('6.2 on a database below 3dd56e750a3 repairs latest_version first, then merges the same way (also in chunks of one object)', async () => {
    await withDb('pithos', urls.pithos, (db) => restorePithos(db.pool, 'pre', [`UPDATE alembic_version SET version_num = '230f8ce9c90f'`,
      'UPDATE nodes SET latest_version = (SELECT serial FROM versions WHERE versions.node = nodes.node ORDER BY mtime LIMIT 1)']));
    const vcfg = freshConfig(dir, urls, 'state-230f');
    const answers = answersFile(dir, 'a62b', JSON.parse(readFileSync(join(dir, 'a62.json'), 'utf8')));
    // every set too big for one transaction: merges and deletes go object by object, then a final batch per account
    process.env.SNF_UPGRADE_PITHOS_CHUNK = '1';
    const r = await cli(vcfg, 'run', '6.2', '--accept-suggestions', '--answers', answers).finally(() => { delete process.env.SNF_UPGRADE_PITHOS_CHUNK; });
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /3dd56e750a3: latest_version repaired on \d+ node\(s\) before merging/);
    assert.ok(withState(join(dir, 'state-230f.db'), (s) => s.batchesFor('6.2').some((b) => / objects from \d+$/.test(b.batch))), 'went in chunks');
    await withDb('pithos', urls.pithos, async ({ pool: q }) => {
      for (const t of PITHOS_TABLES) assert.deepEqual(await tableDiff(q, t, 'public', 'snap'), [], `${t} as after the run at 3dd56e750a3`);
    });
  });

  test('6.4 refuses a database past 0.13 and says why', async () => {
    await withDb('pithos', urls.pithos, (db) => db.pool.query(`UPDATE alembic_version SET version_num = '4c8ccdc58192'`));
    // a new state file, and the databases' record of the runs above cleared to match it (it would disagree with their journals)
    for (const service of ['astakos', 'cyclades', 'pithos'] as const) {
      await withDb(service, urls[service], (db) => db.pool.query('DELETE FROM snf_upgrade_journal; DELETE FROM snf_upgrade_steps; DELETE FROM snf_upgrade_decisions').catch(() => undefined));
    }
    const vcfg = freshConfig(dir, urls, 'state-newer');
    withState(join(dir, 'state-newer.db'), (s) => s.markDone('6.2'));
    const r = await cli(vcfg, 'run', '6.4', '--accept-suggestions');
    assert.equal(r.code, 4);
    assert.match(r.err, /alembic_version is 4c8ccdc58192, which is not a revision of the 0\.13 chain/);
  });
});

// ------------------------------------------------------------------------ sandboxes

const SALT = 'rpit-test';

/** A sandbox with steps 1–3.2 behind it (2.2 by its suggestions, 3.2 simulated with fixed uuids). */
async function preparedSandbox(name: string): Promise<{ cfg: string; urls: Urls; dir: string; state: string }> {
  const dir = tempDir(`${name}-`);
  const cfgPath = join(dir, 'snf-upgrade.json');
  const r = await createSandbox({ name: testDbName(name), ...sandboxTarget(dir), scale: 'tiny', seed: 5, configPath: cfgPath });
  const state = join(dir, `${testDbName(name)}-state.db`);
  withState(state, (s) => s.markDone('1'));
  const a = answersFile(dir, 'a22', { '2.2': { confirm: true } });
  assert.equal((await cli(cfgPath, 'run', '2.1')).code, 0);
  const r22 = await cli(cfgPath, 'run', '2.2', '--accept-suggestions', '--answers', a);
  assert.equal(r22.code, 0, r22.err);
  await simulateStep('3.2', r.urls, { uuidSalt: SALT });
  withState(state, (s) => { s.markDone('3.1'); s.markDone('3.2'); });
  return { cfg: cfgPath, urls: r.urls, dir, state };
}

const ANSWERS_62 = { '6.2': { confirm: true } };

describe('a generated deployment (sandbox)', () => {
  let one: Awaited<ReturnType<typeof preparedSandbox>>;
  const digests = new Map<string, string>();

  test('6.2 finds exactly the duplicate accounts (no regex mistakes) and merges them; 6.4 equals upstream', async () => {
    one = await preparedSandbox('rpit_t_a');
    const plan = JSON.parse((await cli(one.cfg, 'plan', '6.2', '--json')).out);
    const data = plan.findings.data as PithosDuplicatesFindings;
    const keys = data.sets.map((s) => s.key);
    for (const k of ['dept(it)@example.org', 'george.t@example.gr', 'john+cloud@example.com', 'maria.k@example.gr', 'nikos.ioannou@uoa.gr', 'σωκράτης.π@example.gr']) {
      assert.ok(keys.includes(k), `${k} is a set (${keys.join(', ')})`);
    }
    const all = data.sets.flatMap((s) => s.accounts.map((a) => a.name));
    for (const n of ['k.lee@example.net', 'kxlee@example.net', 'ops[team]@example.org']) assert.ok(!all.includes(n), `${n} is in no set`);
    assert.equal(data.sets.find((s) => s.key === 'maria.k@example.gr')!.accounts.length, 3);
    assert.ok(data.sets.find((s) => s.key === 'george.t@example.gr')!.accounts.some((a) => a.name === 'George.T@example.gr' && a.astakos === 'unknown'));
    for (const n of ['deleted.user@example.org', 'Former.Staff@Example.org', 'b1946ac9-2b5e-4c47-9a4f-7d5c3e8f0a12']) assert.ok(data.unknown.includes(n), n);
    assert.ok(data.memberCase.groups.rows >= 1);

    await withDb('pithos', one.urls.pithos, async ({ pool: q }) => {
      assert.equal(await referenceStatisticsDrift(q), 0, 'the sandbox starts consistent');
      await q.query('CREATE TABLE rpit_uuids AS SELECT serial, uuid FROM versions v WHERE EXISTS (SELECT 1 FROM nodes o JOIN nodes c ON c.node = o.parent WHERE o.node = v.node AND c.parent <> 0)');
    });
    const r = await cli(one.cfg, 'run', '6.2', '--accept-suggestions', '--answers', answersFile(one.dir, 'a62', ANSWERS_62));
    assert.equal(r.code, 0, r.err + r.out);
    await withDb('pithos', one.urls.pithos, async ({ pool: q }) => {
      assert.equal(await referenceStatisticsDrift(q), 0, 'statistics still consistent after the merges');
      const lost = await q.query('SELECT r.serial FROM rpit_uuids r LEFT JOIN versions v ON v.serial = r.serial AND v.uuid = r.uuid WHERE v.serial IS NULL');
      assert.equal(lost.rowCount, 0, 'every object version keeps its serial and uuid (image ids stay valid)');
      await q.query('DROP TABLE rpit_uuids');
      await copySchema(q, 'oracle');
      await withDb('astakos', one.urls.astakos, (a) => upstreamOracle(q, a.pool, 'oracle'));
    });
    const t0 = Date.now();
    const m = await cli(one.cfg, 'run', '6.4', '--accept-suggestions');
    assert.equal(m.code, 0, m.err + m.out);
    const ms = Date.now() - t0;
    await withDb('pithos', one.urls.pithos, async ({ pool: q }) => {
      await assertSameAsOracle(q, 'oracle');
      await q.query('DROP SCHEMA oracle CASCADE');
      for (const t of [...PITHOS_TABLES, 'snf_upgrade_pithos_uuids']) digests.set(t, await digest(q, t));
    });
    assert.ok(ms < 120_000, `6.4 took ${ms} ms`);
    assert.match((await cli(one.cfg, 'run', '6.4')).out, /already done/);
  });

  test('kill -9 in the middle of 6.2 and of 6.4, then a re-run: the same tables as the uninterrupted run', async () => {
    assert.ok(digests.size, 'needs the previous test');
    const two = await preparedSandbox('rpit_t_b');
    await closeAllEmbedded();
    const a62 = answersFile(two.dir, 'a62', ANSWERS_62);
    // small batches so that there are many; killed just before the 3rd COMMIT (mid-batch) …
    const env62 = { SNF_UPGRADE_PITHOS_CHUNK: '2' };
    const k1 = await runCli(['run', '6.2', '--accept-suggestions', '--answers', a62, '--config', two.cfg], { ...env62, SNF_UPGRADE_FAULT: 'batch:before-commit#3:kill' });
    assert.equal(k1.code, null, k1.stderr);
    const r1 = await runCli(['run', '6.2', '--accept-suggestions', '--answers', a62, '--config', two.cfg], env62);
    assert.equal(r1.code, 0, r1.stderr + r1.stdout);
    // bounded batches: objects of moved containers are renamed 2 at a time; the container batch moves containers only
    withState(two.state, (s) => {
      const batches = s.batchesFor('6.2');
      const moving = batches.filter((b) => / moving objects from \d+$/.test(b.batch));
      assert.ok(moving.length >= 2, batches.map((b) => b.batch).join(', '));
      for (const b of moving) assert.ok(b.rows <= 2, `${b.batch}: ${b.rows} rows`);
      for (const b of batches.filter((x) => / containers$/.test(x.batch))) {
        assert.equal(b.rows, s.countBeforeImages('6.2', b.batch), `${b.batch}: only its containers`);
      }
    });
    // … and just after the 3rd COMMIT of 6.4
    const env64 = { SNF_UPGRADE_PITHOS_BATCH: '150' };
    const k2 = await runCli(['run', '6.4', '--accept-suggestions', '--config', two.cfg], { ...env64, SNF_UPGRADE_FAULT: 'batch:after-commit#3:kill' });
    assert.equal(k2.code, null, k2.stderr);
    const status = await runCli(['status', '--config', two.cfg]);
    assert.equal(status.code, 0, status.stderr);
    const r2 = await runCli(['run', '6.4', '--accept-suggestions', '--config', two.cfg], env64);
    assert.equal(r2.code, 0, r2.stderr + r2.stdout);
    assert.match(r2.stdout, /✓ no row still names an account by a name astakos resolves/);
    await withDb('pithos', two.urls.pithos, async ({ pool: q }) => {
      for (const [t, d] of digests) assert.equal(await digest(q, t), d, `${t} equals the uninterrupted run's`);
    });
  });
  test('6.4 killed inside its statistics recompute (node ranges), resumed in a new run after astakos learned a name: ends as upstream, old spellings kept in the mapping', async () => {
    const three = await preparedSandbox('rpit_t_c');
    const r62 = await cli(three.cfg, 'run', '6.2', '--accept-suggestions', '--answers', answersFile(three.dir, 'a62', ANSWERS_62));
    assert.equal(r62.code, 0, r62.err);
    const LATE = 'deleted.user@example.org';
    const LATE_UUID = 'c0ffee00-0000-4000-8000-000000000abc';
    await withDb('pithos', three.urls.pithos, async ({ pool: q }) => {
      assert.equal((await q.query('SELECT 1 FROM nodes WHERE parent = 0 AND path = $1', [LATE])).rowCount, 1, 'an account astakos does not know (yet)');
      // statistics that no longer add up, so that 6.4 recomputes them
      await q.query('UPDATE statistics SET size = size + 7 WHERE node IN (SELECT node FROM nodes WHERE parent = 0 AND node <> 0)');
      await copySchema(q, 'pre64');
      await copySchema(q, 'oracle');
    });
    const W = 40;
    const plan = JSON.parse((await cli(three.cfg, 'plan', '6.4', '--json')).out).findings.data as PithosMigrateFindings;
    assert.ok(!plan.revision.latestRepair);
    const ranges = (max: number) => Math.max(1, Math.ceil((max + 1) / W));
    // uuid map, the five ranged rewrites, groups, the end of the rewrite, 2a309a9a3438, the ideal statistics, then the first statistics range
    const firstStatsRange = 1 + ranges(plan.maxNode) + ranges(plan.maxSerial) + ranges(plan.maxPublicId) + 2 * ranges(plan.maxFeatureId) + 4 + 1;
    assert.ok(ranges(plan.maxNode) > 2, 'several statistics ranges');
    await closeAllEmbedded();
    const env = { SNF_UPGRADE_PITHOS_BATCH: String(W) };
    const killed = await runCli(['run', '6.4', '--accept-suggestions', '--config', three.cfg], { ...env, SNF_UPGRADE_FAULT: `batch:after-commit#${firstStatsRange}:kill` });
    assert.equal(killed.code, null, killed.stderr);
    const journal = () => withDb('pithos', three.urls.pithos, async (db) => (await db.pool.query<{ batch: string }>(
      `SELECT batch FROM snf_upgrade_journal WHERE step = '6.4' AND batch LIKE 'statistics%' ORDER BY batch`)).rows.map((x) => x.batch));
    assert.deepEqual(await journal(), [`statistics 0-${W}`, 'statistics ideal']);

    // astakos learns the kept account's name before the resume: a second mapping round
    await withDb('astakos', three.urls.astakos, async ({ pool }) => {
      const c = await pool.connect();
      try {
        await c.query('CREATE TEMP TABLE u AS SELECT * FROM auth_user WHERE id = (SELECT min(id) FROM auth_user)');
        await c.query(`UPDATE u SET id = (SELECT max(id) + 1 FROM auth_user), username = $1, email = $1`, [LATE]);
        await c.query('INSERT INTO auth_user SELECT * FROM u');
        await c.query('CREATE TEMP TABLE a AS SELECT * FROM im_astakosuser WHERE user_ptr_id = (SELECT min(id) FROM auth_user)');
        await c.query('UPDATE a SET user_ptr_id = (SELECT id FROM u), uuid = $1, auth_token = NULL', [LATE_UUID]);
        await c.query('INSERT INTO im_astakosuser SELECT * FROM a');
      } finally {
        c.release();
      }
    });
    await closeAllEmbedded();
    const resumed = await runCli(['run', '6.4', '--accept-suggestions', '--config', three.cfg], env);
    assert.equal(resumed.code, 0, resumed.stderr + resumed.stdout);
    assert.doesNotMatch(resumed.stdout, /✗/);
    assert.match(resumed.stdout, /✓ every account is named by an astakos uuid/);
    assert.match(resumed.stdout, /✓ statistics match the files/);
    assert.match(resumed.stdout, /✓ no row still names an account by a name astakos resolves/);
    const statsBatches = await journal();
    assert.equal(statsBatches.filter((b) => /^statistics \d+-\d+$/.test(b)).length, ranges(plan.maxNode), statsBatches.join(', '));
    assert.ok(statsBatches.includes('statistics ideal dropped'));

    await withDb('pithos', three.urls.pithos, async ({ pool: q }) => {
      await withDb('astakos', three.urls.astakos, (a) => upstreamOracle(q, a.pool, 'oracle'));
      for (const t of PITHOS_TABLES.filter((x) => x !== 'statistics')) {
        assert.deepEqual(await tableDiff(q, t, 'public', 'oracle'), [], `${t} differs from upstream's result`);
      }
      assert.equal(await referenceStatisticsDrift(q), 0, 'statistics recomputed from versions');
      assert.equal((await q.query(`SELECT 1 FROM information_schema.tables WHERE table_name = 'snf_upgrade_pithos_ideal'`)).rowCount, 0);
      // every name pithos held before 6.4 that astakos resolves, with its uuid: both rounds' pairs
      const users = await withDb('astakos', three.urls.astakos, async (a) => (await a.pool.query<{ username: string; uuid: string }>(
        'SELECT u.username, a.uuid FROM auth_user u JOIN im_astakosuser a ON a.user_ptr_id = u.id')).rows);
      const byUsername = new Map(users.map((u) => [u.username, u.uuid]));
      const names = await q.query<{ name: string }>(`
        SELECT split_part(path, '/', 1) AS name FROM pre64.nodes WHERE node <> 0 UNION SELECT split_part(path, '/', 1) FROM pre64.public
        UNION SELECT split_part(path, '/', 1) FROM pre64.xfeatures UNION SELECT muser FROM pre64.versions
        UNION SELECT split_part(value, ':', 1) FROM pre64.xfeaturevals WHERE value <> '*' UNION SELECT owner FROM pre64.groups UNION SELECT member FROM pre64.groups`);
      const expected = names.rows.flatMap(({ name }) => {
        const uuid = name ? byUsername.get(pyLower(name)) : undefined;
        return uuid && uuid !== name ? [`${name} → ${uuid}`] : [];
      }).sort(byCodeUnits);
      const map = (await q.query<{ identifier: string; uuid: string }>('SELECT identifier, uuid FROM snf_upgrade_pithos_uuids'))
        .rows.map((r) => `${r.identifier} → ${r.uuid}`).sort(byCodeUnits);
      assert.ok(expected.includes(`${LATE} → ${LATE_UUID}`));
      assert.deepEqual(map, expected);
      await q.query('DROP SCHEMA oracle CASCADE; DROP SCHEMA pre64 CASCADE');
    });
  });
});
