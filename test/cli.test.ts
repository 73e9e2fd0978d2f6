// The headless CLI end to end on databases loaded from the project's 0.12.5 schema files.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { main, type Io } from '../src/cli/main.js';
import { openDb, SERVICES, type Db } from '../src/db/connection.js';
import { acquireLock } from '../src/db/lock.js';
import { simulateStep } from '../src/sandbox/simulate.js';
import { StateFile } from '../src/state/index.js';
import { cleanupAll, runCli, schemaDatabases, tempDir, usingServer, writeConfig } from './support.js';

let dir: string;
let config: string;
let urls: Record<'astakos' | 'cyclades' | 'pithos', string>;
const SOCKET_DIR = '/var/run/postgresql';

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { out: (s) => { out += `${s}\n`; }, err: (s) => { err += `${s}\n`; }, isTTY: false };
  const code = await main([...args, '--config', config], io);
  return { code, out, err };
}

function withState<T>(fn: (s: StateFile) => T): T {
  const s = StateFile.open(join(dir, 'upgrade.db'));
  try { return fn(s); } finally { s.close(); }
}

before(async () => {
  urls = await schemaDatabases('cli_t');
  dir = tempDir('cli-');
  config = writeConfig(dir, urls);
});

after(cleanupAll);

describe('headless commands', () => {
  it('status shows the deployment and where the upgrade stands', async () => {
    const r = await cli('status', '--json');
    assert.equal(r.code, 0, r.err);
    const s = JSON.parse(r.out);
    assert.deepEqual(s.deployment.map((d: { version: string }) => d.version), ['0.12.5', '0.12.5', '0.12.5']);
    assert.equal(s.current, '1');
    assert.equal(s.steps.length, 22);
    assert.ok(s.steps.every((x: { status: string }) => x.status === 'pending'));
    const text = await cli('status');
    assert.match(text.out, /▶ 1 +Services down, databases backed up/);
    assert.match(text.out, /· 3\.2 +syncdb \+ migrate \(verified\) \(manual\)/);
    assert.ok(!text.out.includes('postgres://'), 'no URLs with credentials');
  });

  it('plan writes nothing and shows commands, findings and errata', async () => {
    const r = await cli('plan', '3.2');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /on astakos: +snf-manage migrate/);
    assert.match(r.out, /✗ astakos at 0\.13: .*0\.12\.5/);
    assert.match(r.out, /Erratum: If asked about stale content types/);
    const j = JSON.parse((await cli('plan', '1', '--json')).out);
    assert.equal(j.step, '1');
    assert.match(j.plan.summary.join('\n'), /back up 3 databases/);
  });

  it('refuses usage mistakes with exit 2 and manual steps with exit 3', async () => {
    assert.equal((await cli('frobnicate')).code, 2);
    assert.equal((await cli('plan', '7.7')).code, 2);
    assert.equal((await cli('run', '--bogus')).code, 2);
    const manual = await cli('run', '3.1');
    assert.equal(manual.code, 3);
    assert.match(manual.err, /step 3\.1 \(Install the 0\.13 packages\) is manual/);
    assert.match(manual.err, /next: .*snf-upgrade confirm 3\.1/);
    const early = await cli('confirm', '3.2');
    assert.equal(early.code, 4);
    assert.match(early.err, /cannot run yet: 3\.1 .* is pending/);
    const notYet = await cli('run', '6.3');
    assert.equal(notYet.code, 4);
    assert.match(notYet.err, /step 6\.3 cannot run yet: 6\.1 \(Cyclades: merge or delete duplicate users\) is pending/);
  });

  it('step 1 refuses while a service is still connected, unless the operator says so', { skip: !usingServer() && 'embedded PostgreSQL serves only this process' }, async () => {
    const stray = new pg.Client({ connectionString: urls.cyclades, application_name: 'gunicorn' });
    await stray.connect();
    try {
      const asked = await cli('run', '1');
      assert.equal(asked.code, 3);
      assert.match(asked.err, /1 other session\(s\) are still connected/);
      const answers = join(dir, 'no.json');
      (await import('node:fs')).writeFileSync(answers, JSON.stringify({ 1: { 'ignore-sessions': false } }));
      const refused = await cli('run', '1', '--answers', answers);
      assert.equal(refused.code, 1);
      assert.match(refused.err, /services are still connected: cyclades: gunicorn from 127\.0\.0\.1/);
      assert.equal(refused.err.split('services are still connected').length, 2, `the cause is printed once:\n${refused.err}`);
      assert.match(refused.err, /^✗ 1 failed$/m);
      assert.equal(withState((s) => s.getStep('1').status), 'failed');
    } finally {
      await stray.end();
    }
  });

  it('step 1 backs up every database, checked, 0600, and a second run changes nothing', async () => {
    const r = await cli('run', '1', '--json');
    assert.equal(r.code, 0, r.err);
    const out = JSON.parse(r.out);
    assert.equal(out.outcomes[0].status, 'done');
    const backups = withState((s) => s.listBackups());
    assert.equal(backups.length, 3);
    for (const b of backups) {
      assert.ok(existsSync(b.path), b.path);
      assert.equal(statSync(b.path).mode & 0o777, 0o600);
      assert.match(b.sha256 ?? '', /^[0-9a-f]{64}$/);
      assert.equal(b.verified, true);
    }
    const again = await cli('run', '1');
    assert.equal(again.code, 0);
    assert.match(again.out, /already done \(at \d{4}-\d\d-\d\d \d\d:\d\d\); nothing to do/);
    assert.equal(withState((s) => s.listBackups().length), 3);
  });

  it('a second runner is refused with the holder\'s identity', { skip: !usingServer() && 'embedded PostgreSQL has one session per process' }, async () => {
    const db: Db = await openDb('pithos', urls.pithos);
    const held = await acquireLock(db, 'snf-upgrade run 6.4');
    try {
      const r = await cli('backup');
      assert.equal(r.code, 1);
      assert.match(r.err, new RegExp(`the pithos database is locked by .* pid ${process.pid} \\(snf-upgrade run 6\\.4\\) since `));
      assert.match(r.err, /--take-over/);
    } finally {
      await held.release();
      await db.close();
    }
  });

  it('a second process is refused on an embedded deployment too', { skip: usingServer() && 'server databases use the advisory lock (tested above)' }, async () => {
    const held: Db = await openDb('astakos', urls.astakos);
    try {
      const r = await runCli(['status', '--config', config]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`astakos .*the embedded database .* is in use by process ${process.pid} on `));
      const run = await runCli(['backup', '--config', config]);
      assert.equal(run.code, 1);
      assert.match(run.stderr, new RegExp(`is in use by process ${process.pid} on .*\\n  next: wait for that process to finish, or stop it`));
    } finally {
      await held.close();
    }
  });

  it('report lists steps, findings and backups', async () => {
    const md = await cli('report');
    assert.equal(md.code, 0, md.err);
    assert.match(md.out, /\| 1 \| Services down, databases backed up \| done \|/);
    assert.match(md.out, /## Backups/);
    const json = JSON.parse((await cli('report', '--format', 'json')).out);
    assert.equal(json.backups.length, 3);
    assert.equal(json.steps.find((s: { id: string }) => s.id === '1').status, 'done');
    assert.equal((await cli('report', '--format', 'pdf')).code, 2);
  });

  it('a kill -9 in the middle of a backup leaves nothing half-done, and the next run finishes', async () => {
    const killed = await runCli(['backup', '--config', config], { SNF_UPGRADE_FAULT: 'backup:written#2:kill' });
    assert.equal(killed.code, null, killed.stderr);
    const backupsDir = join(dir, 'backups');
    assert.equal(readdirSync(backupsDir).filter((f) => f.endsWith('.partial')).length, 1, 'the killed run left its partial file');
    const status = await runCli(['status', '--config', config]);
    assert.equal(status.code, 0, status.stderr);
    const again = await runCli(['backup', '--config', config]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /removed 1 half-written backup/);
    assert.deepEqual(readdirSync(backupsDir).filter((f) => f.endsWith('.partial')), []);
    assert.equal(withState((s) => s.listBackups().length), 3 + 1 + 3);
  });

  it('step 3.2 is confirmed only once the databases really are at 0.13', async () => {
    withState((s) => { s.markDone('2.1', ['test: no duplicates']); s.markDone('2.2', ['test: no duplicates']); });
    const c31 = await cli('confirm', '3.1');
    assert.equal(c31.code, 0, c31.err);
    assert.match(c31.out, /3\.1: done/);
    const early = await cli('confirm', '3.2');
    assert.equal(early.code, 4);
    assert.match(early.err, /step 3\.2 is not done yet: 3 of 3 checks fail \(first: astakos at 0\.13\)\n  ✗ astakos at 0\.13: .*0\.12\.5\n  ✗ cyclades at 0\.13: .*0\.12\.5\n  ✗ every astakos user has a unique uuid: im_astakosuser has no uuid column yet\n  next: /);
    assert.equal(withState((s) => s.getStep('3.2').status), 'pending');
    await simulateStep('3.2', urls);
    const plan = JSON.parse((await cli('plan', '3.2', '--json')).out);
    assert.deepEqual(plan.checks.map((c: { ok: boolean }) => c.ok), [true, true, true]);
    const done = await cli('confirm', '3.2');
    assert.equal(done.code, 0, done.err);
    assert.match(done.out, /✓ astakos at 0\.13.*\n.*✓ cyclades at 0\.13.*\n.*✓ every astakos user has a unique uuid/);
    const status = JSON.parse((await cli('status', '--json')).out);
    assert.deepEqual(status.deployment.map((d: { version: string }) => d.version), ['0.13', '0.13', '0.12.5']);
    assert.equal(status.current, '3.3');
  });

  it('a deployment reached over the unix socket: labelled with its socket, one state file for two spellings, backed up, no warning', { skip: !(usingServer() && existsSync(`${SOCKET_DIR}/.s.PGSQL.5432`)) && 'no PostgreSQL server on /var/run/postgresql' }, async () => {
    const name = (url: string): string => decodeURIComponent(new URL(url).pathname.slice(1));
    // Databases of their own: those above record steps that a new state file does not know, and are refused.
    const urls = await schemaDatabases('cli_sock');
    const spellings = [
      (db: string) => `postgres://postgres@/${db}?host=${SOCKET_DIR}`,
      (db: string) => `postgresql://postgres@${encodeURIComponent(`${SOCKET_DIR}/`)}:5432/${db}`,
    ];
    const state = join(dir, 'socket-state.db');
    for (const spell of spellings) {
      const env = Object.fromEntries(SERVICES.map((s) => [`SNF_${s.toUpperCase()}_DB`, spell(name(urls[s]))]));
      const r = await runCli(['status', '--config', config, '--state', state], env);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, '', 'nothing on stderr (no deprecation warning)');
      for (const s of SERVICES) assert.match(r.stdout, new RegExp(`${SOCKET_DIR}:5432/${name(urls[s])}`));
      assert.doesNotMatch(r.stdout, /localhost:5432/);
    }
    // pg_dump reaches the same databases over the socket
    const env = Object.fromEntries(SERVICES.map((s) => [`SNF_${s.toUpperCase()}_DB`, spellings[0]!(name(urls[s]))]));
    const backup = await runCli(['backup', '--config', config, '--state', state], env);
    assert.equal(backup.code, 0, backup.stderr);
    assert.doesNotMatch(backup.stderr, /warning/i);
    assert.match(backup.stderr, /backups: 3 \/ 3 databases/);
  });

  it('no password or URL credentials end up in the state file', async () => {
    const text = (await import('node:fs')).readFileSync(join(dir, 'upgrade.db')).toString('latin1');
    assert.ok(!/postgres:\/\/[^@\s]*:[^@\s]*@/.test(text));
  });
});


describe('demo', () => {
  const run = async (...args: string[]) => {
    let out = '';
    let err = '';
    const code = await main(args, { out: (s) => { out += `${s}\n`; }, err: (s) => { err += `${s}\n`; }, isTTY: false });
    return { code, out, err };
  };

  it('builds the demo under --dir at --scale once, reuses it, and refuses another scale', async () => {
    const demoDir = join(dir, 'demo');
    const first = await run('demo', '--dir', demoDir, '--scale', 'tiny');
    assert.equal(first.code, 0, first.err);
    assert.match(first.err, /building the demo deployment \(scale tiny\) under .*demo/);
    assert.match(first.out, /▶ 1 +Services down, databases backed up/);
    assert.match(first.out, /no terminal: this is the status view; drive the demo with --config .*demo\/snf-upgrade\.json/);
    const status = JSON.parse((await run('status', '--json', '--config', join(demoDir, 'snf-upgrade.json'))).out);
    assert.deepEqual(status.deployment.map((d: { version: string }) => d.version), ['0.12.5', '0.12.5', '0.12.5']);

    const again = await run('demo', '--dir', demoDir);
    assert.equal(again.code, 0, again.err);
    assert.doesNotMatch(again.err, /building/);
    const other = await run('demo', '--dir', demoDir, '--scale', 'small');
    assert.equal(other.code, 2);
    assert.match(other.err, /the demo under .*demo was built at scale tiny, not small\n  next: leave out --scale to open it, or give another --dir/);
    const misplaced = await run('status', '--dir', demoDir);
    assert.equal(misplaced.code, 2);
    assert.match(misplaced.err, /--dir applies only to "snf-upgrade demo"/);
    assert.equal((await run('demo', '--scale', 'huge', '--dir', join(dir, 'demo2'))).code, 2);
    assert.ok(!existsSync(join(dir, 'demo2')), 'a bad scale builds nothing');
    const otherLayout = await run('demo', '--dir', demoDir, '--layout', 'shared');
    assert.equal(otherLayout.code, 2);
    assert.match(otherLayout.err, /the demo under .*demo was built with the separate layout, not shared\n  next: leave out --layout to open it/);
    assert.equal((await run('demo', '--layout', 'merged', '--dir', join(dir, 'demo3'))).code, 2);
    assert.ok(!existsSync(join(dir, 'demo3')), 'a bad layout builds nothing');
  });

  it('builds the shared layout: astakos and cyclades in one database', async () => {
    const demoDir = join(dir, 'demo-shared');
    const first = await run('demo', '--dir', demoDir, '--scale', 'tiny', '--layout', 'shared');
    assert.equal(first.code, 0, first.err);
    assert.match(first.err, /building the demo deployment \(scale tiny, astakos and cyclades in one database\)/);
    const status = JSON.parse((await run('status', '--json', '--config', join(demoDir, 'snf-upgrade.json'))).out);
    assert.deepEqual(status.deployment.map((d: { sharedWith?: string[] }) => d.sharedWith ?? []), [['cyclades'], ['astakos'], []]);
    assert.equal((await run('demo', '--dir', demoDir, '--layout', 'shared')).code, 0);
  });
});
