// Locks that tell the truth and signals that end what the tool started (issue #16): a lock
// left by a killed runner whose pid now belongs to another process is stale; SIGTERM during
// pg_dump leaves no pg_dump and no .partial; a second Ctrl-C cancels a statement that waits on
// a lock another session holds, and the batch rolls back. Every process started here ends here.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import Database from 'better-sqlite3';
import { cleanupAll, usingServer } from './support.js';
import { BATCH_ENV, cli, journal, prepared, startPaused, withDb, withState, type Prepared } from './helpers/reliability.js';

const started: ChildProcess[] = [];
after(async () => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await cleanupAll();
});

const run64 = (p: Prepared) => ['run', '6.4', '--accept-suggestions', '--config', p.cfg];

interface HolderJson { where: string; host: string; pid: number; since: string; command: string; alive: boolean; why: string }

async function statusLocks(p: Prepared): Promise<HolderJson[]> {
  const r = await cli(['status', '--json', '--config', p.cfg]);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { locks: HolderJson[] }).locks;
}

/** Processes whose command line mentions TEXT (ps), other than this one. */
function processesWith(text: string): string[] {
  return execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(text) && !l.includes('ps -eo'));
}

async function until(what: string | (() => string), ok: () => Promise<boolean> | boolean, ms = 60_000, child?: ChildProcess): Promise<void> {
  for (const end = Date.now() + ms; !(await ok());) {
    assert.ok(!child || child.exitCode === null, `the process ended before ${typeof what === 'string' ? what : what()}`);
    assert.ok(Date.now() < end, `timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('lock holders', () => {
  test('a killed runner whose pid is now a sleep: reported stale (status), and the next run takes the lock', async () => {
    const p = await prepared('rs_t_reused');
    const paused = await startPaused(run64(p), 'batch:after-commit#1:pause', p.dir, BATCH_ENV);
    started.push(paused.child);
    paused.child.kill('SIGKILL');
    await paused.done;
    rmSync(paused.marker, { force: true });
    // The kernel gives the dead runner's pid to another process: a sleep stands in for it.
    const sleeper = spawn('sleep', ['300'], { stdio: 'ignore' });
    started.push(sleeper);
    const reused = sleeper.pid!;
    const file = new Database(p.state);
    file.prepare('UPDATE lock SET pid = ?').run(reused);
    file.close();
    if (usingServer()) {
      for (const s of ['astakos', 'cyclades', 'pithos'] as const) {
        await withDb(s, p.urls[s], ({ pool }) => pool.query('UPDATE snf_upgrade_lock SET pid = $1', [reused]));
      }
    }
    const locks = await statusLocks(p);
    const fileHolder = locks.find((h) => h.where === 'state file');
    assert.ok(fileHolder, JSON.stringify(locks));
    assert.deepEqual([fileHolder.pid, fileHolder.host, fileHolder.command, fileHolder.alive], [reused, hostname(), 'snf-upgrade run 6.4', false]);
    assert.match(fileHolder.why, new RegExp(`process ${reused} is gone \\(pid ${reused} now belongs to another process\\)`));
    assert.ok(locks.length >= 2 && locks.every((h) => !h.alive), `every holder is stale: ${JSON.stringify(locks)}`);
    const text = await cli(['status', '--config', p.cfg]);
    assert.match(text.stdout, /lock: stale \(no holder is running/);
    assert.match(text.stdout, new RegExp(`state file +\\S+ pid ${reused} \\(snf-upgrade run 6\\.4\\) since .*: stale, process ${reused} is gone`));
    assert.match(text.stdout, /astakos +\S+ pid \d+ \(snf-upgrade run 6\.4\) since .*: stale, no session holds the advisory lock/);

    const next = await cli(run64(p), BATCH_ENV);
    assert.equal(next.code, 0, next.stderr);
    assert.doesNotMatch(next.stderr, /in use by/);
    sleeper.kill();
  });

  test('a live holder is alive', async () => {
    const p = await prepared('rs_t_live');
    const paused = await startPaused(run64(p), 'batch:after-commit#1:pause', p.dir, BATCH_ENV);
    started.push(paused.child);
    try {
      if (usingServer()) {
        const locks = await statusLocks(p);
        assert.ok(locks.length === 4 && locks.every((h) => h.alive && h.pid === paused.child.pid), JSON.stringify(locks));
        assert.match(locks[0]!.why, /its session on astakos, cyclades, pithos holds the database lock/);
        const second = await cli(run64(p), BATCH_ENV);
        assert.equal(second.code, 1);
        assert.match(second.stderr, new RegExp(`in use by process ${paused.child.pid} on`));
      } else {
        // Embedded, the holder has the databases open (no second session can see its lock): its
        // process, with the start time it recorded, says it runs.
        const locks = await statusLocks(p);
        const file = locks.find((h) => h.where === 'state file');
        assert.deepEqual([file?.pid, file?.alive, file?.why], [paused.child.pid, true, `process ${paused.child.pid} is running`], JSON.stringify(locks));
        const second = await cli(run64(p), BATCH_ENV);
        assert.equal(second.code, 1);
        assert.match(second.stderr, new RegExp(`in use by process ${paused.child.pid} on ${hostname()}`));
      }
    } finally {
      paused.child.kill('SIGKILL');
      await paused.done;
      rmSync(paused.marker, { force: true });
    }
  });
});

const serverOnly = !usingServer() && 'embedded PostgreSQL: no pg_dump runs, and one backend serves every client';

describe('signals', { skip: serverOnly }, () => {
  // `snf-upgrade backup` dumps every database as step 1 does (the same code), on a deployment past step 1.
  test('SIGTERM while pg_dump runs: no pg_dump left, no .partial; the next backup is not stopped by it', async () => {
    const p = await prepared('rs_t_term');
    const backups = join(p.dir, 'backups');
    // pg_dump waits for this lock, so it is surely running when the signal comes.
    const blocker = new pg.Client({ connectionString: p.urls.astakos, application_name: 'snf-upgrade' });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE django_admin_log IN ACCESS EXCLUSIVE MODE');
      const child = spawn(process.execPath, ['--import', 'tsx', new URL('./helpers/cli.ts', import.meta.url).pathname, 'backup', '--config', p.cfg],
        { stdio: ['ignore', 'pipe', 'pipe'] });
      started.push(child);
      let stderr = '';
      child.stderr!.on('data', (d) => { stderr += d; });
      const done = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
      await until(() => `pg_dump to wait on the lock (${stderr})`, async () =>
        (await blocker.query(`SELECT 1 FROM pg_locks WHERE NOT granted AND relation = 'django_admin_log'::regclass`)).rowCount! > 0, 60_000, child);
      assert.ok(processesWith(backups).length > 0, 'pg_dump runs, writing into the backup folder');
      assert.ok(readdirSync(backups).some((f) => f.endsWith('.partial')));
      child.kill('SIGTERM');
      assert.equal(await done, 143, stderr);
      assert.match(stderr, /ended by SIGTERM; nothing half-done is kept/);
      await until('pg_dump to end', () => processesWith(backups).length === 0, 10_000);
      assert.deepEqual(readdirSync(backups).filter((f) => f.endsWith('.partial')), []);
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      await blocker.end();
    }
    // Paused after pg_dump wrote the file, before it is renamed: SIGTERM removes it as well.
    const paused = await startPaused(['backup', '--config', p.cfg], 'backup:written#1:pause', p.dir);
    started.push(paused.child);
    assert.ok(readdirSync(backups).some((f) => f.endsWith('.partial')));
    paused.child.kill('SIGTERM');
    assert.equal((await paused.done).code, 143);
    rmSync(paused.marker, { force: true });
    assert.deepEqual(readdirSync(backups).filter((f) => f.endsWith('.partial')), []);
    const again = await cli(['backup', '--config', p.cfg]);
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stderr, /half-written|other session/);
  });

  test('a batch waiting on a lock another session holds: the second Ctrl-C cancels it, exits non-zero, nothing of the batch kept', async () => {
    const p = await prepared('rs_t_hung');
    const blocker = new pg.Client({ connectionString: p.urls.pithos, application_name: 'snf-upgrade' });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      // Every batch inserts its journal row: that insert waits here for as long as this lock is held.
      await blocker.query('LOCK TABLE snf_upgrade_journal IN SHARE MODE');
      const child = spawn(process.execPath, ['--import', 'tsx', new URL('./helpers/cli.ts', import.meta.url).pathname, ...run64(p)],
        { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...BATCH_ENV } });
      started.push(child);
      let stderr = '';
      child.stderr!.on('data', (d) => { stderr += d; });
      const done = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
      await until('the batch to wait on the journal lock', async () =>
        (await blocker.query(`SELECT 1 FROM pg_locks WHERE NOT granted AND relation = 'snf_upgrade_journal'::regclass`)).rowCount! > 0);
      child.kill('SIGINT');
      await until('the first Ctrl-C to be acknowledged', () => /stopping after the current batch/.test(stderr), 10_000);
      child.kill('SIGINT');
      const code = await done;
      assert.equal(code, 1, stderr);
      const line = stderr.split('\n').find((l) => l.startsWith('snf-upgrade: '));
      assert.match(line ?? '', /^snf-upgrade: stopped by a second Ctrl-C during 6\.4, batch 1 \("[^"]+"\): the statement waiting on pithos was canceled; nothing of that batch was kept$/);
      const waiting = await blocker.query(`SELECT 1 FROM pg_locks WHERE NOT granted AND relation = 'snf_upgrade_journal'::regclass`);
      assert.equal(waiting.rowCount, 0, 'no statement of the tool waits any more');
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      await blocker.end();
    }
    assert.deepEqual(await journal(p.urls.pithos), [], 'no batch committed');
    assert.equal(withState(p.state, (s) => s.getStep('6.4').status), 'failed');
    const again = await cli(run64(p), BATCH_ENV);
    assert.equal(again.code, 0, again.stderr);
  });
});
