// npm run crash-matrix -- [--minutes N] [--trials N] [--seed N] [--per-sandbox N]
//
// The crash matrix at length (test/reliability-crash.test.ts runs a bounded number of trials):
// rounds of one fresh sandbox (its seed drawn from --seed), one uninterrupted baseline run and
// --per-sandbox trials, until --trials trials ran or --minutes passed; then the summary table.
// On SNF_TEST_PG_URL's server when set (databases named with SNF_TEST_DB_PREFIX), else embedded.
// Each failed trial is printed with the command that replays its round.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CrashSandbox, crashName, describePlan, planTrials, prng, summaryTable, TARGETS, type TrialResult, runTrial } from '../test/helpers/crash-matrix.js';

const { values: flags } = parseArgs({
  args: process.argv.slice(2),
  options: {
    minutes: { type: 'string', default: '25' },
    trials: { type: 'string', default: '100000' },
    seed: { type: 'string' },
    'per-sandbox': { type: 'string', default: String(TARGETS.length * 3) },
  },
  strict: true,
});

const seed = flags.seed !== undefined ? Number(flags.seed) : Math.floor(Math.random() * 2 ** 31);
const deadline = Date.now() + Number(flags.minutes) * 60_000;
const maxTrials = Number(flags.trials);
const perSandbox = Number(flags['per-sandbox']);
const out = (s: string) => process.stdout.write(`${s}\n`);
const mode = process.env.SNF_TEST_PG_URL ? 'PostgreSQL server' : 'embedded PostgreSQL';

out(`crash matrix: seed ${seed}, ${mode}, up to ${maxTrials} trial(s) or ${flags.minutes} min, ${perSandbox} per sandbox`);
const rnd = prng(seed);
const results: TrialResult[] = [];
const t0 = Date.now();
let rounds = 0;
while (results.length < maxTrials && Date.now() < deadline) {
  const roundSeed = Math.floor(rnd() * 2 ** 31);
  const sandboxSeed = 1 + (roundSeed % 1000);
  rounds++;
  const sb = new CrashSandbox(mkdtempSync(join(tmpdir(), 'snf-crash-')), crashName('full'), sandboxSeed);
  try {
    await sb.create();
    const base = await sb.baseline(new Set(TARGETS));
    const plans = planTrials(roundSeed, Math.min(perSandbox, maxTrials - results.length), base);
    out(`round ${rounds}: sandbox seed ${sandboxSeed}, trial seed ${roundSeed}, batches ${JSON.stringify(base.batches)}`);
    for (const [i, plan] of plans.entries()) {
      if (Date.now() >= deadline) break;
      const r = await runTrial(sb, base, plan, { lastUse: !plans.slice(i + 1).some((p) => p.step === plan.step) });
      results.push(r);
      const verdict = r.problems.length ? `MISMATCH\n    ${r.problems.slice(0, 12).join('\n    ')}` : 'ok';
      out(`  ${describePlan(plan)}: ${r.landed} kill(s) landed, ${(r.ms / 1000).toFixed(1)} s: ${verdict}`);
      if (r.problems.length) {
        out(`    replay: SNF_CRASH_SANDBOX_SEED=${sandboxSeed} SNF_CRASH_SEED=${roundSeed} SNF_CRASH_TRIALS=${plan.n} SNF_CRASH_ONLY=${plan.n} node --import tsx --test test/reliability-crash.test.ts`);
      }
    }
  } finally {
    await sb.drop();
  }
}
out('');
out(`${results.length} trial(s) in ${rounds} sandbox(es), ${((Date.now() - t0) / 60_000).toFixed(1)} min, ${mode}, seed ${seed}`);
out('');
out(summaryTable(results));
process.exitCode = results.some((r) => r.problems.length) ? 1 : 0;
