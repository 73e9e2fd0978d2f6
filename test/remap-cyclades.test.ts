// Steps 6.1 / 6.3 (src/core/remap/cyclades): case-duplicate cyclades owners (sets of any
// size, merge or delete), emails → astakos uuids in exactly-once range batches, unknown
// identifiers decided one by one, the identifier-keyed settings, a comparison with what the
// upstream commands produce, re-runs, and kill -9 + resume.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HeadlessAsker, type Answers } from '../src/cli/asker.js';
import type { Config } from '../src/config.js';
import {
  caseSets, MAP_TABLE, type DuplicatesFindings, type MigrateFindings,
} from '../src/core/remap/cyclades/index.js';
import { suggestInto } from '../src/core/remap/cyclades/duplicates.js';
import { openDb, SERVICES, type Db, type Service } from '../src/db/connection.js';
import { Engine } from '../src/engine/index.js';
import { loadSchema } from '../src/sandbox/schema.js';
import { StateFile } from '../src/state/index.js';
import { loadConfig } from '../src/config.js';
import { createSandbox, simulateStep } from '../src/sandbox/index.js';
import { cleanupAll, emptyDatabases, runCli, sandboxTarget, tempDir, testDbName, withDb, writeConfig } from './support.js';

/**
 * Databases the tests keep open: an embedded instance stays up while any handle is open, so
 * the engines the tests start reuse it instead of starting PostgreSQL again each time.
 */
const held = new Map<string, Db>();
async function hold(urls: Urls): Promise<void> {
  for (const s of SERVICES) if (!held.has(urls[s])) held.set(urls[s], await openDb(s, urls[s]));
}
/** Closes the handles on URLS (a child process needs an embedded database to itself). */
async function release(urls: Urls): Promise<void> {
  for (const s of SERVICES) {
    await held.get(urls[s])?.close();
    held.delete(urls[s]);
  }
}

async function releaseAll(): Promise<void> {
  for (const db of held.values()) await db.close();
  held.clear();
}

after(async () => {
  await releaseAll();
  await cleanupAll();
});

type Urls = Record<Service, string>;

// ------------------------------------------------------------------------ fixture

const uuidOf = (id: number): string => `00000000-0000-4000-8000-${String(id).padStart(12, '0')}`;
const BULK = 250;
const FOREIGN_UUID = 'b1946ac9-2b5e-4c47-9a4f-7d5c3e8f0a12';

/** astakos at 0.13: id, email (username = its lower()). */
const USERS: [number, string][] = [
  [1, 'Alice@Example.org'], [2, 'bob@x.gr'], [3, 'Carol@X.org'], [4, 'Élodie@exemple.fr'], [5, 'dave@x.org'],
  [6, 'erin@x.org'], [7, 'Frank@x.org'],
];

async function seedAstakos(db: Db): Promise<void> {
  const q = db.pool;
  await q.query(`INSERT INTO auth_user (id, username, first_name, last_name, email, password, is_staff, is_active, is_superuser, last_login, date_joined)
    SELECT 100 + g, 'user' || g || '@bulk.org', 'F', 'L', 'user' || g || '@bulk.org', '!', false, true, false, '2012-01-01 00:00:00+00', '2011-01-01 00:00:00+00'
      FROM generate_series(1, ${BULK}) g`);
  await q.query(`INSERT INTO im_astakosuser (user_ptr_id, provider, level, invitations, updated, is_verified, email_verified, has_credits,
      has_signed_terms, uuid, disturbed_quota)
    SELECT 100 + g, 'local', 4, 0, '2012-01-01 00:00:00+00', true, true, false, false,
           '00000000-0000-4000-8000-' || lpad((100 + g)::text, 12, '0'), false FROM generate_series(1, ${BULK}) g`);
  for (const [id, email] of USERS) {
    await q.query(`INSERT INTO auth_user (id, username, first_name, last_name, email, password, is_staff, is_active, is_superuser, last_login, date_joined)
      VALUES ($1, $2, 'F', 'L', $3, '!', false, true, false, '2012-01-01 00:00:00+00', '2011-01-01 00:00:00+00')`, [id, email.toLowerCase(), email]);
    await q.query(`INSERT INTO im_astakosuser (user_ptr_id, provider, level, invitations, updated, is_verified, email_verified, has_credits,
        has_signed_terms, uuid, disturbed_quota) VALUES ($1, 'local', 4, 0, '2012-01-01 00:00:00+00', true, true, false, false, $2, false)`, [id, uuidOf(id)]);
  }
}

const T = "'2012-05-05 10:00:00+00'";

async function seedCyclades(db: Db, opts: { nonAscii: boolean }): Promise<void> {
  const q = db.pool;
  await q.query(`INSERT INTO db_flavor (id, cpu, ram, disk, deleted, disk_template) VALUES (1, 1, 1024, 10, false, 'drbd')`);
  await q.query(`INSERT INTO db_backend (id, clustername, port, hash, "index", drained, offline, updated, mfree, mtotal, dfree, dtotal, pinst_cnt, ctotal)
    VALUES (1, 'ganeti1.example.org', 5080, 'h', 0, false, false, ${T}, 1, 1, 1, 1, 1, 1)`);
  const vms: [number, string, boolean][] = [
    [1, 'Alice@Example.org', false], [2, 'Alice@Example.org', true], [3, 'alice@example.org', false],
    [4, 'bob@x.gr', false], [5, 'Bob@x.gr', false], [6, 'Bob@x.gr', true],
    [7, 'carol@x.org', false], [8, 'CAROL@x.org', false],
    [11, uuidOf(5), false], [12, 'ghost@gone.org', false], [13, 'Former@Gone.org', true], [14, 'frank@x.org', false],
    [15, FOREIGN_UUID, false], [16, 'mapme@old.org', false],
  ];
  if (opts.nonAscii) vms.push([9, 'Élodie@exemple.fr', false], [10, 'élodie@exemple.fr', true]);
  for (const [id, owner, deleted] of vms) {
    await q.query(`INSERT INTO db_virtualmachine (id, name, created, updated, hostid, flavor_id, deleted, suspended, operstate, buildpercentage,
        imageid, userid, backendtime, backend_hash, backend_id) VALUES ($1, 'vm' || $1::integer, ${T}, ${T}, '', 1, $2, false, $3, 100, 'img', $4, ${T}, 'h', 1)`,
    [id, deleted, deleted ? 'DESTROYED' : 'STARTED', owner]);
  }
  await q.query(`INSERT INTO db_virtualmachine (id, name, created, updated, hostid, flavor_id, deleted, suspended, operstate, buildpercentage,
      imageid, userid, backendtime, backend_hash, backend_id)
    SELECT 1000 + g * 3, 'bulk' || g, ${T}, ${T}, '', 1, g % 4 = 0, false, 'STARTED', 100, 'img', 'user' || g || '@bulk.org', ${T}, 'h', 1
      FROM generate_series(1, ${BULK}) g`);
  const nets: [number, string | null, boolean][] = [
    [1, null, false], [2, '', false], [3, 'Bob@x.gr', false], [4, 'Alice@Example.org', false], [5, 'ALICE@EXAMPLE.ORG', true],
    [6, 'ghost@gone.org', false], [7, 'carol@x.org', false],
  ];
  for (const [id, owner, deleted] of nets) {
    await q.query(`INSERT INTO db_network (id, name, created, updated, state, public, userid, subnet, deleted, mac_prefix, dhcp, flavor)
      VALUES ($1, 'net' || $1::integer, ${T}, ${T}, 'ACTIVE', $2, $3, '10.0.' || $1::integer || '.0/24', $4, 'aa:00:00', true, 'MAC_FILTERED')`, [id, owner === null || owner === '', owner, deleted]);
  }
  await q.query(`INSERT INTO db_network (id, name, created, updated, state, public, userid, subnet, deleted, mac_prefix, dhcp, flavor)
    SELECT 100 + g, 'bulknet', ${T}, ${T}, 'ACTIVE', false, 'user' || g || '@bulk.org', '10.1.0.0/24', false, 'aa:00:01', true, 'MAC_FILTERED'
      FROM generate_series(5, ${BULK}, 5) g`);
  await q.query(`INSERT INTO db_backendnetwork (id, network_id, backend_id, created, updated, deleted, mac_prefix, operstate, backendtime)
    VALUES (1, 3, 1, ${T}, ${T}, false, 'aa:00:00', 'ACTIVE', ${T}), (2, 6, 1, ${T}, ${T}, false, 'aa:00:00', 'ACTIVE', ${T}),
           (3, 1, 1, ${T}, ${T}, false, 'aa:00:00', 'ACTIVE', ${T})`);
  const nics: [number, number, number][] = [[1, 1, 1], [2, 5, 3], [3, 5, 1], [4, 4, 3], [5, 12, 6], [6, 4, 1]];
  for (const [id, vm, net] of nics) {
    await q.query(`INSERT INTO db_networkinterface (id, machine_id, network_id, created, updated, "index", mac, dirty)
      VALUES ($1, $2, $3, ${T}, ${T}, 0, 'aa:00:00:00:00:' || lpad($1::integer::text, 2, '0'), false)`, [id, vm, net]);
  }
  await q.query(`INSERT INTO db_virtualmachinemetadata (id, meta_key, meta_value, vm_id) VALUES (1, 'OS', 'debian', 5), (2, 'users', 'root', 5), (3, 'OS', 'ubuntu', 12)`);
  await q.query(`INSERT INTO db_virtualmachinediagnostic (id, created, machine_id, level, source, message) VALUES (1, ${T}, 5, 'INFO', 'ganeti', 'booted')`);
  const keys: [number, string][] = [
    [1, 'ALICE@EXAMPLE.ORG'], [2, 'alice@example.org'], [3, 'Bob@x.gr'], [4, '12'], [5, '57'], [6, 'ghost@gone.org'],
    [7, 'Former@Gone.org'], [8, 'mapme@old.org'], [9, uuidOf(5)], [10, 'erin@x.org'],
  ];
  for (const [id, owner] of keys) {
    await q.query(`INSERT INTO userdata_publickeypair (id, "user", name, content, fingerprint) VALUES ($1, $2, 'k' || $1::integer, 'ssh-rsa AAAA' || $1::integer, 'aa:bb')`, [id, owner]);
  }
  await q.query(`INSERT INTO userdata_publickeypair (id, "user", name, content, fingerprint)
    SELECT 500 + g, 'user' || g || '@bulk.org', 'bulk', 'ssh-rsa BBBB' || g, 'cc:dd' FROM generate_series(7, ${BULK}, 7) g`);
}

function writeSettingsFixture(dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, '20-snf-cyclades-app-api.conf'), `## -*- coding: utf-8 -*-
MAX_VMS_PER_USER = 3

VMS_USER_QUOTA = {
    'Alice@Example.org': 5,
    'alice@example.org': 8,  # raised in 2012
    'ghost@gone.org': 3,
    'nobody@nowhere.org': 4,
    'MAPME@old.org': 7,
    'FRANK@x.org': 6,
    '${uuidOf(5)}': 9,
}

MAX_NETWORKS_PER_USER = 5
NETWORKS_USER_QUOTA = {'bob@x.gr': 2, 'Former@Gone.org': 3}
`);
  writeFileSync(join(dir, '20-snf-cyclades-app-backend.conf'), `BACKEND_PER_USER = {
    'alice@example.org': 1,
    'Alice@Example.org': 2,
}
`);
  writeFileSync(join(dir, '20-snf-cyclades-app-ui.conf'), `UI_SYSTEM_IMAGES_OWNERS = {'carol@x.org': 'system'}
`);
}

/** Fresh databases NAME_*: astakos and cyclades at 0.13 with the fixture. */
async function fixture(name: string, opts: { nonAscii?: boolean } = {}): Promise<Urls> {
  const urls = await emptyDatabases(name);
  await hold(urls);
  await loadSchema(held.get(urls.astakos)!.pool, 'astakos', '0.13');
  await seedAstakos(held.get(urls.astakos)!);
  await loadSchema(held.get(urls.cyclades)!.pool, 'cyclades', '0.13');
  await seedCyclades(held.get(urls.cyclades)!, { nonAscii: opts.nonAscii ?? true });
  // pithos: only its (empty) database is needed, for the engine's lock
  return urls;
}

/** Every table of a database as exact text, rows sorted (the journal as (step, batch, rows) only). */
async function dump(url: string, opts: { ignore?: Record<string, string[]> } = {}): Promise<Record<string, unknown>> {
  return withDb('cyclades', url, async (db) => {
    const c = await db.pool.connect();
    try {
      await c.query(`SET datestyle = 'ISO, YMD'`);
      await c.query(`SET timezone = 'UTC'`);
      const tables = await c.query<{ t: string }>(`SELECT table_name AS t FROM information_schema.tables
        WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name NOT IN ('snf_upgrade_lock', 'snf_upgrade_steps') ORDER BY 1`);
      const out: Record<string, unknown> = {};
      for (const { t } of tables.rows) {
        const cols = await c.query<{ c: string }>(`SELECT column_name AS c FROM information_schema.columns
          WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`, [t]);
        let names = cols.rows.map((r) => r.c).filter((n) => !(opts.ignore?.[t] ?? []).includes(n));
        if (t === 'snf_upgrade_journal') names = ['step', 'batch', 'rows_changed'];
        if (t === 'snf_upgrade_decisions') names = ['step', 'key', 'value', 'source'];
        const list = names.map((n) => `"${n}"::text`);
        const rows = await c.query({ text: `SELECT ${list.join(', ')} FROM "${t}" ORDER BY ${list.map((_, i) => i + 1).join(', ')}`, rowMode: 'array' });
        out[t] = rows.rows;
      }
      return out;
    } finally {
      c.release();
    }
  });
}

async function owners(url: string): Promise<Record<string, Record<number, string | null>>> {
  return withDb('cyclades', url, async (db) => {
    const out: Record<string, Record<number, string | null>> = {};
    for (const [t, col] of [['db_virtualmachine', 'userid'], ['db_network', 'userid'], ['userdata_publickeypair', '"user"']] as const) {
      const r = await db.pool.query<{ id: number; o: string | null }>(`SELECT id, ${col} AS o FROM ${t} ORDER BY id`);
      out[t] = Object.fromEntries(r.rows.map((x) => [x.id, x.o]));
    }
    return out;
  });
}

async function ids(url: string, table: string): Promise<number[]> {
  return withDb('cyclades', url, async (db) => (await db.pool.query<{ id: number }>(`SELECT id FROM ${table} ORDER BY id`)).rows.map((r) => r.id));
}

function configFor(urls: Urls, dir: string, settings?: string): Config {
  return {
    astakos: { db: urls.astakos }, cyclades: { db: urls.cyclades, ...(settings ? { settings } : {}) }, pithos: { db: urls.pithos },
    state: join(dir, 'upgrade.db'), backups: join(dir, 'backups'),
  };
}

/** Marks the steps before 6.1 done and records step 2's merge of CAROL@x.org into Carol@X.org. */
function prepareState(config: Config): void {
  const state = StateFile.open(config.state);
  try {
    for (const id of ['1', '2.1', '2.2', '3.1', '3.2', '3.3', '3.4', '3.5', '3.6', '4', '5']) {
      if (state.getStep(id).status !== 'done') state.markDone(id, ['test']);
    }
    state.setDecision('2.2', 'carol@x.org', 3, 'operator');
    state.setDecision('2.2', 'merge:CAROL@x.org', { into: 'Carol@X.org', survivorId: 3, deletedIds: [30], group: 'carol@x.org' }, 'operator');
  } finally {
    state.close();
  }
}

function engineFor(config: Config, answers: Answers, accept = false): Engine {
  return new Engine(config, StateFile.open(config.state), new HeadlessAsker(answers, false, accept), 'test');
}

async function withEngine<T>(config: Config, answers: Answers, accept: boolean, fn: (e: Engine) => Promise<T>): Promise<T> {
  const e = engineFor(config, answers, accept);
  try { return await fn(e); } finally { await e.close(); e.state.close(); }
}

const ANSWERS_61 = {
  sets: {
    'bob@x.gr': { delete: ['Bob@x.gr'] },
    'alice@example.org': { delete: ['ALICE@EXAMPLE.ORG'], merge: 'alice@example.org' },
  },
  confirm: 'delete',
};
const ANSWERS_63 = {
  unknown: { 'Former@Gone.org': 'keep', 'mapme@old.org': uuidOf(6), 57: 'delete' },
  confirm: 'delete',
};
const ANSWERS: Answers = { '6.1': ANSWERS_61, '6.3': ANSWERS_63 };

// ------------------------------------------------------------------------ tests

describe('remap cyclades: step 6.1 findings', () => {
  after(releaseAll);
  test('sets of any size (deleted rows included, non-ASCII folded as Python does), non-emails, unknowns, suggestions', async () => {
    const urls = await fixture('rcyc_t_find');
    const dir = tempDir('rcyc-find-');
    const config = configFor(urls, dir);
    prepareState(config);
    const view = await withEngine(config, {}, false, (e) => e.plan('6.1'));
    const data = view.findings.data as DuplicatesFindings;
    assert.deepEqual(data.sets.map((s) => [s.key, s.identifiers.map((m) => m.id)]), [
      ['alice@example.org', ['ALICE@EXAMPLE.ORG', 'Alice@Example.org', 'alice@example.org']],
      ['bob@x.gr', ['Bob@x.gr', 'bob@x.gr']],
      ['carol@x.org', ['CAROL@x.org', 'carol@x.org']],
      ['élodie@exemple.fr', ['Élodie@exemple.fr', 'élodie@exemple.fr']],
    ]);
    const alice = data.sets[0]!;
    assert.deepEqual(alice.identifiers.map(({ id, vms_live, vms_deleted, networks, keys, astakos }) => [id, vms_live, vms_deleted, networks, keys, astakos]), [
      ['ALICE@EXAMPLE.ORG', 0, 0, 1, 1, 'known'], ['Alice@Example.org', 1, 1, 1, 0, 'known'], ['alice@example.org', 1, 0, 0, 1, 'known'],
    ]);
    assert.deepEqual(alice.suggested, { action: 'merge', into: 'Alice@Example.org' });
    assert.match(alice.reasons[0]!, /astakos account's email exactly/);
    const carol = data.sets[2]!;
    assert.deepEqual(carol.suggested, { action: 'merge', into: 'Carol@X.org' }, 'step 2\'s survivor is the default');
    assert.match(carol.reasons.join('\n'), /step 2 kept Carol@X\.org \(#3\)/);
    assert.deepEqual(data.sets[3]!.suggested.into, 'Élodie@exemple.fr');
    assert.match(data.sets[3]!.reasons.join('\n'), /non-ASCII/);
    assert.deepEqual(data.notEmail, ['12', '57', FOREIGN_UUID]);
    assert.deepEqual(data.unknown, ['12', '57', 'Former@Gone.org', FOREIGN_UUID, 'ghost@gone.org', 'mapme@old.org']);
    assert.match(view.findings.summary.join('\n'), /4 set\(s\) of owners that differ only in case, 9 identifiers/);
    assert.match(view.findings.summary.join('\n'), /1 set\(s\) of three or more/);
    assert.equal(view.plan.open, 4, 'nothing is decided without an answer');
  });

  test('suggestion without astakos or step 2: the one owning most, then the lowercase form', () => {
    const m = (id: string, n: number) => ({ id, vms_live: n, vms_deleted: 0, networks: 0, keys: 0, astakos: 'unknown' as const });
    assert.equal(suggestInto('x@y.z', [m('X@y.z', 2), m('x@y.z', 1), m('X@Y.Z', 0)], undefined, []).into, 'X@y.z');
    assert.equal(suggestInto('x@y.z', [m('X@y.z', 1), m('x@y.z', 1), m('X@Y.Z', 1)], undefined, []).into, 'x@y.z');
    assert.equal(suggestInto('x@y.z', [m('X@y.z', 1), m('X@Y.Z', 1)], undefined, []).into, 'X@Y.Z');
  });
});

describe('remap cyclades: steps 6.1 and 6.3 end to end', () => {
  after(releaseAll);
  let urls: Urls;
  let config: Config;
  let dir: string;
  let settings: string;

  test('6.1 stops for undecided sets, then merges and deletes one transaction per set', async () => {
    urls = await fixture('rcyc_t_e2e');
    dir = tempDir('rcyc-e2e-');
    settings = join(dir, 'settings');
    writeSettingsFixture(settings);
    config = configFor(urls, dir, settings);
    prepareState(config);
    await assert.rejects(withEngine(config, {}, false, (e) => e.run('6.1')), /6\.1 has 4 undecided item\(s\)/);
    await assert.rejects(withEngine(config, { '6.1': { sets: { 'bob@x.gr': { delete: ['bob@x.gr', 'nobody@x.gr'] } } } }, true, (e) => e.run('6.1')),
      /"nobody@x\.gr" is not in the set/);
    await assert.rejects(withEngine(config, { '6.1': { sets: { 'alice@example.org': { delete: ['ALICE@EXAMPLE.ORG'] } } } }, true, (e) => e.run('6.1')),
      /would still differ only in case/);
    await assert.rejects(withEngine(config, { '6.1': { sets: ANSWERS_61.sets } }, true, (e) => e.run('6.1')), /asks: Step 6\.1 deletes/);
    const t0 = Date.now();
    const out = await withEngine(config, ANSWERS, true, (e) => e.run('6.1'));
    const ms = Date.now() - t0;
    assert.equal(out.status, 'done');
    assert.match(out.summary.join('\n'), /2 set\(s\) merged, 2 with rows deleted, 20 row\(s\) changed/);
    const o = await owners(urls.cyclades);
    // alice: ALICE@… deleted (network 5, key 1), the rest merged into alice@example.org
    assert.deepEqual([o.db_virtualmachine[1], o.db_virtualmachine[2], o.db_virtualmachine[3]], ['alice@example.org', 'alice@example.org', 'alice@example.org']);
    assert.equal(o.db_network[4], 'alice@example.org');
    assert.ok(!(5 in o.db_network) && !(1 in o.userdata_publickeypair));
    assert.equal(o.userdata_publickeypair[2], 'alice@example.org');
    // bob: Bob@x.gr's VMs 5, 6 with metadata, diagnostics, NICs; its network 3 with its backend network and bob@x.gr's NIC on it
    assert.ok(!(5 in o.db_virtualmachine) && !(6 in o.db_virtualmachine) && !(3 in o.db_network) && !(3 in o.userdata_publickeypair));
    assert.equal(o.db_virtualmachine[4], 'bob@x.gr');
    assert.deepEqual(await ids(urls.cyclades, 'db_networkinterface'), [1, 5, 6]);
    assert.deepEqual(await ids(urls.cyclades, 'db_virtualmachinemetadata'), [3]);
    assert.deepEqual(await ids(urls.cyclades, 'db_virtualmachinediagnostic'), []);
    assert.deepEqual(await ids(urls.cyclades, 'db_backendnetwork'), [2, 3]);
    // carol → step 2's survivor, élodie → the astakos email
    assert.deepEqual([o.db_virtualmachine[7], o.db_virtualmachine[8], o.db_network[7]], ['Carol@X.org', 'Carol@X.org', 'Carol@X.org']);
    assert.deepEqual([o.db_virtualmachine[9], o.db_virtualmachine[10]], ['Élodie@exemple.fr', 'Élodie@exemple.fr']);
    assert.equal((await withDb('cyclades', urls.cyclades, (db) => caseSets(db.pool))).size, 0);
    const state = StateFile.open(config.state);
    try {
      assert.deepEqual(state.getDecision('6.1', 'bob@x.gr')?.value, { action: 'delete', delete: ['Bob@x.gr'] });
      assert.equal(state.getDecision('6.1', 'carol@x.org')?.source, 'suggested');
      assert.deepEqual(state.batchesFor('6.1').map((b) => b.batch).sort(), ['set:alice@example.org', 'set:bob@x.gr', 'set:carol@x.org', 'set:élodie@exemple.fr']);
      const images = state.countBeforeImages('6.1');
      // deleted: VMs 5, 6, networks 3, 5, keys 1, 3, NICs 2, 3, 4, metadata 1, 2, diagnostic 1, backend network 1 = 13;
      // updated: VMs 1, 2 and network 4 (alice), VMs 7, 8 and network 7 (carol), VM 10 (élodie) = 7
      assert.equal(images, 13 + 7);
      assert.equal(state.countBeforeImages('6.1', 'set:bob@x.gr'), 11);
    } finally {
      state.close();
    }
    console.log(`    6.1 on the fixture: ${ms} ms`);
  });

  test('re-running a finished 6.1 changes nothing', async () => {
    const before = await dump(urls.cyclades);
    const again = await withEngine(config, ANSWERS, true, (e) => e.run('6.1'));
    assert.equal(again.status, 'already-done');
    const state = StateFile.open(config.state);
    try { state.resetStep('6.1'); } finally { state.close(); }
    const rerun = await withEngine(config, {}, false, (e) => e.run('6.1'));
    assert.equal(rerun.status, 'done');
    assert.match(rerun.summary.join('\n'), /no duplicate owners: nothing changed/);
    assert.deepEqual(await dump(urls.cyclades), before);
  });

  test('6.3 lists unknown identifiers, refuses bad hand mappings and stays open until each is decided', async () => {
    const view = await withEngine(config, {}, false, (e) => e.plan('6.3'));
    const data = view.findings.data as MigrateFindings;
    assert.deepEqual(data.unknown.map((u) => [u.id, u.kind, u.suggested]), [
      ['12', 'numeric', 'keep'], ['57', 'numeric', 'keep'], ['Former@Gone.org', 'email', 'delete'], [FOREIGN_UUID, 'uuid', 'keep'],
      ['ghost@gone.org', 'email', 'delete'], ['mapme@old.org', 'email', 'delete'],
    ]);
    assert.equal(data.alreadyUuid, 1);
    assert.equal(view.plan.open, 8, '6 unknown identifiers and 2 per-user limits 0.13 would apply otherwise than 0.12');
    const limits = view.plan.summary.filter((l) => l.startsWith('limit: '));
    assert.deepEqual(limits, [
      'limit: VMS_USER_QUOTA of Alice@Example.org: Alice@Example.org: 5 (applied in 0.12), alice@example.org: 8 (never applied in 0.12) → undecided: as-0.12 gives 5, larger gives 8',
      'limit: VMS_USER_QUOTA of Frank@x.org: FRANK@x.org: 6 (never applied in 0.12) → undecided: as-0.12 gives the MAX_VMS_PER_USER default, larger gives 6',
    ]);
    // a limit decided in the answers file, by any of its keys
    const larger = await withEngine(config, { '6.3': { ...ANSWERS_63, limits: { 'VMS_USER_QUOTA/ALICE@example.org': 'larger' } } }, true, (e) => e.plan('6.3'));
    assert.ok(larger.plan.summary.includes('limit: VMS_USER_QUOTA of Alice@Example.org: Alice@Example.org: 5 (applied in 0.12), alice@example.org: 8 (never applied in 0.12) → larger: 8'), larger.plan.summary.join('\n'));
    await assert.rejects(withEngine(config, { '6.3': { limits: 'largest' } }, true, (e) => e.plan('6.3')), /6\.3\.limits.*is not "as-0\.12", "larger"|must be "as-0\.12", "larger"/);
    await assert.rejects(withEngine(config, { '6.3': { unknown: { 'mapme@old.org': uuidOf(99) } } }, true, (e) => e.run('6.3')),
      /is not the uuid of any astakos user/);
    await assert.rejects(withEngine(config, { '6.3': { unknown: { 'mapme@old.org': 'drop' } } }, true, (e) => e.run('6.3')),
      /is not "delete", "keep" or a uuid/);
    await assert.rejects(withEngine(config, { '6.3': { unknown: ANSWERS_63.unknown } }, false, (e) => e.run('6.3')), /5 undecided/);
    assert.match(view.findings.summary.join('\n'), /settings: /);
  });

  test('6.3 rewrites every owner to its uuid, deletes/keeps/maps the unknown ones, and writes the settings beside the old ones', async () => {
    process.env.SNF_UPGRADE_REMAP_BATCH = '100';
    let out;
    const t0 = Date.now();
    try {
      out = await withEngine(config, ANSWERS, true, (e) => e.run('6.3'));
    } finally {
      delete process.env.SNF_UPGRADE_REMAP_BATCH;
    }
    const ms = Date.now() - t0;
    assert.equal(out.status, 'done');
    const o = await owners(urls.cyclades);
    const expectVm: Record<number, string> = {
      1: uuidOf(1), 2: uuidOf(1), 3: uuidOf(1), 4: uuidOf(2), 7: uuidOf(3), 8: uuidOf(3), 9: uuidOf(4), 10: uuidOf(4),
      11: uuidOf(5), 13: 'Former@Gone.org', 14: uuidOf(7), 15: FOREIGN_UUID, 16: uuidOf(6),
    };
    for (let g = 1; g <= BULK; g++) expectVm[1000 + g * 3] = uuidOf(100 + g);
    assert.deepEqual(o.db_virtualmachine, expectVm, 'ghost@gone.org\'s VM 12 is deleted');
    const expectNet: Record<number, string | null> = { 1: null, 2: '', 4: uuidOf(1), 7: uuidOf(3) };
    for (let g = 5; g <= BULK; g += 5) expectNet[100 + g] = uuidOf(100 + g);
    assert.deepEqual(o.db_network, expectNet);
    const expectKey: Record<number, string> = { 2: uuidOf(1), 4: '12', 7: 'Former@Gone.org', 8: uuidOf(6), 9: uuidOf(5), 10: uuidOf(6) };
    for (let g = 7; g <= BULK; g += 7) expectKey[500 + g] = uuidOf(100 + g);
    assert.deepEqual(o.userdata_publickeypair, expectKey);
    assert.deepEqual(await ids(urls.cyclades, 'db_networkinterface'), [1, 6], 'ghost\'s VM and network took their NIC');
    assert.deepEqual(await ids(urls.cyclades, 'db_backendnetwork'), [3]);
    assert.deepEqual(await ids(urls.cyclades, 'db_virtualmachinemetadata'), []);
    assert.equal(await withDb('cyclades', urls.cyclades, async (db) =>
      (await db.pool.query(`SELECT 1 FROM information_schema.tables WHERE table_name = $1`, [MAP_TABLE])).rowCount), 0, 'the mapping table is gone');

    const summary = out.summary.join('\n');
    assert.match(summary, /kept 3 identifier\(s\) astakos does not know, by decision: 12, Former@Gone\.org, b1946ac9-2b5e-4c47-9a4f-7d5c3e8f0a12/);
    assert.match(summary, /✓ no email-shaped owner left in cyclades/);
    assert.match(summary, /✓ every other owner is the uuid of an astakos user/);
    // batches: the map, 2 deletions, VM ranges 1000-1099 … (ids up to 1750) plus 0-99, network and key ranges, the drop
    const state = StateFile.open(config.state);
    let batches: string[];
    try {
      batches = state.batchesFor('6.3').map((b) => b.batch);
      assert.equal(state.getDecision('6.3', 'unknown:mapme@old.org')?.value, uuidOf(6));
      assert.equal(state.getDecision('6.3', 'unknown:ghost@gone.org')?.source, 'suggested');
      assert.deepEqual(state.getDecision('6.3', `limit:VMS_USER_QUOTA/${uuidOf(1)}`), { value: 'as-0.12', source: 'suggested', decidedAt: state.getDecision('6.3', `limit:VMS_USER_QUOTA/${uuidOf(1)}`)?.decidedAt });
      assert.ok(state.countBeforeImages('6.3', 'db_virtualmachine:1000-1099') > 0);
    } finally {
      state.close();
    }
    assert.deepEqual(batches.filter((b) => !b.includes(':') || b.startsWith('delete:')).sort(), ['delete:57', 'delete:ghost@gone.org', 'drop-map', 'uuid-map']);
    assert.ok(batches.includes('db_virtualmachine:0-99') && batches.includes('db_virtualmachine:1700-1799') && batches.includes('userdata_publickeypair:500-599'));

    // settings: new files beside the old ones, the diff in the summary
    const api = readFileSync(join(settings, '20-snf-cyclades-app-api.conf.snf-upgrade-new'), 'utf8');
    assert.equal(api, `## -*- coding: utf-8 -*-
MAX_VMS_PER_USER = 3

VMS_USER_QUOTA = {
    '${uuidOf(1)}': 5,
    '${uuidOf(6)}': 7,
    '${uuidOf(5)}': 9,
}

MAX_NETWORKS_PER_USER = 5
NETWORKS_USER_QUOTA = {'${uuidOf(2)}': 2, 'Former@Gone.org': 3}
`);
    assert.equal(readFileSync(join(settings, '20-snf-cyclades-app-backend.conf.snf-upgrade-new'), 'utf8'), `BACKEND_PER_USER = {
    '${uuidOf(1)}': 2,
}
`);
    assert.equal(readFileSync(join(settings, '20-snf-cyclades-app-ui.conf.snf-upgrade-new'), 'utf8'), `UI_SYSTEM_IMAGES_OWNERS = {'${uuidOf(3)}': 'system'}
`);
    assert.match(readFileSync(join(settings, '20-snf-cyclades-app-api.conf'), 'utf8'), /'Alice@Example.org': 5/, 'the original is untouched');
    assert.match(summary, /^--- .*20-snf-cyclades-app-api\.conf$/m);
    assert.match(summary, /^-    'alice@example.org': 8,  # raised in 2012$/m);
    assert.match(summary, /^\+    '00000000-0000-4000-8000-000000000001': 5,$/m);
    assert.match(summary, /VMS_USER_QUOTA: alice@example\.org: case variant of Alice@Example\.org, the entry 0\.12 applied \(5\): dropped, as 0\.12/);
    assert.match(summary, /VMS_USER_QUOTA: FRANK@x\.org: 0\.12 never applied it \(the astakos email is Frank@x\.org\): dropped, so the user keeps the MAX_VMS_PER_USER default as in 0\.12/);
    assert.match(summary, /key nobody@nowhere\.org is unknown to astakos and was dropped/);
    assert.match(summary, /BACKEND_PER_USER: alice@example\.org: case duplicate of Alice@Example\.org \(the astakos email exactly, the entry 0\.12 applied\)/);
    assert.match(summary, /✓ settings keyed by identifier use uuids/);
    console.log(`    6.3 on the fixture (${batches.length} batches): ${ms} ms`);
  });

  test('re-running a finished 6.3 changes nothing', async () => {
    const before = await dump(urls.cyclades);
    const api = readFileSync(join(settings, '20-snf-cyclades-app-api.conf.snf-upgrade-new'), 'utf8');
    assert.equal((await withEngine(config, {}, false, (e) => e.run('6.3'))).status, 'already-done');
    const state = StateFile.open(config.state);
    const images = state.countBeforeImages('6.3');
    try { state.resetStep('6.3'); } finally { state.close(); }
    const rerun = await withEngine(config, {}, false, (e) => e.run('6.3'));
    assert.equal(rerun.status, 'done', 'the stored decisions answer everything');
    assert.match(rerun.summary.join('\n'), /rewritten by an earlier run; nothing to change/);
    assert.deepEqual(await dump(urls.cyclades), before);
    assert.equal(readFileSync(join(settings, '20-snf-cyclades-app-api.conf.snf-upgrade-new'), 'utf8'), api);
    const after2 = StateFile.open(config.state);
    try { assert.equal(after2.countBeforeImages('6.3'), images); } finally { after2.close(); }
  });
});

// ------------------------------------------------------------------------ upstream

/** The upstream commands (cyclades.md §2.5, §2.7, §2.8) as their faithful SQL, on URLS. */
async function upstream(urls: Urls, steps: { merge: string[]; delete: string[]; deleteAfter: string[] }): Promise<void> {
  const names = await withDb('astakos', urls.astakos, async (db) => new Map((await db.pool.query<{ username: string; uuid: string }>(
    'SELECT u.username, a.uuid FROM auth_user u JOIN im_astakosuser a ON a.user_ptr_id = u.id')).rows.map((r) => [r.username, r.uuid])));
  await withDb('cyclades', urls.cyclades, async (db) => {
    const q = db.pool;
    const del = async (id: string) => {
      await q.query('BEGIN');
      await q.query(`DELETE FROM db_virtualmachinemetadata WHERE vm_id IN (SELECT id FROM db_virtualmachine WHERE userid = $1)`, [id]);
      await q.query(`DELETE FROM db_virtualmachinediagnostic WHERE machine_id IN (SELECT id FROM db_virtualmachine WHERE userid = $1)`, [id]);
      await q.query(`DELETE FROM db_networkinterface WHERE machine_id IN (SELECT id FROM db_virtualmachine WHERE userid = $1)
                        OR network_id IN (SELECT id FROM db_network WHERE userid = $1)`, [id]);
      await q.query(`DELETE FROM db_backendnetwork WHERE network_id IN (SELECT id FROM db_network WHERE userid = $1)`, [id]);
      await q.query(`DELETE FROM db_virtualmachine WHERE userid = $1`, [id]);
      await q.query(`DELETE FROM db_network WHERE userid = $1`, [id]);
      await q.query(`DELETE FROM userdata_publickeypair WHERE "user" = $1`, [id]);
      await q.query('COMMIT');
    };
    for (const id of steps.delete) await del(id);
    for (const id of steps.merge) {
      await q.query(`UPDATE db_virtualmachine SET userid = lower($1), updated = now() WHERE upper(userid) = upper($1)`, [id]);
      await q.query(`UPDATE db_network SET userid = lower($1), updated = now() WHERE upper(userid) = upper($1)`, [id]);
      await q.query(`UPDATE userdata_publickeypair SET "user" = lower($1) WHERE upper("user") = upper($1)`, [id]);
    }
    // --migrate-users: validation (Python lower()), then exact rewrite of every "@" identifier astakos knows
    const all = (await q.query<{ id: string }>(`SELECT "user" AS id FROM userdata_publickeypair UNION SELECT userid FROM db_virtualmachine
      UNION SELECT userid FROM db_network`)).rows.map((r) => r.id).filter((x) => x);
    assert.equal(new Set(all.map((x) => x.toLowerCase())).size, all.length, 'upstream validation would abort');
    await q.query('BEGIN');
    for (const u of all) {
      if (!u.includes('@')) continue;
      const uuid = names.get(u.toLowerCase());
      if (!uuid) continue;
      await q.query('UPDATE db_virtualmachine SET userid = $2, updated = now() WHERE userid = $1', [u, uuid]);
      await q.query('UPDATE db_network SET userid = $2, updated = now() WHERE userid = $1', [u, uuid]);
      await q.query('UPDATE userdata_publickeypair SET "user" = $2 WHERE "user" = $1', [u, uuid]);
    }
    await q.query('COMMIT');
    for (const id of steps.deleteAfter) await del(id);
  });
}

describe('remap cyclades: the same end state as the upstream commands', () => {
  after(releaseAll);
  test('merge, delete, --migrate-users and --delete-user of the unknown emails give the same tables (but `updated`)', async () => {
    const ours = await fixture('rcyc_t_ours', { nonAscii: false });
    const theirs = await fixture('rcyc_t_up', { nonAscii: false });
    const dir = tempDir('rcyc-up-');
    const config = configFor(ours, dir);
    prepareState(config);
    const answers: Answers = {
      '6.1': { sets: { 'bob@x.gr': { delete: ['Bob@x.gr'] } }, confirm: 'delete' },
      '6.3': { unknown: { 'Former@Gone.org': 'delete', 'mapme@old.org': 'delete' }, confirm: 'delete' },
    };
    assert.equal((await withEngine(config, answers, true, (e) => e.run('6.1'))).status, 'done');
    assert.equal((await withEngine(config, answers, true, (e) => e.run('6.3'))).status, 'done');
    await upstream(theirs, {
      delete: ['Bob@x.gr'], merge: ['alice@example.org', 'carol@x.org'],
      deleteAfter: ['ghost@gone.org', 'Former@Gone.org', 'mapme@old.org'],
    });
    const ignore = { db_virtualmachine: ['updated'], db_network: ['updated'] };
    const a = await dump(ours.cyclades, { ignore });
    const b = await dump(theirs.cyclades, { ignore });
    for (const t of ['snf_upgrade_journal', 'snf_upgrade_decisions']) {
      delete a[t];
      delete b[t];
    }
    assert.deepEqual(a, b);
  });
});

// ------------------------------------------------------------------------ kill -9

async function killAndResume(name: string, fault: string): Promise<void> {
  const ref = await fixture(`${name}_r`);
  const hit = await fixture(`${name}_k`);
  const results: Record<string, unknown>[] = [];
  const images: number[] = [];
  for (const [urls, kill] of [[ref, false], [hit, true]] as const) {
    const dir = tempDir(`${name}-`);
    const settings = join(dir, 'settings');
    writeSettingsFixture(settings);
    const config = configFor(urls, dir, settings);
    prepareState(config);
    process.env.SNF_UPGRADE_REMAP_BATCH = '100';
    try {
      assert.equal((await withEngine(config, ANSWERS, true, (e) => e.run('6.1'))).status, 'done');
      if (kill) {
        const cfgPath = writeConfig(dir, urls, { cyclades: { db: urls.cyclades, settings } });
        const answersPath = join(dir, 'answers.json');
        writeFileSync(answersPath, JSON.stringify(ANSWERS));
        await release(urls);
        const killed = await runCli(['run', '6.3', '--config', cfgPath, '--answers', answersPath, '--accept-suggestions'],
          { SNF_UPGRADE_REMAP_BATCH: '100', SNF_UPGRADE_FAULT: fault });
        assert.equal(killed.code, null, `the child was to be killed: ${killed.stderr}`);
        await hold(urls);
        const interrupted = await withEngine(config, {}, false, (e) => e.interrupted());
        assert.equal(interrupted?.step, '6.3');
        assert.match(interrupted!.text, /stopped during 6\.3/);
      }
      const r63 = await withEngine(config, ANSWERS, true, (e) => e.run('6.3'));
      assert.equal(r63.status, 'done', r63.summary.join('\n'));
    } finally {
      delete process.env.SNF_UPGRADE_REMAP_BATCH;
    }
    results.push(await dump(urls.cyclades));
    const state = StateFile.open(config.state);
    try { images.push(state.countBeforeImages('6.3')); } finally { state.close(); }
    assert.ok(existsSync(join(settings, '20-snf-cyclades-app-api.conf.snf-upgrade-new')));
  }
  for (const t of Object.keys(results[0]!)) assert.deepEqual(results[1]![t], results[0]![t], `table ${t}`);
  assert.deepEqual(Object.keys(results[1]!), Object.keys(results[0]!));
  assert.equal(images[1], images[0], 'the before-images of the killed run are those of the reference');
}

describe('remap cyclades: kill -9 and resume', () => {
  after(releaseAll);
  test('killed right after the 5th batch commit: the rerun continues and ends table by table like an uninterrupted run', async () => {
    await killAndResume('rcyc_t_ka', 'batch:after-commit#5:kill');
  });

  test('killed inside a batch (before its COMMIT): the batch is rolled back and redone', async () => {
    await killAndResume('rcyc_t_kb', 'batch:before-commit#7:kill');
  });
});


// ------------------------------------------------------------------------ the sandbox

describe('remap cyclades: on a generated deployment (sandbox)', () => {
  after(releaseAll);
  test('2.x, simulated 3.2, then 6.1 and 6.3 with the suggestions: every owner a uuid, settings converted', async () => {
    const dir = tempDir('rcyc-sbx-');
    const t0 = Date.now();
    const sbx = await createSandbox({
      name: testDbName('rcyc_t_sbx'), scale: 'tiny', seed: 7, configPath: join(dir, 'snf-upgrade-rcyc.json'),
      ...sandboxTarget(dir),
    });
    const tCreate = Date.now() - t0;
    const config = loadConfig(sbx.configPath);
    const state = StateFile.open(config.state);
    try { state.markDone('1', ['test']); } finally { state.close(); }
    const accept: Answers = { '2.2': { confirm: true }, '6.1': { confirm: 'delete' }, '6.3': { confirm: 'delete' } };
    await withEngine(config, accept, true, async (e) => { await e.run('2.1'); await e.run('2.2'); });
    await simulateStep('3.2', sbx.urls);
    const s2 = StateFile.open(config.state);
    try { for (const id of ['3.1', '3.2', '3.3', '3.4', '3.5', '3.6', '4', '5']) s2.markDone(id, ['test']); } finally { s2.close(); }

    const before = await withEngine(config, accept, true, (e) => e.plan('6.1'));
    const sets = (before.findings.data as DuplicatesFindings).sets;
    assert.ok(sets.length > 0, 'the sandbox has cyclades case duplicates');
    assert.ok(sets.some((x) => x.key === 'eleni.p@example.gr'), 'the cyclades-only variant Eleni.P@ / eleni.p@');
    assert.ok((before.findings.data as DuplicatesFindings).notEmail.some((x) => /^[0-9]+$/.test(x)), 'numeric key owners');
    const t1 = Date.now();
    const r61 = await withEngine(config, accept, true, (e) => e.run('6.1'));
    const t61 = Date.now() - t1;
    assert.equal(r61.status, 'done', r61.summary.join('\n'));

    const plan63 = await withEngine(config, accept, true, (e) => e.plan('6.3'));
    const unknown = (plan63.findings.data as MigrateFindings).unknown;
    assert.ok(unknown.some((u) => u.id === 'deleted.user@example.org' && u.suggested === 'delete'));
    assert.ok(unknown.some((u) => u.id === 'b1946ac9-2b5e-4c47-9a4f-7d5c3e8f0a12' && u.kind === 'uuid'));
    const t2 = Date.now();
    const r63 = await withEngine(config, accept, true, (e) => e.run('6.3'));
    const t63 = Date.now() - t2;
    assert.equal(r63.status, 'done', r63.summary.join('\n'));
    const text = r63.summary.join('\n');
    assert.match(text, /✓ no email-shaped owner left in cyclades/);
    assert.match(text, /✓ every other owner is the uuid of an astakos user/);
    assert.match(text, /✓ settings keyed by identifier use uuids/);
    const api = readFileSync(join(config.cyclades.settings!, '20-snf-cyclades-app-api.conf.snf-upgrade-new'), 'utf8');
    assert.ok(!/'[^']*@[^']*':/.test(api.replace(/^#.*$/gm, '')), 'no email key is left in the per-user quotas');
    assert.match(text, /VMS_USER_QUOTA: (Maria\.K|maria\.k)@example\.gr: case variant of (Maria\.K|maria\.k)@example\.gr, the entry 0\.12 applied \(\d+\): dropped, as 0\.12/);
    assert.ok(existsSync(join(config.cyclades.settings!, '20-snf-cyclades-app-backend.conf.snf-upgrade-new')));
    console.log(`    sandbox tiny: created in ${tCreate} ms; 6.1 ${t61} ms (${sets.length} sets); 6.3 ${t63} ms`);
  });
});
