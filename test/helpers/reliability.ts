// Shared by the reliability tests: a tiny sandbox with steps 1–6.2 done (so 6.4, many
// small batches on pithos, is next), digests to compare with an uninterrupted run, and a
// run of the CLI paused at a fault point so a test can act at that exact moment.
import assert from 'node:assert/strict';
import { type ChildProcess } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { loadConfig } from '../../src/config.js';
import { closeAllEmbedded, embeddedDir, openDb, SERVICES, type Db, type Service } from '../../src/db/connection.js';
import { deploymentFingerprint } from '../../src/engine/index.js';
import { createSandbox, simulateStep } from '../../src/sandbox/index.js';
import { StateFile } from '../../src/state/index.js';
import { main } from '../../src/cli/main.js';
import { dbUrl, sandboxTarget, serverUrl, spawnCli, tempDir, testDbName } from '../support.js';

export type Urls = Record<Service, string>;
export interface Prepared { cfg: string; urls: Urls; dir: string; state: string }
export const PITHOS_TABLES = ['nodes', 'versions', 'attributes', 'statistics', 'policy', 'public', 'xfeatures', 'xfeaturevals', 'groups', 'alembic_version', 'snf_upgrade_pithos_uuids'];
/** Small 6.4 batches, so that a tiny sandbox has many. */
export const BATCH_ENV = { SNF_UPGRADE_PITHOS_BATCH: '150' };

// ------------------------------------------------------------------------ helpers

/**
 * `snf-upgrade ARGS` in this process, with ENV set for its duration: the same code as a
 * child process, without loading embedded PostgreSQL anew (seconds per run).
 */
export async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    const code = await main(args, { out: (x) => { stdout += `${x}\n`; }, err: (x) => { stderr += `${x}\n`; }, isTTY: false });
    return { code, stdout, stderr };
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** A tiny sandbox with steps 1–6.2 behind it (so 6.4, many batches on pithos, is next). */
async function build(name: string): Promise<Prepared> {
  const dir = tempDir(`${name}-`);
  const cfg = join(dir, 'snf-upgrade.json');
  const r = await createSandbox({ name: testDbName(name), ...sandboxTarget(dir), scale: 'tiny', seed: 5, configPath: cfg });
  const state = join(dir, 'state.db');
  writeFileSync(cfg, JSON.stringify({ ...JSON.parse(readFileSync(cfg, 'utf8')), state }));
  withState(state, (s) => s.markDone('1'));
  const answers = join(dir, 'answers.json');
  writeFileSync(answers, JSON.stringify({ '2.2': { confirm: true }, '6.2': { confirm: true } }));
  await closeAllEmbedded();
  for (const step of ['2.1', '2.2']) {
    const x = await cli(['run', step, '--accept-suggestions', '--answers', answers, '--config', cfg]);
    assert.equal(x.code, 0, x.stderr);
  }
  await simulateStep('3.2', r.urls, { uuidSalt: 'faults' });
  await closeAllEmbedded();
  withState(state, (s) => { s.markDone('3.1'); s.markDone('3.2'); });
  const r62 = await cli(['run', '6.2', '--accept-suggestions', '--answers', answers, '--config', cfg]);
  assert.equal(r62.code, 0, r62.stderr);
  return { cfg, urls: r.urls, dir, state };
}

let template: Promise<Prepared> | undefined;

/**
 * A deployment with steps 1–6.2 done and 6.4 next, as a copy of one built once per test
 * file (CREATE DATABASE … TEMPLATE on the server, a copy of the data directories embedded).
 */
export async function prepared(name: string): Promise<Prepared> {
  template ??= build('rl_t_template');
  const from = await template;
  await closeAllEmbedded();
  const dir = tempDir(`${name}-`);
  const urls = {} as Urls;
  const server = serverUrl();
  for (const s of SERVICES) {
    if (server) {
      const target = `${testDbName(name)}_${s}`;
      await onServer(async (c) => {
        await c.query(`DROP DATABASE IF EXISTS "${target}" WITH (FORCE)`);
        await c.query(`CREATE DATABASE "${target}" TEMPLATE "${decodeURIComponent(new URL(from.urls[s]).pathname.slice(1))}"`);
      });
      urls[s] = dbUrl(server, target);
    } else {
      const target = join(dir, 'db', `${name}_${s}`);
      cpSync(embeddedDir(from.urls[s]), target, { recursive: true });
      urls[s] = `pglite:${target}`;
    }
  }
  const cfg = join(dir, 'snf-upgrade.json');
  const state = join(dir, 'state.db');
  const config = JSON.parse(readFileSync(from.cfg, 'utf8'));
  for (const s of SERVICES) config[s] = { ...config[s], db: urls[s] };
  writeFileSync(cfg, JSON.stringify({ ...config, state, backups: join(dir, 'backups') }));
  copyFileSync(from.state, state);
  withState(state, (s) => s.setMeta('deployment', deploymentFingerprint(loadConfig(cfg))));
  return { cfg, urls, dir, state };
}

export function withState<T>(file: string, fn: (s: StateFile) => T): T {
  const s = StateFile.open(file);
  try { return fn(s); } finally { s.close(); }
}

export async function withDb<T>(service: Service, url: string, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await openDb(service, url, { max: 2 });
  try { return await fn(db); } finally { await db.close(); await closeAllEmbedded(); }
}

/** Order-independent digests of the pithos tables 6.4 writes. */
export async function pithosDigests(url: string): Promise<Record<string, string>> {
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
export async function journal(url: string): Promise<string[]> {
  return withDb('pithos', url, async ({ pool }) =>
    (await pool.query<{ batch: string }>(`SELECT batch FROM snf_upgrade_journal WHERE step = '6.4' ORDER BY batch`)).rows.map((r) => r.batch));
}

export interface Paused { child: ChildProcess; done: Promise<{ code: number | null; stdout: string; stderr: string }>; marker: string }

/** Starts `snf-upgrade ARGS` with a pause fault and waits until it is paused there. */
export async function startPaused(args: string[], fault: string, dir: string, env: NodeJS.ProcessEnv = {}): Promise<Paused> {
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

export async function onServer<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: serverUrl() });
  await c.connect();
  try { return await fn(c); } finally { await c.end(); }
}

/** Ends every session of process PID on the server, as an administrator (or a restart) would. */
export async function terminateSessionsOf(pid: number): Promise<number> {
  return onServer(async (c) => {
    const app = `snf-upgrade:${pid}`;
    const n = (await c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, [app])).rowCount ?? 0;
    // pg_terminate_backend only signals: wait until the backends are gone, so that their closing
    // message reaches the client before it goes on (else it may only see the socket reset).
    for (let i = 0; i < 200; i++) {
      if (!(await c.query('SELECT 1 FROM pg_stat_activity WHERE application_name = $1', [app])).rowCount) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    return n;
  });
}

/** Runs 6.4 uninterrupted on a fresh sandbox: the tables and batches every faulted run must end with. */
export async function referenceRun(name: string): Promise<{ digests: Record<string, string>; batches: string[] }> {
  const ref = await prepared(name);
  const r = await cli(['run', '6.4', '--accept-suggestions', '--config', ref.cfg], BATCH_ENV);
  assert.equal(r.code, 0, r.stderr);
  const batches = await journal(ref.urls.pithos);
  assert.ok(batches.length >= 4, `6.4 runs in several batches (${batches.length})`);
  return { digests: await pithosDigests(ref.urls.pithos), batches };
}

/** The same batches, each once, and the same tables as REFERENCE. */
export async function assertLikeReference(p: Prepared, reference: { digests: Record<string, string>; batches: string[] }): Promise<void> {
  assert.deepEqual(await journal(p.urls.pithos), reference.batches, 'the same batches, each once');
  assert.deepEqual(await pithosDigests(p.urls.pithos), reference.digests, 'the same tables as the uninterrupted run');
}

/** The first line the CLI printed for an error (snf-upgrade: …) and its next step. */
export function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith('snf-upgrade: ') || l.startsWith('  next: '));
}
