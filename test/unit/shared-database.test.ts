// Two services in one physical database (astakos + cyclades in snf_apps, or any other pair):
// URLs compared by what pg parses from them; the engine opens one pool, takes one lock and
// reads one journal per physical database, whichever pair shares it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type pg from 'pg';
import type { Config } from '../../src/config.js';
import type { Asker, StepModule } from '../../src/core/step.js';
import { physicalDatabase, sameDatabase, serviceNames, type Db, type Service } from '../../src/db/connection.js';
import type { DatabaseAccess } from '../../src/engine/databases.js';
import { Engine } from '../../src/engine/index.js';
import { UserError } from '../../src/errors.js';
import type { StepDef } from '../../src/runbook/steps.js';
import { StateFile } from '../../src/state/index.js';

describe('physicalDatabase', () => {
  test('the same host, port and database written differently is one database', () => {
    assert.ok(sameDatabase('postgres://synnefo:pw@DB.example.org/snf_apps', 'postgresql://other@db.example.org:5432/snf_apps?sslmode=disable'));
    assert.ok(sameDatabase('postgres:///snf_apps?host=/var/run/postgresql', 'postgres://u@%2Fvar%2Frun%2Fpostgresql/snf_apps'));
    assert.equal(physicalDatabase('postgres:///snf_apps?host=/var/run/postgresql'), '/var/run/postgresql:5432/snf_apps');
  });

  test('another database, port or host is another database', () => {
    assert.ok(!sameDatabase('postgres://db/snf_apps', 'postgres://db/snf_pithos'));
    assert.ok(!sameDatabase('postgres://db/snf_apps', 'postgres://db:5433/snf_apps'));
    assert.ok(!sameDatabase('postgres://db1/snf_apps', 'postgres://db2/snf_apps'));
    assert.ok(!sameDatabase('pglite:/tmp/a', 'pglite:/tmp/b'));
    assert.ok(sameDatabase('pglite:/tmp/a', 'pglite:/tmp/a/'));
  });

  test('a shared database is named for every service in it', () => {
    assert.equal(serviceNames({ service: 'astakos' }), 'astakos');
    assert.equal(serviceNames({ service: 'cyclades', services: ['astakos', 'cyclades'] }), 'astakos and cyclades');
  });
});

const PAIRS: [Service, Service][] = [['astakos', 'cyclades'], ['cyclades', 'pithos'], ['astakos', 'pithos']];
const STEP = 'fake';
const asker: Asker = { interactive: false, acceptSuggestions: false, confirm: async () => false, answer: () => undefined };

/** Fake databases keyed by physical database: what the engine opened, locked and journaled. */
function fakeDatabases() {
  const opened: string[] = [];
  const locked: string[] = [];
  const journal = new Map<string, Set<string>>();
  const rows = (db: Db) => journal.get(physicalDatabase(db.url)) ?? journal.set(physicalDatabase(db.url), new Set()).get(physicalDatabase(db.url))!;
  const access: DatabaseAccess = {
    open: async (service, url) => { opened.push(`${service}@${physicalDatabase(url)}`); return { service, url, label: physicalDatabase(url), pool: {} as pg.Pool, embedded: true, close: async () => undefined }; },
    lock: async (db) => { locked.push(serviceNames(db)); return { db, backendPid: 1000 + locked.length, lost: () => false, release: async () => undefined }; },
    lockHolder: async () => undefined,
    lockStillHeld: async () => true,
    ensureJournal: async () => undefined,
    readRecord: async (db) => ({ releases: {}, record: {
      journal: [...rows(db)].map((k) => ({ step: k.split('|')[0]!, batch: k.slice(k.indexOf('|') + 1), rows: 1, committedAt: new Date(0) })),
      done: [], decisions: [],
    } }),
    writeDecisions: async () => undefined,
    writeStep: async () => undefined,
    committedBatches: async (db, step) => [...rows(db)].filter((k) => k.startsWith(`${step}|`)).map((k) => ({ batch: k.slice(step.length + 1), rows: 1, committedAt: new Date(0) })),
    runBatch: async (db, opts, work) => {
      const key = `${opts.step}|${opts.batch}`;
      if (rows(db).has(key)) return { done: true, skipped: true, rows: 0 };
      const n = await work({} as pg.PoolClient);
      await opts.guard?.({} as pg.PoolClient);
      rows(db).add(key);
      return { done: true, skipped: false, rows: n };
    },
    otherSessions: async () => [],
    analyzeTables: async () => undefined,
    cancelRunning: async () => 0,
  };
  return { access, opened, locked, journal };
}

/** One batch in each service: both of a shared pair write through the one lock. */
const everyService: StepModule = {
  inspect: async () => ({ summary: [] }),
  plan: () => ({ summary: [], changes: [] }),
  apply: async (ctx) => {
    for (const s of ['astakos', 'cyclades', 'pithos'] as const) await ctx.batch(s, `${s} batch`, async () => 1);
    return { summary: [], rows: 3 };
  },
  verify: async () => [],
};

let root: string;
before(() => { root = mkdtempSync(join(tmpdir(), 'snf-shared-test-')); });
after(() => { rmSync(root, { recursive: true, force: true }); });

describe('the engine on a shared database', () => {
  for (const [a, b] of PAIRS) {
    test(`${a} and ${b} in one database: one pool, one lock, one journal, every batch once`, async () => {
      const dir = join(root, `${a}-${b}`);
      const urls: Record<Service, string> = { astakos: 'postgres://db/snf_astakos', cyclades: 'postgres://db/snf_cyclades', pithos: 'postgres://db/snf_pithos' };
      urls[a] = 'postgres://synnefo@db:5432/snf_apps';
      urls[b] = 'postgresql://db/snf_apps?sslmode=disable';
      const config: Config = { astakos: { db: urls.astakos }, cyclades: { db: urls.cyclades }, pithos: { db: urls.pithos }, state: join(dir, 'upgrade.db'), backups: join(dir, 'backups') };
      const state = StateFile.open(config.state, { create: true });
      const fake = fakeDatabases();
      const runbook: StepDef[] = [{ id: STEP, phase: '1', kind: 'migrate', title: 'A fake step', why: 'tests the runner', needs: [], verifiedBy: 'its batches', module: everyService }];
      const engine = new Engine(config, state, asker, 'snf-upgrade test', { databases: fake.access, runbook });
      const out = await engine.run(STEP);
      assert.equal(out.status, 'done');
      assert.equal(fake.opened.length, 2, 'one pool per physical database');
      assert.equal(fake.opened.filter((o) => o.endsWith('/snf_apps')).length, 1);
      assert.deepEqual(fake.locked.sort(), [`${a} and ${b}`, (['astakos', 'cyclades', 'pithos'] as const).find((s) => s !== a && s !== b)!].sort(), 'one lock per physical database, named for its services');
      assert.deepEqual([...fake.journal.get('db:5432/snf_apps')!].sort(), [`${STEP}|${a} batch`, `${STEP}|${b} batch`]);
      assert.deepEqual(state.batchesFor(STEP).map((x) => x.batch).sort(), ['astakos batch', 'cyclades batch', 'pithos batch'], 'each batch recorded once');
      const [dbA, dbB] = [await engine.db(a), await engine.db(b)];
      assert.equal(dbA.pool, dbB.pool, 'both services use the one pool');
      assert.deepEqual([dbA.service, dbB.service], [a, b]);
      assert.deepEqual(dbB.services, [a, b]);
      assert.deepEqual(engine.databaseGroups().filter((g) => g.length > 1), [[a, b]]);
      assert.deepEqual((await engine.lockHolders()).map((l) => l.services.join('+')).filter((n) => n.includes('+')), [`${a}+${b}`]);
      await engine.close();
      state.close();
    });
  }

  test('a step killed after a batch committed in the shared database: said once, mirrored once, not run again', async () => {
    const dir = join(root, 'killed');
    const config: Config = { astakos: { db: 'postgres://db/snf_apps' }, cyclades: { db: 'postgres://db/snf_apps' }, pithos: { db: 'postgres://db/snf_pithos' }, state: join(dir, 'upgrade.db'), backups: join(dir, 'backups') };
    const state = StateFile.open(config.state, { create: true });
    const fake = fakeDatabases();
    fake.journal.set('db:5432/snf_apps', new Set([`${STEP}|astakos batch`]));
    state.markRunning(STEP, null); // as the killed session left it
    const runbook: StepDef[] = [{ id: STEP, phase: '1', kind: 'migrate', title: 'A fake step', why: 'tests the runner', needs: [], verifiedBy: 'its batches', module: everyService }];
    const engine = new Engine(config, state, asker, 'snf-upgrade test', { databases: fake.access, runbook });
    const said = await engine.interrupted();
    assert.equal(said?.text, `The last session stopped during ${STEP}: 1 batch(es) in astakos and cyclades had committed; running it again continues after them.`);
    assert.equal((await engine.run(STEP)).status, 'done');
    assert.deepEqual(state.batchesFor(STEP).map((x) => x.batch).sort(), ['astakos batch', 'cyclades batch', 'pithos batch']);
    await engine.close();
    state.close();
  });

  test('a lock held by another runner is named for every service in the database', async () => {
    const dir = join(root, 'held');
    const config: Config = { astakos: { db: 'postgres://db/snf_apps' }, cyclades: { db: 'postgres://db/snf_apps' }, pithos: { db: 'postgres://db/snf_pithos' }, state: join(dir, 'upgrade.db'), backups: join(dir, 'backups') };
    const state = StateFile.open(config.state, { create: true });
    const fake = fakeDatabases();
    const access: DatabaseAccess = { ...fake.access, lock: async (db) => { throw new UserError(`the ${serviceNames(db)} database is locked by someone`, 'wait'); } };
    const engine = new Engine(config, state, asker, 'snf-upgrade test', { databases: access });
    await assert.rejects(engine.lock(), (err: unknown) => err instanceof UserError && err.message === 'the astakos and cyclades database is locked by someone');
    await engine.close();
    state.close();
  });
});
