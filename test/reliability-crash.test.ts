// The crash matrix (reliability): for every migrating step, and step 1's backup, a real CLI
// process killed with SIGKILL inside a batch's transaction, between the PostgreSQL commit and
// the state-file update, while a backup is written, or after a random delay; restarted (and
// maybe killed again), the upgrade finished; then the three databases must equal, table by
// table, those of the uninterrupted run on the same sandbox, and the state file must agree
// with the databases. Kill points come from a seeded PRNG; the seed and each trial's plan are
// printed, and replay with SNF_CRASH_SEED=… SNF_CRASH_TRIALS=… (SNF_CRASH_SANDBOX_SEED=… for
// the sandbox). CI runs one trial per step; npm run crash-matrix runs many.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  CrashSandbox, crashName, describePlan, planTrials, runTrial, summaryTable, TARGETS, trialSteps,
  type Baseline, type TrialPlan, type TrialResult,
} from './helpers/crash-matrix.js';
import { deploymentHashes, hashDifferences, tableHashes } from './helpers/db-hash.js';
import { openDb } from '../src/db/connection.js';
import { cleanupAll, emptyDatabases, tempDir, usingServer } from './support.js';

const envInt = (name: string, fallback: number): number => {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number, not "${v}"`);
  return n;
};

const SEED = envInt('SNF_CRASH_SEED', Math.floor(Math.random() * 2 ** 31));
// CI: one trial per target on a server; embedded databases start slowly in every process, so
// fewer there (the random seed moves the round-robin's start, so CI runs cover them in turn)
const TRIALS = envInt('SNF_CRASH_TRIALS', usingServer() ? TARGETS.length : 3);
const SANDBOX_SEED = envInt('SNF_CRASH_SANDBOX_SEED', 1 + (SEED % 1000));
/** SNF_CRASH_ONLY=3,8: replay only those trials (of the SNF_CRASH_TRIALS the seed plans). */
const ONLY = process.env.SNF_CRASH_ONLY ? new Set(process.env.SNF_CRASH_ONLY.split(',').map(Number)) : undefined;

after(cleanupAll);

describe('the per-table hash', () => {
  test('sees a changed value, swapped values and a missing row, not the order of rows or a normalised column', async () => {
    const urls = await emptyDatabases('crash_hash');
    const db = await openDb('astakos', urls.astakos, { max: 1 });
    try {
      const q = (sql: string) => db.pool.query(sql);
      await q('CREATE TABLE t (id int, name text, note text); CREATE TABLE snf_upgrade_journal (step text, batch text, run_id text, rows_changed bigint, committed_at timestamptz)');
      const fill = async (rows: string) => { await q('TRUNCATE t'); await q(`INSERT INTO t VALUES ${rows}`); };
      await q("INSERT INTO snf_upgrade_journal VALUES ('5', 'b1', '1', 2, now())");
      await fill("(1, 'a', NULL), (2, 'b', 'x'), (3, 'c', 'y')");
      const base = await tableHashes(db.pool);
      await q("UPDATE snf_upgrade_journal SET run_id = '7', committed_at = now() - interval '1 day'");
      await fill("(3, 'c', 'y'), (2, 'b', 'x'), (1, 'a', NULL)");
      assert.deepEqual(hashDifferences(base, await tableHashes(db.pool)), []);
      await fill("(1, 'a', NULL), (2, 'b', 'z'), (3, 'c', 'y')");
      assert.deepEqual(hashDifferences(base, await tableHashes(db.pool)), ['t: 3 rows, differing in note']);
      await fill("(1, 'a', NULL), (2, 'c', 'x'), (3, 'b', 'y')");
      assert.deepEqual(hashDifferences(base, await tableHashes(db.pool)), ['t: 3 rows, differing in row combinations only']);
      await fill("(2, 'b', 'x'), (3, 'c', 'y')");
      assert.deepEqual(hashDifferences(base, await tableHashes(db.pool)), ['t: 2 rows instead of 3, differing in id, name, note']);
      // serial ids and foreign keys to them: compared by rank, so gaps (a rolled-back batch) do not count
      await q('CREATE TABLE p (id serial PRIMARY KEY, v text); CREATE TABLE c (p_id int REFERENCES p (id), w text)');
      await q("INSERT INTO p (v) VALUES ('one'), ('two'); INSERT INTO c VALUES (1, 'x'), (2, 'y')");
      const serials = await tableHashes(db.pool);
      await q("TRUNCATE c, p; SELECT setval('p_id_seq', 40); INSERT INTO p (v) VALUES ('one'), ('two'); INSERT INTO c VALUES (41, 'x'), (42, 'y')");
      assert.deepEqual(hashDifferences(serials, await tableHashes(db.pool)), []);
      await q("UPDATE c SET p_id = 83 - p_id");
      assert.deepEqual(hashDifferences(serials, await tableHashes(db.pool)), ['c: 2 rows, differing in row combinations only']);
      // the journal: per step, the rows its batches changed, whatever the batches' names and times
      const journalled = await tableHashes(db.pool);
      await q("UPDATE snf_upgrade_journal SET batch = 'b2', run_id = '9', committed_at = now()");
      assert.deepEqual(hashDifferences(journalled, await tableHashes(db.pool)), []);
      await q("UPDATE snf_upgrade_journal SET rows_changed = 3");
      assert.deepEqual(hashDifferences(journalled, await tableHashes(db.pool)), ['snf_upgrade_journal: 1 rows, differing in rows_changed']);
    } finally {
      await db.close();
    }
  });
});

describe(`crash matrix (seed ${SEED}, sandbox seed ${SANDBOX_SEED}, ${TRIALS} trial(s))`, () => {
  let sb: CrashSandbox;
  let base: Baseline;
  let plans: TrialPlan[] = [];
  let baselineMs = 0;
  const results: TrialResult[] = [];

  before(async () => {
    sb = new CrashSandbox(join(tempDir('crash-'), 'sandbox'), crashName('matrix'), SANDBOX_SEED);
    await sb.create();
    const t0 = Date.now();
    base = await sb.baseline(new Set(trialSteps(SEED, TRIALS).filter((_, i) => !ONLY || ONLY.has(i + 1))));
    baselineMs = Date.now() - t0;
    plans = planTrials(SEED, TRIALS, base);
  });
  after(async () => { await sb?.drop(); });

  test('the uninterrupted run commits batches in every migrating step, and the comparison sees what a step changes', async (t) => {
    t.diagnostic(`replay: SNF_CRASH_SEED=${SEED} SNF_CRASH_SANDBOX_SEED=${SANDBOX_SEED} SNF_CRASH_TRIALS=${TRIALS}`);
    t.diagnostic(`sandbox and uninterrupted run: ${(baselineMs / 1000).toFixed(1)} s; batches per step: ${JSON.stringify(base.batches)}`);
    for (const step of TARGETS.filter((s) => s !== '1')) {
      assert.ok((base.batches[step] ?? 0) >= 1, `step ${step} committed at least one batch`);
    }
    assert.ok(Object.values(base.batches).filter((n) => n >= 3).length >= 6, 'most steps have several batches to be killed between');
    // the comparison sees what a step changes: a snapshot taken before one differs from the end
    const first = plans.find((p) => !ONLY || ONLY.has(p.n))!;
    await sb.restore(first.step);
    assert.notDeepEqual(hashDifferences(base.hashes, await deploymentHashes(sb.urls)), []);
  });

  test('every planned trial covers the targets round-robin', () => {
    const covered = new Set(plans.map((p) => p.step));
    assert.equal(plans.length, TRIALS);
    assert.equal(covered.size, Math.min(TRIALS, TARGETS.length));
  });

  test('trials: killed, restarted, finished; equal to the uninterrupted run', async (t) => {
    const run = plans.filter((p) => !ONLY || ONLY.has(p.n));
    for (const [i, plan] of run.entries()) {
      t.diagnostic(describePlan(plan));
      const r = await runTrial(sb, base, plan, { lastUse: !run.slice(i + 1).some((p) => p.step === plan.step) });
      results.push(r);
      t.diagnostic(`  ${r.landed} kill(s) landed; ${r.problems.length ? `${r.problems.length} problem(s)` : 'equal'} (${(r.ms / 1000).toFixed(1)} s)`);
      for (const p of r.problems) t.diagnostic(`  ${p}`);
    }
    for (const line of summaryTable(results).split('\n')) t.diagnostic(line);
    const failed = results.filter((r) => r.problems.length);
    assert.deepEqual(failed.map((r) => `${describePlan(r.plan)}: ${r.problems.join('; ')}`), [],
      `replay: SNF_CRASH_SEED=${SEED} SNF_CRASH_SANDBOX_SEED=${SANDBOX_SEED} SNF_CRASH_TRIALS=${TRIALS}`);
    // every kill kind landed at least once when there were enough trials for it
    if (!ONLY && TRIALS >= TARGETS.length) assert.ok(results.reduce((n, r) => n + r.landed, 0) >= TRIALS / 2, 'most planned kills landed');
  });
});
