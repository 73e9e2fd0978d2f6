// Database faults while a step runs (issue #9): the connection cut mid-batch by the server,
// a statement timeout, the backup folder's disk full, and the lock holder killed. Each one:
// one clear line and a next step, no partial batch (the journal says so), and a re-run that
// resumes and ends with the same tables as an uninterrupted run.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { closeAllEmbedded, openDb, type Db, type Service } from '../src/db/connection.js';
import { createSandbox, simulateStep } from '../src/sandbox/index.js';
import { StateFile } from '../src/state/index.js';
import { cleanupAll, runCli, serverUrl, spawnCli, tempDir, testDbName, usingServer } from './support.js';

after(cleanupAll);

type Urls = Record<Service, string>;
export interface Prepared { cfg: string; urls: Urls; dir: string; state: string }
const PITHOS_TABLES = ['nodes', 'versions', 'attributes', 'statistics', 'policy', 'public', 'xfeatures', 'xfeaturevals', 'groups', 'alembic_version', 'snf_upgrade_pithos_uuids'];
/** Small 6.4 batches, so that a tiny sandbox has many. */
const BATCH_ENV = { SNF_UPGRADE_PITHOS_BATCH: '150' };
const noServer = !usingServer() && 'embedded PostgreSQL serves every client from one backend: there is no session of the tool to end';

// ------------------------------------------------------------------------ helpers

/** A tiny sandbox with steps 1–6.2 behind it (so 6.4, many batches on pithos, is next). */
async function prepared(name: string): Promise<Prepared> {
  const dir = tempDir(`${name}-`);
  const base = serverUrl();
  const cfg = join(dir, 'snf-upgrade.json');
  const r = await createSandbox({ name: testDbName(name), ...(base ? { pg: base } : { embedded: join(dir, 'db') }), scale: 'tiny', seed: 5, configPath: cfg });
  const state = join(dir, 'state.db');
  writeFileSync(cfg, JSON.stringify({ ...JSON.parse((await import('node:fs')).readFileSync(cfg, 'utf8')), state }));
  withState(state, (s) => s.markDone('1'));
  const answers = join(dir, 'answers.json');
  writeFileSync(answers, JSON.stringify({ '2.2': { confirm: true }, '6.2': { confirm: true } }));
  await closeAllEmbedded();
  for (const step of ['2.1', '2.2']) {
    const x = await runCli(['run', step, '--accept-suggestions', '--answers', answers, '--config', cfg]);
    assert.equal(x.code, 0, x.stderr);
  }
  await simulateStep('3.2', r.urls, { uuidSalt: 'faults' });
  await closeAllEmbedded();
  withState(state, (s) => { s.markDone('3.1'); s.markDone('3.2'); });
  const r62 = await runCli(['run', '6.2', '--accept-suggestions', '--answers', answers, '--config', cfg]);
  assert.equal(r62.code, 0, r62.stderr);
  return { cfg, urls: r.urls, dir, state };
}

function withState<T>(file: string, fn: (s: StateFile) => T): T {
  const s = StateFile.open(file);
  try { return fn(s); } finally { s.close(); }
}

async function withDb<T>(service: Service, url: string, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await openDb(service, url, { max: 2 });
  try { return await fn(db); } finally { await db.close(); await closeAllEmbedded(); }
}

/** Order-independent digests of the pithos tables 6.4 writes. */
async function pithosDigests(url: string): Promise<Record<string, string>> {
  return withDb('pithos', url, async ({ pool }) => {
    const out: Record<string, string> = {};
    for (const t of PITHOS_TABLES) {
      const r = await pool.query<{ d: string; n: string }>(
        `SELECT md5(coalesce(string_agg(h, '' ORDER BY h), '')) AS d, count(*) AS n FROM (SELECT md5(t::text) AS h FROM ${t} t) x`);
      out[t] = `${r.rows[0]!.n}:${r.rows[0]!.d}`;
    }
    return out;
  });
}

/** The 6.4 batches the pithos journal holds (each exactly once: it is the primary key). */
async function journal(url: string): Promise<string[]> {
  return withDb('pithos', url, async ({ pool }) =>
    (await pool.query<{ batch: string }>(`SELECT batch FROM snf_upgrade_journal WHERE step = '6.4' ORDER BY batch`)).rows.map((r) => r.batch));
}

export interface Paused { child: ChildProcess; done: Promise<{ code: number | null; stdout: string; stderr: string }>; marker: string }

/** Starts `snf-upgrade ARGS` with a pause fault and waits until it is paused there. */
async function startPaused(args: string[], fault: string, dir: string, env: NodeJS.ProcessEnv = {}): Promise<Paused> {
  const marker = join(dir, `paused-${Date.now()}`);
  const child = spawnCli(args, { ...env, SNF_UPGRADE_FAULT: fault, SNF_UPGRADE_FAULT_MARKER: marker });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => { stdout += d; });
  child.stderr!.on('data', (d) => { stderr += d; });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((res) => child.on('close', (code) => res({ code, stdout, stderr })));
  let exited = false;
  void done.then(() => { exited = true; });
  for (let i = 0; !existsSync(marker); i++) {
    if (exited || i > 2400) assert.fail(`the run never reached ${fault}: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, done, marker };
}

async function onServer<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: serverUrl() });
  await c.connect();
  try { return await fn(c); } finally { await c.end(); }
}

/** Ends every session of process PID on the server, as an administrator (or a restart) would. */
async function terminateSessionsOf(pid: number): Promise<number> {
  return onServer(async (c) => (await c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, [`snf-upgrade:${pid}`])).rowCount ?? 0);
}

// ------------------------------------------------------------------------ the reference

let reference: Record<string, string>;
let referenceBatches: string[];

before(async () => {
  const ref = await prepared('rf_t_ref');
  const r = await runCli(['run', '6.4', '--accept-suggestions', '--config', ref.cfg], BATCH_ENV);
  assert.equal(r.code, 0, r.stderr);
  reference = await pithosDigests(ref.urls.pithos);
  referenceBatches = await journal(ref.urls.pithos);
  assert.ok(referenceBatches.length >= 4, `6.4 runs in several batches (${referenceBatches.length})`);
});

async function assertLikeReference(p: Prepared): Promise<void> {
  assert.deepEqual(await journal(p.urls.pithos), referenceBatches, 'the same batches, each once');
  assert.deepEqual(await pithosDigests(p.urls.pithos), reference, 'the same tables as the uninterrupted run');
}

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

    const again = await runCli(run, BATCH_ENV);
    assert.equal(again.code, 0, again.stderr);
    await assertLikeReference(p);
    console.log(`    operator saw:\n      ${[...lines, ...stopped.stderr.split('\n')].filter((l) => l.startsWith('snf-upgrade') || l.includes('next:')).join('\n      ')}`);
  });

  test('a statement timeout inside a batch names the setting; after it is raised the step resumes',
    { skip: !usingServer() && 'embedded PostgreSQL runs every client in one long session, which ALTER DATABASE … SET never reaches' }, async () => {
    const p = await prepared('rf_t_timeout');
    const run = ['run', '6.4', '--accept-suggestions', '--config', p.cfg];
    // A slow disk, made certain: every journal insert (one per batch) takes 1.5 s, over a 1 s limit.
    await withDb('pithos', p.urls.pithos, async ({ pool }) => {
      await pool.query(`CREATE FUNCTION rf_slow() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(1.5); RETURN NEW; END $$`);
      await pool.query(`CREATE TRIGGER rf_slow BEFORE INSERT ON snf_upgrade_journal FOR EACH ROW WHEN (NEW.step = '6.4') EXECUTE PROCEDURE rf_slow()`);
      await pool.query(`ALTER DATABASE "${new URL(p.urls.pithos).pathname.slice(1)}" SET statement_timeout = '1s'`);
    });
    const slow = await runCli(run, { SNF_UPGRADE_PITHOS_BATCH: '100000' });
    const line = slow.stderr.split('\n').find((l) => l.startsWith('snf-upgrade: '));
    assert.equal(slow.code, 1, slow.stderr);
    assert.match(line ?? '', /^snf-upgrade: a statement in the pithos database ran longer than statement_timeout \(1s\) during 6\.4, batch 1 \("[^"]+"\); nothing of that batch was kept$/);
    assert.match(slow.stderr, /next: raise statement_timeout for this tool's database user .* or lower the batch size \(SNF_UPGRADE_PITHOS_BATCH\), then run the same command again to resume/);
    assert.deepEqual(await journal(p.urls.pithos), [], 'no batch committed');
    await withDb('pithos', p.urls.pithos, async ({ pool }) => {
      await pool.query(`ALTER DATABASE "${new URL(p.urls.pithos).pathname.slice(1)}" RESET statement_timeout`);
      await pool.query('DROP TRIGGER rf_slow ON snf_upgrade_journal');
    });
    const again = await runCli(run, BATCH_ENV);
    assert.equal(again.code, 0, again.stderr);
    await assertLikeReference(p);
    console.log(`    operator saw:\n      ${line}\n      ${slow.stderr.split('\n').find((l) => l.includes('next:'))}`);
  });

  test('the holder killed (kill -9) between batches: the next run takes the lock, says so, and finishes', async () => {
    const p = await prepared('rf_t_gone');
    const run = ['run', '6.4', '--accept-suggestions', '--config', p.cfg];
    const paused = await startPaused(run, 'batch:after-commit#2:pause', p.dir, BATCH_ENV);
    paused.child.kill('SIGKILL');
    assert.equal((await paused.done).code, null);
    rmSync(paused.marker, { force: true });
    const next = await runCli(run, BATCH_ENV);
    assert.equal(next.code, 0, next.stderr);
    assert.match(next.stderr, new RegExp(`warn: the previous session \\(snf-upgrade run 6\\.4, process ${paused.child.pid} on \\S+ since [0-9-]+ [0-9:]+\\) ended without finishing; its lock went with it`));
    await assertLikeReference(p);
    console.log(`    operator saw: ${next.stderr.split('\n').find((l) => l.includes('previous session'))!.trim()}`);
  });
});

// ------------------------------------------------------------------------ the backup folder full

function canMount(): boolean {
  return process.platform === 'linux' && process.getuid?.() === 0;
}

describe('the backup folder full (step 1)', () => {
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
    writeFileSync(cfg, JSON.stringify({ astakos: { db: p.urls.astakos }, cyclades: { db: p.urls.cyclades }, pithos: { db: p.urls.pithos }, state, backups: folder }));
    try {
      const full = await runCli(['run', '1', '--config', cfg]);
      assert.equal(full.code, 1, full.stderr);
      const line = full.stderr.split('\n').find((l) => l.startsWith('snf-upgrade: '));
      assert.match(line ?? '', new RegExp(`^snf-upgrade: the backup folder ${folder.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is full: the astakos backup needs (up to )?[0-9.]+ (KiB|MiB).*, [0-9.]+ (B|KiB) free; nothing was recorded$`));
      assert.match(full.stderr, /next: free space there \(or point "backups" in the config at a bigger disk\), then run the same command again/);
      assert.deepEqual(readdirSync(folder).filter((f) => f.endsWith('.partial')), [], 'no half-written file is left');
      assert.equal(withState(state, (s) => s.listBackups().length), 0, 'no backup recorded');
      assert.equal(withState(state, (s) => s.getStep('1').status), 'failed');
      console.log(`    operator saw: ${line}`);
    } finally {
      execFileSync('umount', [folder]);
    }
    const ok = await runCli(['run', '1', '--config', cfg]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(withState(state, (s) => s.listBackups().length), 3);
  });
});
