// Concurrency (issue #9): two runners on one deployment, a take-over of a live runner, and an
// upstream service connecting while a step runs. Each ends with the databases equal to an
// uninterrupted run and no batch applied twice (the journal's primary key would refuse it,
// and the batch list equals the reference's).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { cleanupAll, spawnCli, usingServer } from './support.js';
import {
  assertLikeReference, BATCH_ENV, cli, errorLines, journal, prepared, referenceRun, startPaused, withState, type Prepared,
} from './helpers/reliability.js';

after(cleanupAll);

let reference: Awaited<ReturnType<typeof referenceRun>>;
before(async () => { reference = await referenceRun('rc_t_ref'); });

const run64 = (p: Prepared, ...more: string[]) => ['run', '6.4', '--accept-suggestions', '--config', p.cfg, ...more];

/** Collects a child's output and exit code. */
function collect(child: ReturnType<typeof spawnCli>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => { stdout += d; });
  child.stderr!.on('data', (d) => { stderr += d; });
  return new Promise((res) => child.on('close', (code) => res({ code, stdout, stderr })));
}

/** A second config for the same databases with its own state file (a runner from another folder). */
function otherStateConfig(p: Prepared): string {
  const cfg = join(p.dir, 'other.json');
  const state = join(p.dir, 'other-state.db');
  writeFileSync(cfg, JSON.stringify({ ...JSON.parse(readFileSync(p.cfg, 'utf8')), state }));
  withState(state, (s) => { for (const id of ['1', '2.1', '2.2', '3.1', '3.2', '6.2']) s.markDone(id); });
  return cfg;
}

const HAVE_TMUX = spawnSync('tmux', ['-V']).status === 0;

/** Starts the wizard on CFG in a detached 80×24 terminal and returns its screen once it shows WHAT. */
async function wizardScreen(cfg: string, what: RegExp): Promise<string> {
  const session = `snf-conc-${process.pid}`;
  const root = resolve(import.meta.dirname, '..');
  // -u CI: Ink renders only the last frame when it believes it runs under CI.
  execFileSync('tmux', ['new-session', '-d', '-s', session, '-x', '80', '-y', '24',
    `cd '${root}' && env -u CI node --import tsx test/helpers/cli.ts --config '${cfg}'; sleep 600`]);
  try {
    let screen = '';
    for (let i = 0; i < 600 && !what.test(screen); i++) {
      await new Promise((r) => setTimeout(r, 100));
      screen = execFileSync('tmux', ['capture-pane', '-p', '-J', '-t', session], { encoding: 'utf8' });
    }
    return screen;
  } finally {
    spawnSync('tmux', ['kill-session', '-t', session]);
  }
}

describe('two runners on one deployment', () => {
  test('started at the same moment: exactly one runs, the other is told who holds the lock; the result equals an uninterrupted run', async () => {
    const p = await prepared('rc_t_two');
    const marker = join(p.dir, 'paused');
    const env = { ...BATCH_ENV, SNF_UPGRADE_FAULT: 'batch:after-commit#2:pause', SNF_UPGRADE_FAULT_MARKER: marker };
    const children = [spawnCli(run64(p), env), spawnCli(run64(p), env)];
    const results = children.map(collect);
    const first = await Promise.race(results.map((r, i) => r.then((x) => ({ i, ...x }))));
    for (let i = 0; !existsSync(marker); i++) {
      assert.ok(i < 1200, `the winner never reached its 2nd batch: ${first.stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const winner = children[1 - first.i]!;
    assert.equal(first.code, 1, first.stderr);
    assert.equal(readFileSync(marker, 'utf8').split('\n')[0], String(winner.pid), `the one that did not exit is paused: ${first.stderr}`);
    const [line, next] = errorLines(first.stderr);
    assert.ok(line && next, first.stderr);
    // Embedded, the loser may meet the winner's hold on a database (opened first, to check its
    // release) before the state file's lock: either names the winner.
    const held = usingServer() ? '' : `|^snf-upgrade: the embedded database \\S+ is in use by process ${winner.pid} on \\S+ since \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d$`;
    assert.match(line!, new RegExp(`^snf-upgrade: the upgrade is in use by process ${winner.pid} on \\S+ \\(snf-upgrade run 6\\.4\\) since \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d$${held}`));
    assert.match(next!, /wait for (it|that process) to finish/);

    // A runner with its own state file is stopped by the databases' own lock.
    const elsewhere = await cli(run64(p).map((a) => (a === p.cfg ? otherStateConfig(p) : a)), BATCH_ENV);
    assert.equal(elsewhere.code, 1, elsewhere.stderr);
    const [line2] = errorLines(elsewhere.stderr);
    if (usingServer()) assert.match(line2!, new RegExp(`^snf-upgrade: the astakos database is locked by \\S+ pid ${winner.pid} \\(snf-upgrade run 6\\.4\\) since `));
    else assert.match(line2!, new RegExp(`^snf-upgrade: the embedded database \\S+ is in use by process ${winner.pid} on \\S+ since `));

    // The wizard's start takes the same lock and opens on its lock screen, naming the holder.
    if (HAVE_TMUX) {
      const screen = await wizardScreen(p.cfg, /t take over/);
      const flat = screen.replace(/\s*\n\s*/g, ' ');
      assert.match(flat, /Another snf-upgrade holds the lock on this deployment/, screen);
      assert.match(flat, new RegExp(`state file \\S+ +${winner.pid} +\\d\\d:\\d\\d +running +snf-upgrade run 6\\.4`), screen);
      assert.match(flat, /It looks alive/, screen);
    }

    rmSync(marker);
    const won = await results[1 - first.i]!;
    assert.equal(won.code, 0, won.stderr);
    assert.ok(!won.stderr.includes('previous session'), 'the loser left no trace the winner has to clean up');
    await assertLikeReference(p, reference);
    console.log(`    the second runner saw:\n      ${errorLines(first.stderr).join('\n      ')}\n      ${errorLines(elsewhere.stderr).join('\n      ')}`);
  });

  test('--take-over of a live runner: its open batch rolls back and it stops; only the new runner writes', async () => {
    const p = await prepared('rc_t_take');
    const a = await startPaused(run64(p), 'batch:before-commit#2:pause', p.dir, BATCH_ENV);
    if (!usingServer()) {
      // The live process has the embedded database open: nothing can be taken from it.
      const b = await cli(run64(p, '--take-over'), BATCH_ENV);
      assert.equal(b.code, 1, b.stderr);
      assert.match(errorLines(b.stderr)[0]!, new RegExp(`^snf-upgrade: the embedded database \\S+ is in use by process ${a.child.pid} on \\S+ since `));
      assert.equal(withState(p.state, (s) => s.lockHolder()?.pid), a.child.pid, 'the state file lock was not taken either');
      rmSync(a.marker);
      const done = await a.done;
      assert.equal(done.code, 0, done.stderr);
      await assertLikeReference(p, reference);
      return;
    }
    // B takes over while A sits inside its 2nd batch (transaction open), and pauses after its own 1st.
    const b = await startPaused(run64(p, '--take-over'), 'batch:after-commit#1:pause', p.dir, BATCH_ENV);
    rmSync(a.marker);
    const stopped = await a.done;
    assert.equal(stopped.code, 1, stopped.stderr);
    const [line] = errorLines(stopped.stderr);
    assert.match(line!, new RegExp(`^snf-upgrade: snf-upgrade run 6\\.4 \\(process ${b.child.pid} on \\S+\\) took over the (astakos|cyclades|pithos) lock during 6\\.4, batch 2 \\("[^"]+"\\); nothing of that batch was kept$`));
    rmSync(b.marker);
    const done = await b.done;
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stderr, new RegExp(`warn: took over from snf-upgrade run 6\\.4, process ${a.child.pid} on \\S+ since [0-9: -]+ \\(--take-over\\): its sessions were ended, its open batch rolled back`));
    assert.equal(withState(p.state, (s) => s.getStep('6.4').status), 'done');
    await assertLikeReference(p, reference);
    console.log(`    the runner taken over from saw:\n      ${errorLines(stopped.stderr).join('\n      ')}`);
  });
});

describe('an upstream service connecting while a step runs', () => {
  test('detected before the next batch: the step stops naming the session, and resumes once it is gone', { skip: !usingServer() && 'embedded PostgreSQL serves only this process: no service can connect to it' }, async () => {
    const p = await prepared('rc_t_stray');
    const paused = await startPaused(run64(p), 'batch:after-commit#1:pause', p.dir, BATCH_ENV);
    const gunicorn = new pg.Client({ connectionString: p.urls.pithos, application_name: 'gunicorn' });
    await gunicorn.connect();
    try {
      rmSync(paused.marker);
      const stopped = await paused.done;
      assert.equal(stopped.code, 1, stopped.stderr);
      const [line, next] = errorLines(stopped.stderr);
      assert.match(line!, /^snf-upgrade: pithos has a session that is not snf-upgrade: gunicorn from 127\.0\.0\.1 as \S+ since [0-9: -]+ \(pid \d+\); 6\.4 stopped after 1 batch\(es\) of this run, nothing half-done$/);
      assert.match(next!, /stop that service \(services stay down until phase 11\), then run the same command again to resume/);
      assert.equal((await journal(p.urls.pithos)).length, 1);
      const still = await cli(run64(p), BATCH_ENV);
      assert.equal(still.code, 1, still.stderr);
      assert.match(errorLines(still.stderr)[0]!, /gunicorn .*; 6\.4 stopped before its first batch of this run, nothing half-done$/);
      console.log(`    the operator saw:\n      ${errorLines(stopped.stderr).join('\n      ')}`);
    } finally {
      await gunicorn.end();
    }
    const again = await cli(run64(p), BATCH_ENV);
    assert.equal(again.code, 0, again.stderr);
    await assertLikeReference(p, reference);
  });
});
