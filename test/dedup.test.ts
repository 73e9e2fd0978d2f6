// Steps 2.1 / 2.2 (src/core/dedup): finding case-duplicate astakos users, what they own in
// cyclades and pithos, deleting the non-survivors with Django 0.12.5's cascade in exactly-once
// batches, undoing that byte for byte, and resuming after a crash.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HeadlessAsker, type Answers } from '../src/cli/asker.js';
import { main } from '../src/cli/main.js';
import { UserError } from '../src/errors.js';
import type { Config } from '../src/config.js';
import { astakosCollisions, batchesOf, CYCLADES_IDENTIFIERS, identifierCollisions, PITHOS_ACCOUNTS, pyLower, USERS_PER_BATCH, type DedupFindings } from '../src/core/dedup/index.js';
import { buildReport, reportMarkdown } from '../src/engine/report.js';
import { DEDUP_STEP, mergeTargets } from './helpers/dedup.js';
import { closeAllEmbedded, openDb, SERVICES, type Db, type Service } from '../src/db/connection.js';
import { Engine } from '../src/engine/index.js';
import { createSandbox, loadSchema } from '../src/sandbox/index.js';
import { StateFile } from '../src/state/index.js';
import { cleanupAll, emptyDatabases, runCli, sandboxTarget, tempDir, testDbName, usingServer, withDb, writeConfig } from './support.js';

after(cleanupAll);

type Urls = Record<Service, string>;

// ------------------------------------------------------------------------ fixture

const T0 = '2011-01-01 00:00:00+00';
/** id, email, active, verified, joined, last login, provider, third-party id */
type U = [number, string, boolean, boolean, string, string, string, string | null];
const USERS: U[] = [
  [1, 'alice@example.org', true, true, '2011-01-10 09:00:00.123456+00', '2013-01-05 10:00:00.654321+00', 'local', null],
  [2, 'Alice@Example.org', false, false, '2012-02-01 08:00:00.000001+00', '2012-02-01 08:00:00.000001+00', 'local', null],
  [3, 'bob@x.gr', true, true, '2011-03-01 00:00:00+00', '2012-06-01 00:00:00+00', 'local', null],
  [4, 'BOB@x.gr', true, true, '2011-04-01 00:00:00+00', '2012-12-01 00:00:00+00', 'shibboleth', 'bob-eppn@idp'],
  [5, 'Bob@X.GR', false, false, '2012-05-01 00:00:00+00', '2012-05-01 00:00:00+00', 'local', null],
  [6, 'a.b+tag(1)[x]@ex.org', true, true, '2011-05-01 00:00:00+00', '2012-01-01 00:00:00+00', 'local', null],
  [7, 'A.B+TAG(1)[X]@ex.org', true, true, '2011-06-01 00:00:00+00', '2012-03-01 00:00:00+00', 'local', null],
  [8, 'aXb+tag(1)[x]@ex.org', true, true, '2011-06-02 00:00:00+00', '2012-03-01 00:00:00+00', 'local', null],
  [9, 'ÉLODIE@exemple.fr', true, true, '2011-07-01 00:00:00+00', '2012-03-01 00:00:00+00', 'local', null],
  [10, 'élodie@exemple.fr', true, false, '2011-07-02 00:00:00+00', '2012-09-01 00:00:00+00', 'local', null],
  [11, 'straße@x.de', true, true, '2011-08-01 00:00:00+00', '2012-03-01 00:00:00+00', 'local', null],
  [12, 'STRASSE@x.de', true, true, '2011-08-02 00:00:00+00', '2012-03-01 00:00:00+00', 'local', null],
  [13, 'İnci@x.tr', true, true, '2011-09-01 00:00:00+00', '2012-03-01 00:00:00+00', 'local', null],
  [14, 'inci@x.tr', true, true, '2011-09-02 00:00:00+00', '2012-03-01 00:00:00+00', 'local', null],
  [15, 'ıvan@x.tr', true, true, '2011-10-02 00:00:00+00', '2012-03-01 00:00:00+00', 'local', null],
  [16, 'Ivan@x.tr', true, true, '2011-10-01 00:00:00+00', '2012-03-01 00:00:00+00', 'local', null],
  [17, 'carol@x.org', true, true, '2011-11-01 00:00:00+00', '2012-03-01 00:00:00+00', 'local', null],
  [18, 'CAROL@x.org', true, true, '2011-11-02 00:00:00+00', '2012-11-11 11:11:11.111111+00', 'local', null],
  [19, 'dave@x.org', true, true, '2011-12-01 00:00:00+00', '2012-03-01 00:00:00+00', 'local', null],
  [20, 'dave@x.org', false, false, '2011-12-02 00:00:00+00', '2011-12-02 00:00:00+00', 'local', null],
  [21, 'zed@x.org', true, true, T0, T0, 'local', null],
  [22, 'quinn@x.org', true, true, T0, T0, 'local', null],
  [23, 'root@x.org', true, true, T0, T0, '', null],
];
/** Answers for the fixture: keep the inactive Alice (#2) and the older Carol (#17); suggestions for the rest. */
const ANSWERS = { 'alice@example.org': 2, 'CAROL@x.org': 17 };

const username = (id: number): string => (id === 23 ? 'admin' : createHash('md5').update(`u${id}`).digest('hex').slice(0, 30));

async function seedAstakos(db: Db, bulk: number): Promise<void> {
  const q = db.pool;
  for (const [id, email, active, verified, joined, login, provider, tpi] of USERS) {
    await q.query(`INSERT INTO auth_user (id, username, first_name, last_name, email, password, is_staff, is_active, is_superuser, last_login, date_joined)
      VALUES ($1, $2, 'First', 'Last', $3, 'sha1$ab$cd', $4, $5, $4, $6, $7)`, [id, username(id), email, id === 23, active, login, joined]);
    await q.query(`INSERT INTO im_astakosuser (user_ptr_id, affiliation, provider, level, invitations, auth_token, auth_token_created,
        auth_token_expires, updated, is_verified, third_party_identifier, email_verified, has_credits, has_signed_terms, date_signed_terms, activation_sent)
      VALUES ($1, 'GRNET', $2, 4, $3, $4, $5, NULL, $5, $6, $7, $8, false, $9, NULL, $10)`,
    [id, provider, id % 3, `tok${id}`, joined, verified, tpi, verified, id % 2 === 0, active ? null : '1970-01-01 00:00:00+00']);
  }
  if (bulk > 0) {
    // user<g>@bulk.org (newer login: suggested) and User<g>@bulk.org (its twin, deleted).
    for (const [base, prefix, login] of [[1000, 'user', '2012-06-01 00:00:00.000001+00'], [100000, 'User', '2012-01-01 00:00:00+00']] as const) {
      await q.query(`INSERT INTO auth_user (id, username, first_name, last_name, email, password, is_staff, is_active, is_superuser, last_login, date_joined)
        SELECT ${base} + g, substr(md5('${prefix}' || g), 1, 30), 'Bulk', 'User', '${prefix}' || g || '@bulk.org', '!', false, true, false,
               timestamptz '${login}' + g * interval '1 second', timestamptz '2011-01-01 00:00:00.5+00' + g * interval '1 minute'
          FROM generate_series(1, $1::int) g`, [bulk]);
      await q.query(`INSERT INTO im_astakosuser (user_ptr_id, affiliation, provider, level, invitations, updated, is_verified, email_verified,
          has_credits, has_signed_terms)
        SELECT ${base} + g, '', 'local', 4, 0, timestamptz '2012-01-01 00:00:00+00', true, true, false, false FROM generate_series(1, $1::int) g`, [bulk]);
    }
    await q.query(`INSERT INTO im_additionalmail (id, owner_id, email) SELECT 1000 + g, 100000 + g, 'alt' || g || '@bulk.org' FROM generate_series(1, $1::int) g WHERE g % 3 = 0`, [bulk]);
  }
  await q.query(`INSERT INTO django_content_type (id, name, app_label, model) VALUES (1, 'user', 'auth', 'user')`);
  await q.query(`INSERT INTO auth_permission (id, name, content_type_id, codename) VALUES (1, 'Can add user', 1, 'add_user')`);
  await q.query(`INSERT INTO auth_group (id, name) VALUES (1, 'helpdesk')`);
  await q.query(`INSERT INTO auth_user_groups (id, user_id, group_id) VALUES (1, 18, 1), (2, 17, 1), (3, 5, 1)`);
  await q.query(`INSERT INTO auth_user_user_permissions (id, user_id, permission_id) VALUES (1, 18, 1)`);
  await q.query(`INSERT INTO auth_message (id, user_id, message) VALUES (1, 18, 'Welcome, «CAROL»'), (2, 1, E'multi\\nline'), (3, 17, 'hi')`);
  await q.query(`INSERT INTO django_admin_log (id, action_time, user_id, content_type_id, object_id, object_repr, action_flag, change_message)
    VALUES (1, '2012-07-01 10:00:00.000007+00', 18, 1, '17', 'carol', 2, 'Changed is_active.'), (2, '2012-07-02 00:00:00+00', 23, NULL, NULL, 'x', 1, '')`);
  await q.query(`INSERT INTO im_invitation (id, inviter_id, realname, username, code, is_consumed, created, consumed) VALUES
    (1, 18, 'Friend One', 'friend1@x.org', 9007199254740993, true, '2012-01-01 00:00:00.000001+00', '2012-01-02 00:00:00+00'),
    (2, 18, 'Friend Two', 'friend2@x.org', 2, false, '2012-01-03 00:00:00+00', NULL),
    (3, 18, 'Friend Three', 'friend3@x.org', 3, false, '2012-01-04 00:00:00+00', NULL),
    (4, 1, 'Sent by alice', 'eve@x.org', 4, true, '2012-01-05 00:00:00+00', '2012-01-06 00:00:00+00'),
    (5, 23, 'Invited alice', 'alice@example.org', 5, true, '2012-01-07 00:00:00+00', '2012-01-08 00:00:00+00'),
    (6, NULL, 'Nobody''s', 'orphan@x.org', 6, false, '2012-01-09 00:00:00+00', NULL)`);
  await q.query(`INSERT INTO im_additionalmail (id, owner_id, email) VALUES (1, 18, 'carol.alt@x.org'), (2, 18, 'c@x.org'), (3, 4, 'bob.alt@x.gr')`);
  await q.query(`INSERT INTO im_emailchange (id, new_email_address, user_id, requested_at, activation_key) VALUES
    (1, 'carol.new@x.org', 18, '2012-08-01 00:00:00.123456+00', 'k1'), (2, 'Bob@new.gr', 5, '2012-08-02 00:00:00+00', 'k2')`);
  for (const [table, col] of [['auth_user', 'id'], ['im_invitation', 'id'], ['im_additionalmail', 'id'], ['im_emailchange', 'id'],
    ['auth_message', 'id'], ['django_admin_log', 'id'], ['auth_user_groups', 'id'], ['auth_user_user_permissions', 'id']]) {
    await q.query(`SELECT setval(pg_get_serial_sequence('${table}', '${col}'), (SELECT max(${col}) FROM ${table}))`);
  }
}

async function seedCyclades(db: Db, bulk: number): Promise<void> {
  const q = db.pool;
  await q.query(`INSERT INTO db_flavor (id, cpu, ram, disk, deleted, disk_template) VALUES (1, 1, 1024, 20, false, 'drbd')`);
  const vms: [string, boolean][] = [
    ['alice@example.org', false], ['alice@example.org', false], ['alice@example.org', true], ['Alice@Example.org', false],
    ['BOB@x.gr', true], ['a.b+tag(1)[x]@ex.org', false], ['élodie@exemple.fr', false], ['İnci@x.tr', false],
    ['zed@x.org', false], ['Zed@x.org', false], ['ÖZIL@x.de', false],
  ];
  if (bulk >= 5) vms.push(['User5@bulk.org', false]);
  for (const [i, [user, deleted]] of vms.entries()) {
    await q.query(`INSERT INTO db_virtualmachine (id, name, created, updated, hostid, flavor_id, deleted, suspended, operstate, buildpercentage, imageid, userid, backendtime)
      VALUES ($1, $2, '2012-01-01+00', '2012-01-01+00', '', 1, $3, false, $4, 100, 'img', $5, '2012-01-01+00')`, [i + 1, `vm${i + 1}`, deleted, deleted ? 'DESTROYED' : 'STARTED', user]);
  }
  const nets: [string | null, boolean][] = [['alice@example.org', false], ['Alice@Example.org', true], [null, false], ['', false], ['İnci@x.tr', false]];
  for (const [i, [user, deleted]] of nets.entries()) {
    await q.query(`INSERT INTO db_network (id, name, created, updated, state, public, userid, subnet, deleted, mac_prefix, dhcp, type)
      VALUES ($1, $2, '2012-01-01+00', '2012-01-01+00', 'ACTIVE', $3, $4, '10.0.0.0/24', $5, 'aa:00:0', true, 'PRIVATE_MAC_FILTERED')`,
    [i + 1, `net${i + 1}`, user === null, user, deleted]);
  }
  const keys = ['Alice@Example.org', 'Alice@Example.org', 'CAROL@x.org', '12', 'özil@x.de'];
  for (const [i, user] of keys.entries()) {
    await q.query(`INSERT INTO userdata_publickeypair (id, "user", name, content, fingerprint) VALUES ($1, $2, $3, 'ssh-rsa AAAA', 'fp')`, [i + 1, user, `key${i + 1}`]);
  }
}

async function seedPithos(db: Db): Promise<void> {
  const q = db.pool;
  let node = 0;
  let serial = 0;
  const nodes: [number, number, number, string][] = [];
  const versions: [number, number, number, number][] = []; // serial, node, size, cluster
  const mk = (parent: number, path: string, sizes: [number, number][]): number => {
    const n = ++node;
    for (const [size, cluster] of sizes) versions.push([++serial, n, size, cluster]);
    nodes.push([n, parent, serial, path]);
    return n;
  };
  const account = (name: string) => mk(0, name, [[0, 0]]);
  const container = (acc: number, accName: string, name: string) => mk(acc, `${accName}/${name}`, [[0, 0]]);

  const alice = account('alice@example.org');
  const ap = container(alice, 'alice@example.org', 'pithos');
  const at = container(alice, 'alice@example.org', 'trash');
  mk(ap, 'alice@example.org/pithos/o1', [[90, 1], [100, 0]]);
  mk(ap, 'alice@example.org/pithos/o2', [[70, 1], [0, 2]]);
  mk(ap, 'alice@example.org/pithos/dir/a.txt', [[5, 0]]);
  mk(at, 'alice@example.org/trash/o3', [[50, 0]]);
  const Alice = account('Alice@Example.org');
  const Ap = container(Alice, 'Alice@Example.org', 'pithos');
  mk(Ap, 'Alice@Example.org/pithos/p1', [[1000, 0]]);
  mk(Ap, 'Alice@Example.org/pithos/p2', [[2 ** 40, 0]]);
  const elodie = account('ÉLODIE@exemple.fr');
  mk(container(elodie, 'ÉLODIE@exemple.fr', 'pithos'), 'ÉLODIE@exemple.fr/pithos/e1', [[7, 0]]);
  const ab = account('A.B+TAG(1)[X]@ex.org');
  container(ab, 'A.B+TAG(1)[X]@ex.org', 'pithos');
  account('Quinn@x.org');
  const quinn = account('quinn@x.org');
  container(quinn, 'quinn@x.org', 'pithos');
  account('zed@x.org');

  for (const [n, parent, latest, path] of nodes) {
    await q.query('INSERT INTO nodes (node, parent, latest_version, path) VALUES ($1, $2, $3, $4)', [n, parent, latest, path]);
  }
  for (const [s, n, size, cluster] of versions) {
    await q.query(`INSERT INTO versions (serial, node, hash, size, type, source, mtime, muser, uuid, checksum, cluster)
      VALUES ($1, $2, NULL, $3, '', NULL, 1357000000.123456, 'x', $4, '', $5)`, [s, n, size, `uuid-${s}`, cluster]);
  }
  await q.query(`INSERT INTO groups (owner, name, member) VALUES ('alice@example.org', 'friends', 'bob@x.gr'),
    ('alice@example.org', 'friends', 'Carol@x.org'), ('alice@example.org', 'work', 'bob@x.gr'), ('Alice@Example.org', 'team', 'x@y.org')`);
  await q.query(`INSERT INTO xfeatures (feature_id, path) VALUES (1, 'alice@example.org/pithos/o1'), (2, 'Alice@Example.org/pithos/p1'),
    (3, 'alice@example.org/pithos/dir/a.txt')`);
  await q.query(`INSERT INTO xfeaturevals (feature_id, key, value) VALUES (1, 0, 'bob@x.gr'), (1, 1, 'alice@example.org:friends'),
    (1, 0, 'alice@example.org'), (2, 0, '*'), (3, 1, 'carol@x.org')`);
}

/** Fresh 0.12.5 databases NAME_* with the fixture (BULK extra pairs of duplicates). */
async function fixture(name: string, bulk = 0): Promise<Urls> {
  const urls = await emptyDatabases(name);
  for (const s of SERVICES) {
    const db = await openDb(s, urls[s]);
    try {
      await loadSchema(db.pool, s, '0.12.5');
      if (s === 'astakos') await seedAstakos(db, bulk);
      else if (s === 'cyclades') await seedCyclades(db, bulk);
      else await seedPithos(db);
    } finally {
      await db.close();
    }
  }
  return urls;
}

/**
 * Every table (but the tool's journal and lock tables) of a database as exact text, rows sorted, plus the
 * sequences' positions: two dumps are equal only if the data is byte-identical.
 */
async function dump(url: string, service: Service): Promise<string> {
  return withDb(service, url, async (db) => {
    const c = await db.pool.connect();
    try {
      await c.query(`SET datestyle = 'ISO, YMD'`);
      await c.query(`SET timezone = 'UTC'`);
      const tables = await c.query<{ t: string }>(`SELECT table_name AS t FROM information_schema.tables
        WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
          AND table_name NOT LIKE 'snf\_upgrade\_%' ORDER BY 1`);
      const out: Record<string, unknown> = {};
      for (const { t } of tables.rows) {
        const cols = await c.query<{ c: string }>(`SELECT column_name AS c FROM information_schema.columns
          WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`, [t]);
        const list = cols.rows.map((r) => `"${r.c}"::text`);
        const rows = await c.query({ text: `SELECT ${list.join(', ')} FROM "${t}" ORDER BY ${list.map((_, i) => i + 1).join(', ')}`, rowMode: 'array' });
        out[t] = rows.rows;
      }
      const seqs = await c.query(`SELECT sequencename, last_value::text FROM pg_sequences WHERE schemaname = current_schema() ORDER BY 1`);
      // (pg_sequences: PostgreSQL 10+, fine for tests)
      out['(sequences)'] = seqs.rows;
      return JSON.stringify(out);
    } finally {
      c.release();
    }
  });
}

async function dumpAll(urls: Urls): Promise<Record<Service, string>> {
  return { astakos: await dump(urls.astakos, 'astakos'), cyclades: await dump(urls.cyclades, 'cyclades'), pithos: await dump(urls.pithos, 'pithos') };
}

function configFor(urls: Urls, dir: string): Config {
  return {
    astakos: { db: urls.astakos }, cyclades: { db: urls.cyclades }, pithos: { db: urls.pithos },
    state: join(dir, 'upgrade.db'), backups: join(dir, 'backups'),
  };
}

function engineFor(config: Config, answers: Answers, accept = true): Engine {
  const state = StateFile.open(config.state);
  if (state.getStep('1').status !== 'done') state.markDone('1', ['test: services down, backed up']);
  return new Engine(config, state, new HeadlessAsker(answers, true, accept), 'test');
}

async function closeEngine(e: Engine): Promise<void> {
  await e.close();
  e.state.close();
}

async function journalBatches(url: string): Promise<string[]> {
  return withDb('astakos', url, async (db) => {
    const r = await db.pool.query<{ batch: string }>(`SELECT batch FROM snf_upgrade_journal WHERE step = '2.2' ORDER BY batch`);
    return r.rows.map((x) => x.batch);
  });
}

/** Whether the database's upper() folds dotless ı to I (locale dependent: yes under a Unicode ctype, no under C). */
async function upperJoinsIvan(url: string): Promise<boolean> {
  return withDb('astakos', url, async (db) =>
    (await db.pool.query<{ same: boolean }>(`SELECT upper('ıvan@x.tr') = upper('Ivan@x.tr') AS same`)).rows[0]!.same);
}

const ids = (g: { users: { id: number }[] }) => g.users.map((u) => u.id);

// ------------------------------------------------------------------------ tests

describe('dedup: Python lower()', () => {
  test('folds like Python 2 unicode.lower(), not like JavaScript toLowerCase()', () => {
    assert.equal(pyLower('Alice@Example.ORG'), 'alice@example.org');
    assert.equal(pyLower('İnci@x.tr'), 'inci@x.tr'); // JS: 'i̇nci@x.tr'
    assert.equal(pyLower('ΟΔΥΣΣΕΥΣ@x.gr'), 'οδυσσευσ@x.gr'); // no final sigma in Python 2
    assert.equal(pyLower('ÉLODIE'), 'élodie');
    assert.equal(pyLower('STRASSE'), 'strasse');
    assert.equal(pyLower('ıvan'), 'ıvan');
    assert.equal(pyLower('\u212Aelvin'), 'kelvin'); // Kelvin sign folds to ASCII k
  });
});

describe('dedup: step 2.1 findings', () => {
  let urls: Urls;
  let data: DedupFindings;
  let summary: string[];

  test('finds every group, with exact emails, pairs and a 3-way group, regex metacharacters and non-ASCII', async () => {
    urls = await fixture('dedup_t_find', 5);
    const dir = tempDir('dedup-find-');
    const engine = engineFor(configFor(urls, dir), {});
    try {
      const view = await engine.plan('2.1');
      data = view.findings.data as DedupFindings;
      summary = view.findings.summary;
    } finally {
      await closeEngine(engine);
    }
    const ivan = await upperJoinsIvan(urls.astakos);
    const expected: [string, number[]][] = [
      ['a.b+tag(1)[x]@ex.org', [6, 7]],
      ['alice@example.org', [1, 2]],
      ['bob@x.gr', [3, 4, 5]],
      ['carol@x.org', [17, 18]],
      ['dave@x.org', [19, 20]],
      ['inci@x.tr', [13, 14]],
      ...(ivan ? [['ivan@x.tr', [15, 16]] as [string, number[]]] : []),
      ...[1, 2, 3, 4, 5].map((g) => [`user${g}@bulk.org`, [1000 + g, 100000 + g]] as [string, number[]]),
      ['élodie@exemple.fr', [9, 10]],
    ];
    assert.deepEqual(data.groups.map((g) => [g.key, ids(g)]), expected);
    // emails exactly as stored
    const byId = new Map(data.groups.flatMap((g) => g.users).map((u) => [u.id, u]));
    for (const [id, email] of USERS) if (byId.has(id)) assert.equal(byId.get(id)!.email, email);
    assert.ok(!byId.has(8), 'aXb… is not a duplicate of a.b… (the upstream regex detector says it is)');
    assert.ok(!byId.has(11) && !byId.has(12), 'straße and STRASSE differ under Python lower()');
    if (ivan) assert.ok(summary.some((l) => /only under PostgreSQL upper\(\)/.test(l) && l.includes('ivan@x.tr')));
    assert.ok(summary.some((l) => /non-ASCII/.test(l)));
  });

  test('per-user astakos columns', () => {
    const u18 = data.groups.find((g) => g.key === 'carol@x.org')!.users.find((u) => u.id === 18)!;
    assert.deepEqual(
      { ...u18, cyclades: undefined, pithos: undefined },
      {
        id: 18, email: 'CAROL@x.org', username: username(18), is_active: true, email_verified: true,
        date_joined: '2011-11-02T00:00:00.000Z', last_login: '2012-11-11T11:11:11.111Z', providers: ['local'],
        invitations: 3, additional_mails: 2, cyclades: undefined, pithos: undefined,
      });
    const u4 = data.groups.find((g) => g.key === 'bob@x.gr')!.users.find((u) => u.id === 4)!;
    assert.deepEqual(u4.providers, ['shibboleth']);
    assert.equal(u4.additional_mails, 1);
    const alice = data.groups.find((g) => g.key === 'alice@example.org')!;
    assert.equal(alice.users.find((u) => u.id === 1)!.invitations, 1);
    assert.equal(alice.users.find((u) => u.id === 2)!.is_active, false);
  });

  test('cross-service columns equal counts computed independently', async () => {
    const vms = await withDb('cyclades', urls.cyclades, async (db) => (await db.pool.query<{ userid: string; deleted: boolean }>('SELECT userid, deleted FROM db_virtualmachine')).rows);
    const nets = await withDb('cyclades', urls.cyclades, async (db) => (await db.pool.query<{ userid: string | null }>('SELECT userid FROM db_network')).rows);
    const keys = await withDb('cyclades', urls.cyclades, async (db) => (await db.pool.query<{ user: string }>('SELECT "user" FROM userdata_publickeypair')).rows);
    const pithos = await withDb('pithos', urls.pithos, async (db) => ({
      nodes: (await db.pool.query<{ node: number; parent: number; latest_version: number; path: string }>('SELECT * FROM nodes')).rows,
      versions: (await db.pool.query<{ serial: number; size: string; cluster: number }>('SELECT serial, size, cluster FROM versions')).rows,
      groups: (await db.pool.query<{ owner: string; name: string }>('SELECT owner, name FROM groups')).rows,
      feats: (await db.pool.query<{ path: string; value: string }>('SELECT x.path, v.value FROM xfeatures x JOIN xfeaturevals v USING (feature_id)')).rows,
    }));
    const versions = new Map(pithos.versions.map((v) => [v.serial, v]));
    let checked = 0;
    for (const u of data.groups.flatMap((g) => g.users)) {
      const e = u.email;
      assert.deepEqual(u.cyclades, {
        vms_live: vms.filter((v) => v.userid === e && !v.deleted).length,
        vms_deleted: vms.filter((v) => v.userid === e && v.deleted).length,
        networks: nets.filter((n) => n.userid === e).length,
        keys: keys.filter((k) => k.user === e).length,
      }, `cyclades of #${u.id} ${e}`);
      const acc = pithos.nodes.find((n) => n.parent === 0 && n.node !== 0 && n.path === e);
      const containers = acc ? pithos.nodes.filter((n) => n.parent === acc.node && n.node !== acc.node) : [];
      const objects = pithos.nodes.filter((n) => containers.some((c) => c.node === n.parent))
        .map((n) => versions.get(n.latest_version)!).filter((v) => v.cluster === 0);
      assert.deepEqual(u.pithos, {
        containers: containers.length,
        objects: objects.length,
        bytes: objects.reduce((s, v) => s + BigInt(v.size), 0n).toString(),
        groups: new Set(pithos.groups.filter((g) => g.owner === e).map((g) => g.name)).size,
        permissions: pithos.feats.filter((f) => f.path.split('/')[0] === e && f.value !== e).length,
      }, `pithos of #${u.id} ${e}`);
      checked++;
    }
    assert.ok(checked >= 20);
    // and the fixture really exercises them
    const alice = data.groups.find((g) => g.key === 'alice@example.org')!.users;
    assert.deepEqual(alice[0]!.cyclades, { vms_live: 2, vms_deleted: 1, networks: 1, keys: 0 });
    assert.deepEqual(alice[0]!.pithos, { containers: 2, objects: 3, bytes: '155', groups: 2, permissions: 3 });
    assert.deepEqual(alice[1]!.pithos, { containers: 1, objects: 2, bytes: String(2 ** 40 + 1000), groups: 1, permissions: 1 });
    assert.deepEqual(alice[1]!.cyclades, { vms_live: 1, vms_deleted: 0, networks: 1, keys: 2 });
  });

  test('service-only collisions (no astakos twin) are reported for 6.1 / 6.2', () => {
    assert.deepEqual(data.serviceOnly.cyclades, [['Zed@x.org', 'zed@x.org'], ['ÖZIL@x.de', 'özil@x.de']]);
    assert.deepEqual(data.serviceOnly.pithos, [['Quinn@x.org', 'quinn@x.org']]);
  });

  test('suggestions, with reasons', () => {
    const s = new Map(data.groups.map((g) => [g.key, g]));
    assert.equal(s.get('alice@example.org')!.suggested, 1); // the only active + verified
    assert.match(s.get('alice@example.org')!.reasons[0]!, /only active, email-verified/);
    assert.equal(s.get('bob@x.gr')!.suggested, 4); // most recent login among active + verified
    assert.match(s.get('bob@x.gr')!.reasons.join(' '), /most recent login/);
    assert.equal(s.get('élodie@exemple.fr')!.suggested, 9);
    assert.equal(s.get('inci@x.tr')!.suggested, 13); // same login: owns a VM and a network
    assert.match(s.get('inci@x.tr')!.reasons.join(' '), /owns the most/);
    assert.equal(s.get('carol@x.org')!.suggested, 18);
    assert.equal(s.get('dave@x.org')!.suggested, 19);
    if (s.has('ivan@x.tr')) {
      assert.equal(s.get('ivan@x.tr')!.suggested, 16); // a tie: the oldest account
      assert.match(s.get('ivan@x.tr')!.reasons.join(' '), /oldest account/);
    }
    for (const g of data.groups) assert.ok(g.reasons.length > 0 && ids(g).includes(g.suggested));
  });

  test('plan 2.1 --json has the conflict table\'s exact shape', async () => {
    const dir = tempDir('dedup-cli-');
    const cfg = writeConfig(dir, urls);
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['plan', '2.1', '--json', '--config', cfg], { out: (s) => out.push(s), err: (s) => err.push(s), isTTY: false });
    assert.equal(code, 0, err.join('\n'));
    const json = JSON.parse(out.join('\n'));
    assert.equal(json.step, '2.1');
    assert.deepEqual(Object.keys(json.serviceOnly).sort(), ['cyclades', 'pithos']);
    assert.deepEqual(json.groups, data.groups);
    for (const g of json.groups) {
      assert.deepEqual(Object.keys(g).sort(), ['key', 'reasons', 'suggested', 'users']);
      for (const u of g.users) {
        assert.deepEqual(Object.keys(u).sort(), ['additional_mails', 'cyclades', 'date_joined', 'email', 'email_verified', 'id', 'invitations',
          'is_active', 'last_login', 'pithos', 'providers', 'username']);
        assert.deepEqual(Object.keys(u.cyclades).sort(), ['keys', 'networks', 'vms_deleted', 'vms_live']);
        assert.deepEqual(Object.keys(u.pithos).sort(), ['bytes', 'containers', 'groups', 'objects', 'permissions']);
        assert.equal(typeof u.id, 'number');
        assert.equal(typeof u.pithos.bytes, 'string');
        assert.equal(typeof u.is_active, 'boolean');
      }
    }
  });

  test('plan 2.2 refuses an answer that is not in its group, in one line, exit 2', async () => {
    const dir = tempDir('dedup-cli-');
    const cfg = writeConfig(dir, urls);
    const answers = join(dir, 'answers.json');
    writeFileSync(answers, JSON.stringify({ '2.2': { survivors: { 'Bob@x.gr': 1 } } }));
    const err: string[] = [];
    const code = await main(['plan', '2.2', '--config', cfg, '--answers', answers], { out: () => undefined, err: (s) => err.push(s), isTTY: false });
    assert.equal(code, 2);
    assert.match(err[0]!, /survivor 1 for bob@x\.gr is not one of its users \(#3, #4, #5\)/);
    assert.doesNotMatch(err[0]!, /\n|at .*\.ts/);
  });
});

describe('dedup: step 2.2 through the engine', () => {
  test('undecided groups stop the step (exit 3); nothing is deleted', async () => {
    const urls = await fixture('dedup_t_open');
    const before = await dumpAll(urls);
    const engine = engineFor(configFor(urls, tempDir('dedup-open-')), { '2.2': { survivors: ANSWERS } }, false);
    try {
      const view = await engine.plan('2.2');
      assert.ok(view.plan.open! > 0);
      await engine.run('2.1');
      await assert.rejects(engine.run('2.2'), (e: Error & { exitCode?: number }) => e.exitCode === 3 && /undecided/.test(e.message));
    } finally {
      await closeEngine(engine);
    }
    assert.deepEqual(await dumpAll(urls), before);
  });

  test('apply deletes the non-survivors with the 0.12.5 cascade; a second run changes nothing; undo restores every row byte for byte', async () => {
    const urls = await fixture('dedup_t_apply', 5);
    const before = await dumpAll(urls);
    const ivan = await upperJoinsIvan(urls.astakos);
    const config = configFor(urls, tempDir('dedup-apply-'));

    let engine = engineFor(config, { '2.2': { survivors: ANSWERS } });
    const view = await engine.plan('2.2');
    const n = (view.plan.data as { deleteIds: number[] }).deleteIds.length;
    const expectDeleted = [1, 3, 5, 6, 10, 14, ...(ivan ? [15] : []), 18, 20, 100001, 100002, 100003, 100004, 100005];
    assert.deepEqual((view.plan.data as { deleteIds: number[] }).deleteIds, expectDeleted);
    assert.deepEqual(view.plan.destructive, { what: `Delete ${n} astakos users and every row that depends on them?`, confirmWord: String(n) });
    const changes = Object.fromEntries(view.plan.changes.map((c) => [c.table, c.rows]));
    assert.deepEqual(changes, {
      auth_user: n, im_astakosuser: n, auth_user_groups: 2, auth_user_user_permissions: 1, auth_message: 2, django_admin_log: 1,
      im_invitation: 4, im_additionalmail: 3, im_emailchange: 2,
    });
    await closeEngine(engine);

    engine = engineFor(config, { '2.2': { survivors: ANSWERS, confirm: String(n) } });
    try {
      assert.equal((await engine.run('2.1')).status, 'done');
      const r = await engine.run('2.2');
      assert.equal(r.status, 'done');
      assert.ok(r.summary.some((l) => l.includes('no case-insensitive email collision left')));

      const left = await withDb('astakos', urls.astakos, async (db) => {
        const users = (await db.pool.query<{ id: number }>('SELECT id FROM auth_user ORDER BY id')).rows.map((x) => x.id);
        const inv = (await db.pool.query<{ id: number }>('SELECT id FROM im_invitation ORDER BY id')).rows.map((x) => x.id);
        return { users, inv, groups: await astakosCollisions(db.pool) };
      });
      for (const id of expectDeleted) assert.ok(!left.users.includes(id), `#${id} deleted`);
      for (const id of [2, 4, 7, 9, 13, 17, 19]) assert.ok(left.users.includes(id), `#${id} kept`);
      assert.deepEqual(left.inv, [5, 6], 'sent invitations go with their sender; one naming a deleted email as invitee stays');
      assert.deepEqual(left.groups, []);
      assert.deepEqual(await dumpAll(urls).then((d) => [d.cyclades, d.pithos]), [before.cyclades, before.pithos], 'cyclades and pithos untouched');

      // decisions: survivors and the merge mapping for 6.1 / 6.2
      const decisions = engine.state.getDecisions(DEDUP_STEP);
      assert.deepEqual(decisions.get('alice@example.org'), { ...decisions.get('alice@example.org')!, value: 2, source: 'answers' });
      assert.equal(decisions.get('bob@x.gr')!.value, 4);
      assert.equal(decisions.get('bob@x.gr')!.source, 'suggested');
      const merges = mergeTargets(engine.state);
      assert.deepEqual({ ...merges.get('alice@example.org')! }, { into: 'Alice@Example.org', survivorId: 2, deletedIds: [1], group: 'alice@example.org', source: 'answers' });
      assert.equal(merges.get('bob@x.gr')!.into, 'BOB@x.gr');
      assert.equal(merges.get('Bob@X.GR')!.into, 'BOB@x.gr');
      assert.ok(!merges.has('dave@x.org'), 'same exact email: nothing to merge in the services');

      // a second run changes nothing
      const afterApply = await dumpAll(urls);
      assert.equal((await engine.run('2.2')).status, 'already-done');
      engine.state.resetStep('2.2');
      const again = await engine.run('2.2');
      assert.equal(again.status, 'done');
      assert.ok(again.summary.some((l) => /nothing deleted/.test(l)));
      assert.deepEqual(await dumpAll(urls), afterApply);
      assert.equal(engine.state.countBeforeImages(DEDUP_STEP), Object.values(changes).reduce((a, b) => a + b, 0), 'one before-image per deleted row');

      // credentials of the deleted rows stay in astakos, never in the state file (rule 8)
      const images = [...engine.state.beforeImages(DEDUP_STEP)].map((i) => JSON.stringify(i.row)).join('\n');
      assert.ok(!images.includes('sha1$ab$cd') && !/"tok\d+"/.test(images), 'no password hash or token in the before-images');
      assert.match(images, /kept in the service database/);

      // undo: every row back, byte for byte, sequences included
      const undone = await engine.undo('2.2');
      assert.match(undone.summary[0]!, new RegExp(`restored ${n} astakos user`));
      assert.deepEqual(await dumpAll(urls), before);
      assert.deepEqual(await journalBatches(urls.astakos), []);
      assert.equal(engine.state.countBeforeImages(DEDUP_STEP), 0);
      assert.equal(mergeTargets(engine.state).size, 0);
      assert.equal(engine.state.getStep('2.2').status, 'pending');
    } finally {
      await closeEngine(engine);
    }
  });

  test('undo is refused once 3.2 has run', async () => {
    const urls = await fixture('dedup_t_refuse');
    const engine = engineFor(configFor(urls, tempDir('dedup-refuse-')), {});
    try {
      engine.state.markDone('3.2');
      await assert.rejects(engine.undo('2.2'), /undo 2\.2 refused: step 3\.2/);
    } finally {
      await closeEngine(engine);
    }
  });
});

describe('dedup: users with no email', () => {
  test('empty and whitespace-only emails are never grouped: 2.1 and 2.2 list them (count and ids, in the plan and the report) and 2.2 deletes none of them', async () => {
    const urls = await fixture('dedup_t_blank');
    // auth_user.email is NOT NULL: "no email" is '' (three users), or only spaces
    const blank: [number, string][] = [[31, ''], [32, ''], [33, ''], [34, ' '], [35, ' \t '], [36, '\u00a0']];
    await withDb('astakos', urls.astakos, async (db) => {
      for (const [id, email] of blank) {
        await db.pool.query(`INSERT INTO auth_user (id, username, first_name, last_name, email, password, is_staff, is_active, is_superuser, last_login, date_joined)
          VALUES ($1, $2, 'No', 'Mail', $3, '!', false, true, false, $4, $4)`, [id, `nomail${id}`, email, T0]);
        await db.pool.query(`INSERT INTO im_astakosuser (user_ptr_id, affiliation, provider, level, invitations, updated, is_verified, email_verified, has_credits, has_signed_terms)
          VALUES ($1, '', 'local', 4, 0, $2, true, false, false, false)`, [id, T0]);
      }
    });
    // owners '' and ' ' in cyclades (the fixture has a network owned by ''), an account ' ' in pithos
    await withDb('cyclades', urls.cyclades, async (db) => {
      await db.pool.query(`INSERT INTO userdata_publickeypair (id, "user", name, content, fingerprint) VALUES (90, '', 'k90', 'ssh-rsa A', 'fp'), (91, ' ', 'k91', 'ssh-rsa A', 'fp'), (92, '  ', 'k92', 'ssh-rsa A', 'fp')`);
    });
    await withDb('pithos', urls.pithos, async (db) => {
      await db.pool.query(`INSERT INTO nodes (node, parent, path) VALUES (900, 0, ' '), (901, 0, '  ')`);
    });
    const before = await withDb('astakos', urls.astakos, async (db) => (await db.pool.query('SELECT id FROM auth_user ORDER BY id')).rows.map((r) => r.id as number));
    const dir = tempDir('dedup-blank-');
    const config = configFor(urls, dir);
    const engine = engineFor(config, {});
    try {
      const find = await engine.plan('2.1');
      const data = find.findings.data as DedupFindings;
      const blankIds = blank.map(([id]) => id);
      assert.deepEqual(data.noEmail, blankIds);
      for (const g of data.groups) for (const u of g.users) assert.ok(!blankIds.includes(u.id), `#${u.id} is in group ${g.key}`);
      const line = find.findings.summary.find((l) => /have no email/.test(l));
      assert.equal(line?.startsWith('6 astakos user(s) have no email (empty or only spaces): #31, #32, #33, #34, #35, #36.'), true, find.findings.summary.join('\n'));
      assert.match(line!, /not duplicates of each other and nothing here deletes them/);
      // the services: '' and blank identifiers are never a duplicate set
      for (const [s, ids] of [['cyclades', CYCLADES_IDENTIFIERS], ['pithos', PITHOS_ACCOUNTS]] as const) {
        const found = await withDb(s, urls[s], (db) => identifierCollisions(db.pool, ids));
        for (const [k, list] of found) assert.ok(!/^\s*$/.test(k) && list.every((x) => !/^\s*$/.test(x)), `${s}: ${k}: ${list.join(', ')}`);
      }
      assert.deepEqual(data.serviceOnly.pithos.filter((set) => set.some((x) => !x.trim())), []);
      assert.deepEqual(data.serviceOnly.cyclades.filter((set) => set.some((x) => !x.trim())), []);

      // 2.2 under --accept-suggestions: the case duplicates go, every user with no email stays
      const plan = await engine.plan('2.2');
      assert.ok(plan.findings.summary.includes(line!));
      const deleteIds = (plan.plan.data as { deleteIds: number[] }).deleteIds;
      assert.ok(deleteIds.length > 0 && deleteIds.every((id) => !blankIds.includes(id)), deleteIds.join(','));
      await engine.run('2.1');
      const n = deleteIds.length;
      await closeEngine(engine);
      const again = engineFor(config, { '2.2': { confirm: String(n) } });
      try {
        assert.equal((await again.run('2.2')).status, 'done');
        const md = reportMarkdown(buildReport(again.state, []));
        assert.ok(md.includes(`- found: ${line}`), md);
      } finally {
        await closeEngine(again);
      }
    } finally {
      await closeEngine(engine).catch(() => undefined);
    }
    const after = await withDb('astakos', urls.astakos, async (db) => (await db.pool.query('SELECT id FROM auth_user ORDER BY id')).rows.map((r) => r.id as number));
    for (const [id] of blank) assert.ok(after.includes(id), `#${id} kept`);
    assert.ok(after.length < before.length);
  });
});

describe('dedup: crash between batches', () => {
  const BULK = 600; // 600 twins + the fixture's own: two batches of 500
  let reference: Record<Service, string>;
  let referenceImages: number;
  let referenceBatches: string[];

  test('an uninterrupted run (reference)', async () => {
    const urls = await fixture('dedup_t_ref', BULK);
    const engine = engineFor(configFor(urls, tempDir('dedup-ref-')), { '2.2': { survivors: ANSWERS, confirm: true } });
    try {
      await engine.run('2.1');
      const r = await engine.run('2.2');
      assert.equal(r.status, 'done');
      referenceImages = engine.state.countBeforeImages(DEDUP_STEP);
    } finally {
      await closeEngine(engine);
    }
    reference = await dumpAll(urls);
    referenceBatches = await journalBatches(urls.astakos);
    assert.equal(referenceBatches.length, 2);
  });

  /** Fixture + a trigger that fails (or stalls) while deleting a user of the second batch. */
  async function armed(name: string, action: string): Promise<{ urls: Urls; victim: number }> {
    const urls = await fixture(name, BULK);
    const config = configFor(urls, tempDir(`${name}-`));
    const engine = engineFor(config, { '2.2': { survivors: ANSWERS } });
    let victim: number;
    try {
      const deleteIds = ((await engine.plan('2.2')).plan.data as { deleteIds: number[] }).deleteIds;
      const batches = batchesOf(deleteIds);
      assert.equal(batches.length, 2);
      assert.equal(batches[0]!.ids.length, USERS_PER_BATCH);
      victim = batches[1]!.ids[10]!;
    } finally {
      await closeEngine(engine);
    }
    await withDb('astakos', urls.astakos, async (db) => {
      await db.pool.query(`CREATE FUNCTION dedup_t_trap() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF OLD.id = ${victim} THEN ${action}; END IF; RETURN OLD; END $$`);
      await db.pool.query('CREATE TRIGGER dedup_t_trap BEFORE DELETE ON auth_user FOR EACH ROW EXECUTE PROCEDURE dedup_t_trap()');
    });
    return { urls, victim };
  }

  async function disarm(urls: Urls): Promise<void> {
    await withDb('astakos', urls.astakos, async (db) => {
      await db.pool.query('DROP TRIGGER dedup_t_trap ON auth_user');
      await db.pool.query('DROP FUNCTION dedup_t_trap()');
    });
  }

  async function resumeAndCompare(urls: Urls, config: Config): Promise<void> {
    const engine = engineFor(config, { '2.2': { survivors: ANSWERS, confirm: true } });
    try {
      const r = await engine.run('2.2');
      assert.equal(r.status, 'done');
      assert.ok(r.summary.some((l) => /deleted \d+ astakos user\(s\) in 1 batch/.test(l)), r.summary.join('\n'));
      assert.equal(engine.state.countBeforeImages(DEDUP_STEP), referenceImages, 'every deleted row journalled exactly once');
      const pks = new Set<string>();
      for (const image of engine.state.beforeImages(DEDUP_STEP)) {
        const k = `${image.table}:${JSON.stringify(image.pk)}`;
        assert.ok(!pks.has(k), `${k} journalled twice`);
        pks.add(k);
      }
    } finally {
      await closeEngine(engine);
    }
    assert.deepEqual(await journalBatches(urls.astakos), referenceBatches);
    assert.deepEqual(await dumpAll(urls), reference);
  }

  test('a batch that fails rolls back alone; the run resumes after the committed batch and ends like the reference', async () => {
    const { urls } = await armed('dedup_t_crash', `RAISE EXCEPTION 'simulated crash'`);
    const config = configFor(urls, tempDir('dedup-crash-state-'));
    const engine = engineFor(config, { '2.2': { survivors: ANSWERS, confirm: true } });
    try {
      await engine.run('2.1');
      await assert.rejects(engine.run('2.2'), /simulated crash/);
      assert.equal(engine.state.getStep('2.2').status, 'failed');
    } finally {
      await closeEngine(engine);
    }
    assert.deepEqual(await journalBatches(urls.astakos), [referenceBatches.find((b) => b.includes(`n${USERS_PER_BATCH}`))]);
    await disarm(urls);
    await resumeAndCompare(urls, config);
  });

  test('rows that change under a batch stop the step with an operator error, not an unexpected one; the resume ends like the reference', async () => {
    // the trap makes PostgreSQL skip one user's delete, as a still-running service writing the row would
    const { urls } = await armed('dedup_t_skip', 'RETURN NULL');
    const config = configFor(urls, tempDir('dedup-skip-state-'));
    const engine = engineFor(config, { '2.2': { survivors: ANSWERS, confirm: true } });
    try {
      await engine.run('2.1');
      await assert.rejects(engine.run('2.2'), (e: unknown) => e instanceof UserError
        && /auth_user rows of the users being deleted .*changed while this batch ran/.test(e.message) && !e.message.includes('\n')
        && /nothing else writes to the astakos database/.test(e.next));
      assert.equal(engine.state.getStep('2.2').status, 'failed');
    } finally {
      await closeEngine(engine);
    }
    assert.deepEqual(await journalBatches(urls.astakos), [referenceBatches.find((b) => b.includes(`n${USERS_PER_BATCH}`))]);
    await disarm(urls);
    await resumeAndCompare(urls, config);
  });

  test('undo restores batch by batch: killed inside its second batch, it resumes and restores every row byte for byte', { skip: !usingServer() && 'kills need a server (an embedded database dies with its process)' }, async () => {
    const urls = await fixture('dedup_t_undokill', BULK);
    const before = await dumpAll(urls);
    const dir = tempDir('dedup-undokill-');
    const config = configFor(urls, dir);
    const engine = engineFor(config, { '2.2': { survivors: ANSWERS, confirm: true } });
    try {
      await engine.run('2.1');
      assert.equal((await engine.run('2.2')).status, 'done');
    } finally {
      await closeEngine(engine);
    }
    assert.deepEqual(await journalBatches(urls.astakos), referenceBatches);
    const cfg = writeConfig(dir, urls);
    await closeAllEmbedded();
    const killed = await runCli(['undo', '2.2', '--config', cfg], { SNF_UPGRADE_FAULT: 'batch:before-commit#2:kill' });
    assert.equal(killed.code, null, killed.stderr);
    const [first, second] = [...referenceBatches].sort((a, b) => Number(/users (\d+)/.exec(a)![1]) - Number(/users (\d+)/.exec(b)![1]));
    assert.deepEqual(await journalBatches(urls.astakos), [second!, `undo ${first}`].sort(), 'the first batch restored and forgotten, the second not');
    await closeAllEmbedded();
    const resumed = await runCli(['undo', '2.2', '--config', cfg]);
    assert.equal(resumed.code, 0, resumed.stderr + resumed.stdout);
    assert.match(resumed.stdout, /in 1 batch\(es\) \(1 restored by an earlier, interrupted undo\)/);
    assert.deepEqual(await journalBatches(urls.astakos), []);
    assert.deepEqual(await dumpAll(urls), before);
    const state = StateFile.open(config.state);
    try {
      assert.equal(state.countBeforeImages(DEDUP_STEP), 0);
      assert.equal(state.getStep('2.2').status, 'pending');
    } finally {
      state.close();
    }
  });

  test('a killed process resumes after its committed batch and ends like the reference', { skip: !usingServer() && 'kills need a server (an embedded database dies with its process)' }, async () => {
    const { urls } = await armed('dedup_t_kill', 'PERFORM pg_sleep(3)');
    const dir = tempDir('dedup-kill-');
    const config = configFor(urls, dir);
    const setup = engineFor(config, {});
    try { await setup.run('2.1'); } finally { await closeEngine(setup); }
    const script = join(dir, 'run.mts');
    const src = (p: string) => JSON.stringify(fileURLToPath(new URL(`../src/${p}`, import.meta.url)));
    writeFileSync(script, `
      import { Engine } from ${src('engine/index.ts')};
      import { StateFile } from ${src('state/index.ts')};
      import { HeadlessAsker } from ${src('cli/asker.ts')};
      const config = ${JSON.stringify(config)};
      const engine = new Engine(config, StateFile.open(config.state), new HeadlessAsker(${JSON.stringify({ '2.2': { survivors: ANSWERS, confirm: true } })}, true, true), 'kill-test');
      await engine.run('2.2');
      process.exit(0);`);
    const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d) => { stderr += d; });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 60_000;
    while ((await journalBatches(urls.astakos).catch(() => [])).length < 1) {
      assert.ok(Date.now() < deadline, `the child never committed a batch: ${stderr}`);
      assert.equal(child.exitCode, null, `the child ended early: ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 300)); // well inside the stalled second batch
    child.kill('SIGKILL');
    await exited;
    assert.equal((await journalBatches(urls.astakos)).length, 1);
    await disarm(urls); // waits for the killed session's transaction to end
    await resumeAndCompare(urls, config);
  });
});

describe('dedup: on a generated sandbox deployment', () => {
  test('finds exactly the colliding users, deletes and restores them byte for byte', async () => {
    const dir = tempDir('dedup-sbx-');
    const sb = await createSandbox({
      name: testDbName('dedup_t_sbx'), scale: 'tiny', seed: 3, configPath: join(dir, 'sbx.json'),
      ...sandboxTarget(dir),
    });
    const urls = sb.urls;
    const before = await dumpAll(urls);
    // Independently: every astakos email, grouped by Python lower() in the test.
    const users = await withDb('astakos', urls.astakos, async (db) =>
      (await db.pool.query<{ id: number; email: string }>('SELECT u.id, u.email FROM auth_user u JOIN im_astakosuser a ON a.user_ptr_id = u.id')).rows);
    const byKey = new Map<string, number[]>();
    for (const u of users) byKey.set(pyLower(u.email), [...(byKey.get(pyLower(u.email)) ?? []), u.id]);
    const expected = [...byKey.values()].filter((g) => g.length > 1).map((g) => g.sort((a, b) => a - b));

    const engine = engineFor(configFor(urls, dir), { '2.2': { confirm: true } });
    try {
      const data = (await engine.plan('2.1')).findings.data as DedupFindings;
      const found = data.groups.map(ids);
      for (const g of expected) assert.ok(found.some((f) => JSON.stringify(f) === JSON.stringify(g)), `group ${g} found`);
      const email = new Map(users.map((u) => [u.id, u.email]));
      const emailsOf = (f: number[]) => f.map((id) => email.get(id));
      const keys = data.groups.map((g) => g.key);
      for (const k of ['maria.k@example.gr', 'john+cloud@example.com', 'dept(it)@example.org', 'σωκράτης.π@example.gr', 'dup.same@example.org']) {
        assert.ok(keys.includes(k), `hard case ${k}`);
      }
      assert.equal(data.groups.find((g) => g.key === 'maria.k@example.gr')!.users.length, 3);
      const flat = data.groups.flatMap((g) => emailsOf(ids(g)));
      for (const e of ['k.lee@example.net', 'kxlee@example.net', 'ops[team]@example.org', 'jürgen.müller@example.de']) assert.ok(!flat.includes(e), `${e} is no duplicate`);
      assert.ok(data.serviceOnly.cyclades.some((g) => g.includes('Eleni.P@example.gr')));
      assert.ok(data.serviceOnly.pithos.some((g) => g.includes('George.T@example.gr')));

      await engine.run('2.1');
      const r = await engine.run('2.2');
      assert.equal(r.status, 'done');
      await withDb('astakos', urls.astakos, async (db) => assert.deepEqual(await astakosCollisions(db.pool), []));
      await engine.undo('2.2');
      assert.deepEqual(await dumpAll(urls), before);
    } finally {
      await closeEngine(engine);
    }
  });
});
