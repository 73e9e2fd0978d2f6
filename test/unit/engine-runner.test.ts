// The step runner's rules without a database server: a fake StepModule over fake service
// databases (an in-memory journal and runner locks) and a real state file. Exactly-once
// batches reconciled with the journal, a stop between batches, a lock lost mid-step.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import type pg from 'pg';
import type { Config } from '../../src/config.js';
import type { Asker, StepModule } from '../../src/core/step.js';
import type { Db, Service } from '../../src/db/connection.js';
import type { LockHolder } from '../../src/db/lock.js';
import type { DatabaseAccess } from '../../src/engine/databases.js';
import { Engine, type EngineEvent } from '../../src/engine/index.js';
import { UserError } from '../../src/errors.js';
import type { StepDef } from '../../src/runbook/steps.js';
import { StateFile } from '../../src/state/index.js';

const SERVICES: Service[] = ['astakos', 'cyclades', 'pithos'];
const STEP = 'fake';
const BATCHES = ['b1', 'b2', 'b3'];

/** A batch's connection: what its work wrote, kept only when the batch commits. */
interface FakeClient { service: Service; pending: string[] }

/** The service databases as the engine sees them: journal rows, committed data, lock state. */
class FakeDatabases {
  /** service → "step|batch" → rows: the snf_upgrade_journal of each database. */
  journal = new Map<Service, Map<string, number>>(SERVICES.map((s) => [s, new Map()]));
  /** What committed batches wrote, per service. */
  data = new Map<Service, string[]>(SERVICES.map((s) => [s, []]));
  /** Lock connections that were cut (a server restart, an administrator). */
  cut = new Set<Service>();
  /** Services whose lock the runner no longer holds when a batch checks before COMMIT. */
  lostInBatch = new Set<Service>();
  /** Who each database says holds its lock (another runner after a take-over). */
  holders = new Map<Service, LockHolder>();
  /** Backend pid of each lock this runner took. */
  ours = new Map<Service, number>();

  access(): DatabaseAccess {
    return {
      open: async (service, url) => ({ service, url, label: `fake/${service}`, pool: {} as pg.Pool, embedded: true, close: async () => undefined }),
      lock: async (db: Db) => {
        const backendPid = 1000 + this.ours.size;
        this.ours.set(db.service, backendPid);
        return { db, backendPid, lost: () => this.cut.has(db.service), release: async () => undefined };
      },
      lockHolder: async (db) => this.holders.get(db.service),
      lockStillHeld: async (client) => !this.lostInBatch.has((client as unknown as FakeClient).service),
      ensureJournal: async () => undefined,
      readRecord: async (db) => ({ releases: {}, record: {
        journal: [...this.journal.get(db.service)!].map(([k, rows]) => ({ step: k.split('|')[0]!, batch: k.slice(k.indexOf('|') + 1), rows, committedAt: new Date(0) })),
        done: [], decisions: [],
      } }),
      writeDecisions: async () => undefined,
      writeStep: async () => undefined,
      committedBatches: async (db, step) => [...this.journal.get(db.service)!]
        .filter(([key]) => key.startsWith(`${step}|`))
        .map(([key, rows]) => ({ batch: key.slice(step.length + 1), rows, committedAt: new Date(0) })),
      runBatch: async (db, opts, work) => {
        const rows = this.journal.get(db.service)!;
        const key = `${opts.step}|${opts.batch}`;
        if (rows.has(key)) return { done: true, skipped: true, rows: 0 };
        const client: FakeClient = { service: db.service, pending: [] };
        // Everything below is one transaction: a throw keeps nothing of it.
        const n = await work(client as unknown as pg.PoolClient);
        await opts.guard?.(client as unknown as pg.PoolClient);
        await opts.beforeCommit?.(n);
        rows.set(key, n);
        this.data.get(db.service)!.push(...client.pending);
        return { done: true, skipped: false, rows: n };
      },
      otherSessions: async () => [],
      analyzeTables: async () => undefined,
      cancelRunning: async () => 0,
    };
  }
}

/** Each batch deletes one row of astakos (with its before-image); DURING runs inside batch work. */
function batchedModule(work: string[], during: (batch: string) => void = () => undefined): StepModule {
  return {
    inspect: async () => ({ summary: [`${BATCHES.length} batches`] }),
    plan: () => ({ summary: [], changes: [] }),
    apply: async (ctx) => {
      let rows = 0;
      for (const batch of BATCHES) {
        if (ctx.stopRequested()) return { summary: [`stopped before ${batch}`], rows, stopped: true };
        const r = await ctx.batch('astakos', batch, async (client, keep) => {
          work.push(batch);
          keep([{ service: 'astakos', table: 'auth_user', pk: batch, row: { id: batch }, action: 'delete' }]);
          (client as unknown as FakeClient).pending.push(batch);
          during(batch);
          return 1;
        });
        rows += r.rows;
      }
      return { summary: [`${rows} rows`], rows };
    },
    verify: async () => [{ label: 'every batch applied', ok: true }],
  };
}

const asker: Asker = { interactive: false, acceptSuggestions: false, confirm: async () => false, answer: () => undefined };

let root: string;
let counter = 0;
before(() => { root = mkdtempSync(join(tmpdir(), 'snf-engine-test-')); });
after(() => { rmSync(root, { recursive: true, force: true }); });

interface World { engine: Engine; state: StateFile; dbs: FakeDatabases; work: string[]; events: EngineEvent[]; statePath: string; config: Config }

function world(during?: (batch: string, w: World) => void): World {
  const dir = join(root, `case-${++counter}`);
  const config: Config = {
    astakos: { db: 'postgres://db1/astakos' }, cyclades: { db: 'postgres://db1/cyclades' }, pithos: { db: 'postgres://db2/pithos' },
    state: join(dir, 'upgrade.db'), backups: join(dir, 'backups'),
  };
  const state = StateFile.open(config.state, { create: true });
  const dbs = new FakeDatabases();
  const work: string[] = [];
  const w = {} as World;
  const runbook: StepDef[] = [{
    id: STEP, phase: '1', kind: 'migrate', title: 'A fake step', why: 'tests the runner', needs: [], verifiedBy: 'its batches',
    module: batchedModule(work, (b) => during?.(b, w)),
  }];
  const engine = new Engine(config, state, asker, 'snf-upgrade test', { databases: dbs.access(), runbook });
  const events: EngineEvent[] = [];
  engine.on((e) => events.push(e));
  Object.assign(w, { engine, state, dbs, work, events, statePath: config.state, config });
  return w;
}

const done = (w: World) => w.state.batchesFor(STEP).map((b) => `${b.batch}:${b.rows}`);

describe('the step runner (fake databases)', () => {
  let w: World;
  beforeEach(() => { w = world(); });

  test('runs every batch once, records each in the state file, and changes nothing when run again', async () => {
    const out = await w.engine.run(STEP);
    assert.equal(out.status, 'done');
    assert.deepEqual(w.work, BATCHES);
    assert.deepEqual(done(w), ['b1:1', 'b2:1', 'b3:1']);
    assert.deepEqual(w.dbs.data.get('astakos'), BATCHES);
    assert.equal(w.state.countBeforeImages(STEP), 3);
    assert.equal(w.state.getStep(STEP).status, 'done');
    const again = await w.engine.run(STEP);
    assert.equal(again.status, 'already-done');
    assert.deepEqual(w.work, BATCHES, 'no batch ran twice');
    await w.engine.close();
    w.state.close();
  });

  test('a batch the journal has but the state file missed (killed after COMMIT) is mirrored, not run again; images of a batch that never committed are dropped', async () => {
    w.dbs.journal.get('astakos')!.set(`${STEP}|b1`, 7);
    w.state.addBeforeImages(STEP, 'b-never-committed', [{ service: 'astakos', table: 'auth_user', pk: 1, row: {}, action: 'delete' }]);
    w.state.markRunning(STEP, null); // as the killed session left it
    const out = await w.engine.run(STEP);
    assert.equal(out.status, 'done');
    assert.deepEqual(w.work, ['b2', 'b3'], 'the committed batch is not run again');
    assert.deepEqual(done(w), ['b1:7', 'b2:1', 'b3:1'], 'the committed batch recorded once, with the journal\'s row count');
    assert.deepEqual(w.state.beforeImageBatches(STEP), ['b2', 'b3']);
    assert.equal(w.dbs.journal.get('astakos')!.size, 3);
    await w.engine.close();
    w.state.close();
  });

  test('a stop asked during a batch ends the step after that batch; the next run continues after it', async () => {
    w = world((batch, x) => { if (batch === 'b2') x.engine.requestStop(); });
    const out = await w.engine.run(STEP);
    assert.equal(out.status, 'stopped');
    assert.deepEqual(out.summary, ['stopped before b3']);
    assert.deepEqual(w.work, ['b1', 'b2'], 'the batch that was running finished; no later one started');
    assert.deepEqual(w.dbs.data.get('astakos'), ['b1', 'b2']);
    assert.equal(w.state.getStep(STEP).status, 'pending', 'a stopped step can simply run again');
    assert.ok(w.events.some((e) => e.type === 'step-stopped' && e.step === STEP));
    const resumed = await w.engine.run(STEP);
    assert.equal(resumed.status, 'done');
    assert.deepEqual(w.work, BATCHES, 'each batch ran exactly once over both runs');
    assert.deepEqual(done(w), ['b1:1', 'b2:1', 'b3:1']);
    await w.engine.close();
    w.state.close();
  });

  test('a lock connection cut between batches stops the step before the next batch; nothing half-done', async () => {
    w = world((batch, x) => { if (batch === 'b1') x.dbs.cut.add('astakos'); });
    await assert.rejects(w.engine.run(STEP), (err: unknown) => err instanceof UserError
      && /^the connection holding the astakos lock was closed \(a server restart or an administrator\) during fake; stopped before the next batch, nothing half-done$/.test(err.message)
      && /run the same command again to resume/.test(err.next));
    assert.deepEqual(w.work, ['b1']);
    assert.deepEqual(done(w), ['b1:1'], 'the batch before the cut is kept');
    assert.equal(w.state.getStep(STEP).status, 'failed');
    await w.engine.close('failed');
    w.state.close();
  });

  test('a lock lost inside a batch rolls that batch back: no journal row, no data, no before-image', async () => {
    w = world((batch, x) => { if (batch === 'b2') x.dbs.lostInBatch.add('astakos'); });
    await assert.rejects(w.engine.run(STEP), (err: unknown) => err instanceof UserError
      && /^lost the lock on the astakos database during fake, batch 2 \("b2"\); nothing of that batch was kept$/.test(err.message));
    assert.deepEqual(w.work, ['b1', 'b2']);
    assert.deepEqual([...w.dbs.journal.get('astakos')!.keys()], [`${STEP}|b1`]);
    assert.deepEqual(w.dbs.data.get('astakos'), ['b1']);
    assert.deepEqual(done(w), ['b1:1']);
    assert.deepEqual(w.state.beforeImageBatches(STEP), ['b1']);
    assert.equal(w.state.getStep(STEP).status, 'failed');
    await w.engine.close('failed');
    w.state.close();
  });

  test('a runner that took a database lock over is named; the rolled-back batch is said so', async () => {
    w = world((batch, x) => {
      if (batch !== 'b3') return;
      x.dbs.lostInBatch.add('astakos');
      x.dbs.holders.set('astakos', { host: 'db-admin', pid: 4242, command: 'snf-upgrade run fake', since: new Date(), backendPid: 9999, connected: true });
    });
    await assert.rejects(w.engine.run(STEP), (err: unknown) => err instanceof UserError
      && /^snf-upgrade run fake \(process 4242 on db-admin\) took over the astakos lock during fake, batch 3 \("b3"\); nothing of that batch was kept$/.test(err.message));
    assert.deepEqual(done(w), ['b1:1', 'b2:1']);
    await w.engine.close('failed');
    w.state.close();
  });

  test('a runner that took the state file over gets the step: this one stops before its next batch and leaves the record alone', async () => {
    let other: StateFile | undefined;
    w = world((batch, x) => {
      if (batch !== 'b1') return;
      other = StateFile.open(x.statePath, { identity: { host: 'elsewhere', pid: 77 } });
      other.acquireLock({ command: 'snf-upgrade wizard', force: true });
    });
    await assert.rejects(w.engine.run(STEP), (err: unknown) => err instanceof UserError
      && /^snf-upgrade wizard \(process 77 on elsewhere\) took over the state file during fake; stopped before the next batch, nothing half-done$/.test(err.message));
    assert.deepEqual(w.work, ['b1']);
    assert.equal(w.state.getStep(STEP).status, 'running', 'the new holder decides what the step\'s record says');
    await w.engine.close('failed');
    other!.close();
    w.state.close();
  });

  test('decisions are written only by the runner that holds the lock', async () => {
    const choice = [{ key: 'a@example.org', value: 12, source: 'operator' as const }];
    assert.throws(() => w.engine.decide(STEP, choice), (err: unknown) => err instanceof UserError
      && /^this session does not hold the runner lock: the decisions for fake were not recorded$/.test(err.message));
    assert.equal(w.state.getDecisions(STEP).size, 0);
    await w.engine.lock();
    w.engine.decide(STEP, choice);
    assert.equal(w.state.getDecision(STEP, 'a@example.org')?.value, 12);
    await w.engine.close();
    w.state.close();
  });
});
