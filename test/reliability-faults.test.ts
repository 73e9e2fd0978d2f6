// Database faults while a step runs (issue #9): the connection cut mid-batch by the server,
// a statement timeout, the backup folder's disk full, and the lock holder killed. Each one:
// one clear line and a next step, no partial batch (the journal says so), and a re-run that
// resumes and ends with the same tables as an uninterrupted run.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupAll, copyStateFile, usingServer } from './support.js';
import {
  assertLikeReference, BATCH_ENV, cli, journal, prepared, referenceRun, startPaused, terminateSessionsOf, withDb, withState,
} from './helpers/reliability.js';

after(cleanupAll);

const noServer = !usingServer() && 'embedded PostgreSQL serves every client from one backend: there is no session of the tool to end';

// ------------------------------------------------------------------------ the reference

let reference: Awaited<ReturnType<typeof referenceRun>>;
before(async () => { reference = await referenceRun('rf_t_ref'); });

// ------------------------------------------------------------------------ faults

describe('database faults during a step', () => {
  test('the connection cut by the server inside a batch: one line, that batch rolled back, the re-run resumes', { skip: noServer }, async () => {
    const p = await prepared('rf_t_cut');
    const run = ['run', '6.4', '--accept-suggestions', '--config', p.cfg];
    const paused = await startPaused(run, 'batch:before-commit#3:pause', p.dir, BATCH_ENV);
    assert.ok(await terminateSessionsOf(paused.child.pid!) >= 2, 'the lock session and the batch session were ended');
    rmSync(paused.marker);
    const cut = await paused.done;
    assert.equal(cut.code, 1, cut.stderr);
    const lines = cut.stderr.split('\n');
    const line = lines.find((l) => l.startsWith('snf-upgrade: '));
    assert.match(line ?? '', /^snf-upgrade: the connection to pithos was closed by the server \(administrator command\) during 6\.4, batch 3 \("[^"]+"\); nothing of that batch was kept$/);
    assert.match(cut.stderr, /next: .*run the same command again to resume/);
    assert.ok(!cut.stderr.includes('unexpected error'), cut.stderr);
    assert.equal((await journal(p.urls.pithos)).length, 2, 'the two batches before it committed, the third did not');
    assert.equal(withState(p.state, (s) => s.getStep('6.4').status), 'failed');

    // Cut again, this time between batches: the lock's session is gone, the run stops before its next batch.
    const between = await startPaused(run, 'batch:after-commit#1:pause', p.dir, BATCH_ENV);
    assert.ok(await terminateSessionsOf(between.child.pid!) >= 1);
    rmSync(between.marker);
    const stopped = await between.done;
    assert.equal(stopped.code, 1, stopped.stderr);
    const line2 = stopped.stderr.split('\n').find((l) => l.startsWith('snf-upgrade: '));
    assert.match(line2 ?? '', /^snf-upgrade: the connections holding the astakos, cyclades and pithos locks were closed \(a server restart or an administrator\) during 6\.4; stopped before the next batch, nothing half-done$/);
    assert.equal((await journal(p.urls.pithos)).length, 3);

    const again = await cli(run, BATCH_ENV);
    assert.equal(again.code, 0, again.stderr);
    await assertLikeReference(p, reference);
    console.log(`    operator saw:\n      ${[...lines, ...stopped.stderr.split('\n')].filter((l) => l.startsWith('snf-upgrade') || l.includes('next:')).join('\n      ')}`);
  });

  test('a statement timeout inside a batch names the setting; after it is raised the step resumes',
    { skip: !usingServer() && 'embedded PostgreSQL runs every client in one long session, which a session setting never reaches' }, async () => {
    const p = await prepared('rf_t_timeout');
    const run = ['run', '6.4', '--accept-suggestions', '--config', p.cfg];
    // A slow disk, made certain: every journal insert (one per batch) takes 1.5 s, over a 1 s limit.
    await withDb('pithos', p.urls.pithos, async ({ pool }) => {
      await pool.query(`CREATE FUNCTION rf_slow() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(1.5); RETURN NEW; END $$`);
      await pool.query(`CREATE TRIGGER rf_slow BEFORE INSERT ON snf_upgrade_journal FOR EACH ROW WHEN (NEW.step = '6.4') EXECUTE PROCEDURE rf_slow()`);
      // The tool's own statement_timeout wins over the database's: the operator lowers it here.
      await pool.query(`ALTER DATABASE "${new URL(p.urls.pithos).pathname.slice(1)}" SET statement_timeout = '1h'`);
    });
    const slow = await cli(run, { SNF_UPGRADE_PITHOS_BATCH: '100000', SNF_UPGRADE_STATEMENT_TIMEOUT: '1s' });
    const line = slow.stderr.split('\n').find((l) => l.startsWith('snf-upgrade: '));
    assert.equal(slow.code, 1, slow.stderr);
    assert.match(line ?? '', /^snf-upgrade: a statement in the pithos database ran longer than statement_timeout \(1s\) during 6\.4, batch 1 \("[^"]+"\); nothing of that batch was kept$/);
    assert.match(slow.stderr, /next: raise it with SNF_UPGRADE_STATEMENT_TIMEOUT \(e\.g\. SNF_UPGRADE_STATEMENT_TIMEOUT=2h; .*\) or lower the batch size \(SNF_UPGRADE_PITHOS_BATCH\), then run the same command again to resume/);
    assert.deepEqual(await journal(p.urls.pithos), [], 'no batch committed');
    await withDb('pithos', p.urls.pithos, async ({ pool }) => {
      await pool.query(`ALTER DATABASE "${new URL(p.urls.pithos).pathname.slice(1)}" RESET statement_timeout`);
      await pool.query('DROP TRIGGER rf_slow ON snf_upgrade_journal');
    });
    const again = await cli(run, BATCH_ENV);
    assert.equal(again.code, 0, again.stderr);
    await assertLikeReference(p, reference);
    console.log(`    operator saw:\n      ${line}\n      ${slow.stderr.split('\n').find((l) => l.includes('next:'))}`);
  });

  test('the holder killed (kill -9) between batches: the next run takes the lock, says so, and finishes', async () => {
    const p = await prepared('rf_t_gone');
    const run = ['run', '6.4', '--accept-suggestions', '--config', p.cfg];
    const paused = await startPaused(run, 'batch:after-commit#2:pause', p.dir, BATCH_ENV);
    paused.child.kill('SIGKILL');
    assert.equal((await paused.done).code, null);
    rmSync(paused.marker, { force: true });
    const next = await cli(run, BATCH_ENV);
    assert.equal(next.code, 0, next.stderr);
    assert.match(next.stderr, new RegExp(`warn: the previous session \\(snf-upgrade run 6\\.4, process ${paused.child.pid} on \\S+ since [0-9-]+ [0-9:]+\\) ended without finishing; its lock went with it`));
    await assertLikeReference(p, reference);
    console.log(`    operator saw: ${next.stderr.split('\n').find((l) => l.includes('previous session'))!.trim()}`);
  });
});

// ------------------------------------------------------------------------ the backup folder full

function canMount(): boolean {
  return process.platform === 'linux' && process.getuid?.() === 0;
}

describe('the backup folder full', () => {
  test('the .partial file is removed, nothing is recorded, the line names the folder and the space; with space the next run works', { skip: !canMount() && 'mounting a tiny file system needs root on Linux' }, async (t) => {
    const p = await prepared('rf_t_full');
    const folder = join(p.dir, 'small-disk');
    mkdirSync(folder);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=32k', 'tmpfs', folder]);
    } catch (err) {
      t.skip(`cannot mount a tmpfs here: ${(err as Error).message.split('\n')[0]}`);
      return;
    }
    const cfg = join(p.dir, 'full.json');
    const state = join(p.dir, 'full-state.db');
    copyStateFile(p.state, state); // this deployment's record (a new file would disagree with its journals)
    writeFileSync(cfg, JSON.stringify({ astakos: { db: p.urls.astakos }, cyclades: { db: p.urls.cyclades }, pithos: { db: p.urls.pithos }, state, backups: folder }));
    const recorded = withState(state, (s) => s.listBackups().length); // step 1's and a phase's, in the fixture's own folder
    try {
      // `backup` takes the same checked backups as step 1 (this deployment is past step 1).
      const full = await cli(['backup', '--config', cfg]);
      assert.equal(full.code, 1, full.stderr);
      const line = full.stderr.split('\n').find((l) => l.startsWith('snf-upgrade: '));
      assert.match(line ?? '', new RegExp(`^snf-upgrade: the backup folder ${folder.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is full: the astakos backup needs (up to )?[0-9.]+ (KiB|MiB).*, [0-9.]+ (B|KiB) free; nothing was recorded$`));
      assert.match(full.stderr, /next: free space there \(or point "backups" in the config at a bigger disk\), then run the same command again/);
      assert.deepEqual(readdirSync(folder).filter((f) => f.endsWith('.partial')), [], 'no half-written file is left');
      assert.equal(withState(state, (s) => s.listBackups().length), recorded, 'no backup recorded');
      console.log(`    operator saw: ${line}`);
    } finally {
      execFileSync('umount', [folder]);
    }
    const ok = await cli(['backup', '--config', cfg]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(withState(state, (s) => s.listBackups().length), recorded + 3);
  });
});
