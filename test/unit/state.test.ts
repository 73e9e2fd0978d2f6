// The SQLite state file: creation, schema versions, refusal of files it must not touch,
// the records it keeps, and the one-runner lock.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { UserError } from '../../src/errors.js';
import { processLiveness, processStartTime } from '../../src/processes.js';
import {
  APPLICATION_ID, LATEST_SCHEMA, MIGRATIONS, StateFile, applyMigrations, compareStepIds, fromJson, toJson,
} from '../../src/state/index.js';

let root: string;
let counter = 0;
/** A path in a new, existing folder of its own. */
const newPath = (name = 'state.db'): string => {
  const dir = join(root, `case-${++counter}`);
  mkdirSync(dir);
  return join(dir, name);
};
/** A path whose folder does not exist yet. */
const pathInNewFolder = (): string => join(root, `fresh-${++counter}`, 'sub', 'state.db');
const mode = (file: string): number => statSync(file).mode & 0o777;

before(() => { root = mkdtempSync(join(tmpdir(), 'snf-state-test-')); });
after(() => { rmSync(root, { recursive: true, force: true }); });

/** Runs FN expecting a UserError whose message matches MESSAGE. */
function assertUserError(fn: () => unknown, message: RegExp, next?: RegExp): UserError {
  let caught: unknown;
  try { fn(); } catch (err) { caught = err; }
  assert.ok(caught instanceof UserError, `expected a UserError, got ${String(caught)}`);
  assert.match(caught.message, message);
  assert.doesNotMatch(caught.message, /\n/, 'message is one line');
  if (next) assert.match(caught.next, next);
  return caught;
}

/** A file SQLite or the tool must refuse; checks the refusal leaves it byte for byte as it was. */
function assertRefusedUntouched(path: string, message: RegExp, next: RegExp): void {
  const beforeBytes = readFileSync(path);
  const beforeMode = mode(path);
  assertUserError(() => StateFile.open(path), message, next);
  assert.deepEqual(readFileSync(path), beforeBytes, 'file contents unchanged');
  assert.equal(mode(path), beforeMode, 'file mode unchanged');
  for (const suffix of ['-wal', '-shm', '-journal']) assert.equal(existsSync(path + suffix), false, `no ${suffix} left behind`);
}

const NEXT_CORRUPT = /^restore it from a copy, or move it aside to start a new upgrade record$/;

describe('opening', () => {
  test('creates the folder and a 0600 file (also -wal and -shm), even with umask 0', () => {
    const path = pathInNewFolder();
    const oldUmask = process.umask(0);
    try {
      const state = StateFile.open(path);
      state.log(null, 'info', 'hello');
      assert.equal(mode(path), 0o600);
      assert.equal(mode(`${path}-wal`), 0o600);
      assert.equal(mode(`${path}-shm`), 0o600);
      state.close();
    } finally {
      process.umask(oldUmask);
    }
  });

  test('tightens an existing file to 0600', () => {
    const path = newPath();
    StateFile.open(path).close();
    rmSync(`${path}-wal`, { force: true });
    rmSync(`${path}-shm`, { force: true });
    chmodSync(path, 0o644);
    StateFile.open(path).close();
    assert.equal(mode(path), 0o600);
  });

  test('sets user_version, application_id, WAL and foreign keys', () => {
    const path = newPath();
    const state = StateFile.open(path, { toolVersion: '0.1.0' });
    assert.equal(state.schemaVersion, LATEST_SCHEMA);
    assert.equal(LATEST_SCHEMA, MIGRATIONS.length);
    assert.equal(state.getMeta('tool_version'), '0.1.0');
    assert.match(state.getMeta('created_at') ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    state.close();
    const raw = new Database(path, { readonly: true });
    assert.equal(raw.pragma('user_version', { simple: true }), LATEST_SCHEMA);
    assert.equal(raw.pragma('application_id', { simple: true }), APPLICATION_ID);
    assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
    raw.close();
  });

  test('applies later migrations in order, once', () => {
    const path = newPath();
    StateFile.open(path).close();
    const raw = new Database(path);
    const v2 = [...MIGRATIONS, 'CREATE TABLE extra (x INTEGER)', (db: Database.Database) => db.exec('INSERT INTO extra VALUES (3)')];
    applyMigrations(raw, v2);
    applyMigrations(raw, v2);
    assert.equal(raw.pragma('user_version', { simple: true }), MIGRATIONS.length + 2);
    assert.deepEqual(raw.prepare('SELECT x FROM extra').all(), [{ x: 3 }]);
    raw.close();
  });

  test('a failing migration leaves the version and schema as they were', () => {
    const path = newPath();
    StateFile.open(path).close();
    const raw = new Database(path);
    assert.throws(() => applyMigrations(raw, [...MIGRATIONS, 'CREATE TABLE half (x INTEGER); SELECT nope FROM nowhere']));
    assert.equal(raw.pragma('user_version', { simple: true }), LATEST_SCHEMA);
    assert.equal(raw.prepare("SELECT 1 FROM sqlite_master WHERE name = 'half'").get(), undefined);
    raw.close();
  });

  test('reopening keeps the data', () => {
    const path = newPath();
    const first = StateFile.open(path);
    first.setMeta('deployment_fingerprint', 'abc');
    first.markRunning('2.2', first.startRun({ command: 'run' }));
    first.close();
    const second = StateFile.open(path, { create: false });
    assert.equal(second.getMeta('deployment_fingerprint'), 'abc');
    assert.equal(second.getStep('2.2').status, 'running');
    second.close();
  });

  test('an empty (0-byte) file is initialised', () => {
    const empty = newPath();
    writeFileSync(empty, '');
    const state = StateFile.open(empty);
    assert.equal(state.schemaVersion, LATEST_SCHEMA);
    state.close();
  });

  test('create: false on a missing file is refused and creates nothing', () => {
    const path = pathInNewFolder();
    assertUserError(() => StateFile.open(path, { create: false }), /state file .* does not exist/, /--state/);
    assertUserError(() => StateFile.open(path, { readonly: true }), /does not exist/);
    assert.equal(existsSync(path), false);
  });

  test('read-only opening reads and refuses a file with no record', () => {
    const path = newPath();
    const state = StateFile.open(path);
    state.setDecision('2', 'keep', 'a@x', 'operator');
    state.close();
    const reader = StateFile.open(path, { readonly: true });
    assert.equal(reader.getDecision('2', 'keep')?.value, 'a@x');
    assertUserError(() => reader.log(null, 'info', 'no'), /cannot use state file .*readonly/i);
    reader.close();
    const blank = newPath();
    writeFileSync(blank, '');
    assertUserError(() => StateFile.open(blank, { readonly: true }), /holds no upgrade record/);
  });

  test('a file from a newer snf-upgrade is refused and left untouched', () => {
    const path = newPath();
    StateFile.open(path).close();
    const raw = new Database(path);
    raw.pragma(`user_version = ${LATEST_SCHEMA + 5}`);
    raw.pragma('journal_mode = DELETE');
    raw.close();
    assertRefusedUntouched(path,
      new RegExp(`state file .*state\\.db was written by a newer snf-upgrade \\(schema ${LATEST_SCHEMA + 5}, this one knows ${LATEST_SCHEMA}\\)`),
      /^use the newer snf-upgrade, or point --state at another file$/);
  });

  test('a text file is refused and left untouched', () => {
    const text = newPath('notes.txt');
    writeFileSync(text, 'these are not the droids\n'.repeat(20));
    assertRefusedUntouched(text, /state file .*notes\.txt is damaged or not a state file/, NEXT_CORRUPT);
  });

  test('random bytes are refused and left untouched', () => {
    const path = newPath();
    writeFileSync(path, randomBytes(8192));
    assertRefusedUntouched(path, /is damaged or not a state file/, NEXT_CORRUPT);
    const tiny = `${path}.tiny`;
    writeFileSync(tiny, 'x');
    assertRefusedUntouched(tiny, /is damaged or not a state file/, NEXT_CORRUPT);
  });

  test('an SQLite file with damaged pages is refused and left untouched', () => {
    const path = newPath();
    const state = StateFile.open(path);
    for (let i = 0; i < 500; i++) state.log(null, 'info', `event ${i} ${'x'.repeat(200)}`);
    state.close();
    const bytes = readFileSync(path);
    const pageSize = bytes.readUInt16BE(16);
    assert.ok(bytes.length > pageSize * 12);
    randomBytes(pageSize * 8).copy(bytes, pageSize * 3);
    writeFileSync(path, bytes);
    assertRefusedUntouched(path, /is damaged or not a state file/, NEXT_CORRUPT);
  });

  test('damaged before-images: opening stays quick and works, undo\'s check refuses them', () => {
    const path = newPath();
    const state = StateFile.open(path);
    state.addBeforeImages('2.2', 'b1', Array.from({ length: 3000 }, (_, i) => ({
      service: 'astakos' as const, table: 'auth_user', pk: i, action: 'delete' as const, row: { id: i, email: `user${i}@example.org`, pad: 'x'.repeat(100) },
    })));
    state.markDone('1', ['ok']);
    state.close();
    const raw = new Database(path, { readonly: true });
    const leaves = (raw.prepare("SELECT pageno FROM dbstat WHERE name = 'journal' AND pagetype = 'leaf' ORDER BY pageno").all() as { pageno: number }[]).map((r) => r.pageno);
    raw.close();
    assert.ok(leaves.length > 20, `${leaves.length} journal pages`);
    const bytes = readFileSync(path);
    const pageSize = bytes.readUInt16BE(16);
    for (const page of leaves.slice(5, 10)) randomBytes(pageSize).copy(bytes, (page - 1) * pageSize);
    writeFileSync(path, bytes);
    const opened = StateFile.open(path);
    try {
      assert.equal(opened.getStep('1').status, 'done');
      assert.throws(() => opened.checkBeforeImages(), (err: unknown) => err instanceof UserError && /is damaged or not a state file \(integrity check failed/.test(err.message));
    } finally {
      opened.close();
    }
  });

  test("another program's SQLite database is refused and left untouched", () => {
    const other = newPath('photos.db');
    const raw = new Database(other);
    raw.exec('CREATE TABLE photos (id INTEGER PRIMARY KEY)');
    raw.close();
    assertRefusedUntouched(other, /is an SQLite database of another program/, /another file/);
  });
});

describe('records', () => {
  let state: StateFile;
  let clockMs = Date.parse('2024-03-01T10:00:00.000Z');
  before(() => {
    state = StateFile.open(newPath(), {
      clock: () => new Date(clockMs),
      scrub: (text) => text.replaceAll('hunter2', '***'),
    });
  });
  after(() => state.close());

  test('runs record host, pid and outcome', () => {
    const id = state.startRun({ command: 'run --yes' });
    const run = state.getRun(id)!;
    assert.equal(run.pid, process.pid);
    assert.equal(run.outcome, null);
    clockMs += 1000;
    state.endRun(id, 'completed');
    assert.equal(state.getRun(id)!.outcome, 'completed');
    assert.equal(state.getRun(id)!.endedAt, '2024-03-01T10:00:01.000Z');
    assert.ok(state.listRuns().some((r) => r.id === id));
  });

  test('step lifecycle counts attempts and keeps the last error scrubbed', () => {
    const runId = state.startRun({ command: 'run' });
    assert.deepEqual(
      { status: state.getStep('2.2').status, attempts: state.getStep('2.2').attempts },
      { status: 'pending', attempts: 0 });

    state.markRunning('2.2', runId);
    assert.equal(state.getStep('2.2').attempts, 1);
    clockMs += 1500;
    state.markFailed('2.2', 'password authentication failed for hunter2');
    let step = state.getStep('2.2');
    assert.equal(step.status, 'failed');
    assert.equal(step.lastError, 'password authentication failed for ***');
    assert.equal(step.durationMs, 1500);

    state.markRunning('2.2', runId);
    step = state.getStep('2.2');
    assert.deepEqual([step.status, step.attempts, step.runId, step.finishedAt], ['running', 2, runId, null]);
    clockMs += 250;
    state.markDone('2.2', { rows: 10n ** 32n, tables: ['auth_user'] });
    step = state.getStep('2.2');
    assert.deepEqual([step.status, step.attempts, step.durationMs, step.lastError], ['done', 2, 250, null]);
    assert.deepEqual(step.summary, { rows: (10n ** 32n).toString(), tables: ['auth_user'] });

    state.resetStep('2.2');
    step = state.getStep('2.2');
    assert.deepEqual([step.status, step.attempts, step.summary, step.startedAt], ['pending', 2, null, null]);

    state.markSkipped('5', 'no pithos on this deployment');
    assert.equal(state.getStep('5').status, 'skipped');
    assert.equal(state.getStep('5').note, 'no pithos on this deployment');
  });

  test('steps are listed in runbook order', () => {
    for (const id of ['2.10', '10', '1', '2.1']) state.markDone(id);
    const ids = state.listSteps().map((s) => s.id);
    assert.deepEqual(ids.filter((id) => ['1', '2.1', '2.10', '10'].includes(id)), ['1', '2.1', '2.10', '10']);
    assert.deepEqual(['2', '2.2', '11', '2.10', '1'].sort(compareStepIds), ['1', '2', '2.2', '2.10', '11']);
  });

  test('putFindings replaces one step and kind only', () => {
    state.putFindings('2', 'duplicate', [{ key: 'a@x', data: { users: [1, 2] } }, { key: 'b@x', data: { users: [3, 4] } }]);
    state.putFindings('2', 'unknown', [{ key: 'zed', data: null }]);
    state.putFindings('2', 'duplicate', [{ key: 'c@x', data: { users: [5, 6] } }]);
    assert.deepEqual(state.getFindings('2', 'duplicate'), [{ step: '2', kind: 'duplicate', key: 'c@x', data: { users: [5, 6] } }]);
    assert.deepEqual(state.getFindings('2').map((f) => f.key), ['zed', 'c@x']);
    assert.throws(() => state.putFindings('2', 'duplicate', [{ key: 'd', data: 1 }, { key: 'd', data: 2 }]),
      (err) => !(err instanceof UserError), 'a bug is not dressed up as an operator error');
    assert.deepEqual(state.getFindings('2', 'duplicate').map((f) => f.key), ['c@x'], 'a failed put changes nothing');
  });

  test('decisions are upserted per step and key', () => {
    state.setDecision('2', 'a@x', { keep: 1 }, 'suggested');
    state.setDecision('2', 'b@x', { keep: 3 }, 'default');
    clockMs += 1000;
    state.setDecision('2', 'a@x', { keep: 2 }, 'operator');
    const decisions = state.getDecisions('2');
    assert.equal(decisions.size, 2);
    assert.deepEqual(decisions.get('a@x'), { value: { keep: 2 }, source: 'operator', decidedAt: new Date(clockMs).toISOString() });
    state.clearDecisions('2');
    assert.equal(state.getDecisions('2').size, 0);
  });

  test('bigints survive the round trip as decimal strings', () => {
    const limit = 10n ** 32n;
    assert.equal(toJson({ limit }), '{"limit":"100000000000000000000000000000000"}');
    assert.equal(BigInt(fromJson<{ limit: string }>(toJson({ limit })).limit), limit);
    assert.equal(toJson(undefined), 'null');
    state.setDecision('9', 'quota', { limit, nested: [limit - 1n] }, 'answers');
    const value = state.getDecision('9', 'quota')!.value as { limit: string; nested: string[] };
    assert.equal(BigInt(value.limit), limit);
    assert.equal(BigInt(value.nested[0]!), limit - 1n);
    state.putFindings('9', 'quota', [{ key: 'u', data: limit }]);
    assert.equal(BigInt(state.getFindings('9')[0]!.data as string), limit);
  });

  test('before-images come back in recorded order, page after page', () => {
    const images = (batch: number, n: number) => Array.from({ length: n }, (_, i) => ({
      service: 'cyclades' as const, table: 'db_virtualmachine', pk: { id: batch * 10_000 + i },
      row: { id: batch * 10_000 + i, userid: `u${i}`, quota: 10n ** 32n }, action: (i % 2 ? 'update' : 'delete') as 'update' | 'delete',
    }));
    state.addBeforeImages('6.1', 'b1', images(1, 1500));
    state.addBeforeImages('6.1', 'b2', images(2, 700));
    state.addBeforeImages('6.2', 'b1', images(3, 5));
    assert.equal(state.countBeforeImages('6.1'), 2200);
    assert.equal(state.countBeforeImages('6.1', 'b2'), 700);

    let count = 0;
    let lastId = 0;
    for (const image of state.beforeImages('6.1')) {
      assert.ok(image.id > lastId);
      lastId = image.id;
      count++;
    }
    assert.equal(count, 2200);
    const b2 = [...state.beforeImages('6.1', 'b2')];
    assert.deepEqual(b2.map((i) => (i.pk as { id: number }).id), images(2, 700).map((i) => i.pk.id));
    assert.deepEqual(b2[0]!.row, { id: 20_000, userid: 'u0', quota: (10n ** 32n).toString() });
    assert.equal(b2[0]!.action, 'delete');
    assert.equal(b2[0]!.table, 'db_virtualmachine');

    // the file is usable while an iteration is under way
    const iterator = state.beforeImages('6.1');
    iterator.next();
    state.log('6.1', 'info', 'during iteration');
    iterator.return(undefined);

    assert.equal(state.deleteBeforeImages('6.1', 'b1'), 1500);
    assert.equal(state.countBeforeImages('6.1'), 700);
    assert.equal(state.deleteBeforeImages('6.1'), 700);
    assert.equal(state.countBeforeImages('6.2'), 5);
  });

  test('before-images of a batch are all or nothing', () => {
    const good = { service: 'astakos' as const, table: 'auth_user', pk: { id: 1 }, row: {}, action: 'delete' as const };
    const bad = { ...good, service: 'nowhere' as unknown as 'astakos' };
    assert.throws(() => state.addBeforeImages('2.9', 'b', [good, bad]));
    assert.equal(state.countBeforeImages('2.9'), 0);
  });

  test('batches, backups and events', () => {
    state.recordBatch('6.1', 'vm:0-999', 1000);
    state.recordBatch('6.1', 'vm:1000-1999', 120);
    state.recordBatch('6.1', 'vm:0-999', 1000);
    assert.deepEqual(state.batchesFor('6.1').map((b) => [b.batch, b.rows]), [['vm:0-999', 1000], ['vm:1000-1999', 120]]);

    const first = state.addBackup({ step: '1', service: 'astakos', kind: 'pg_dump', path: '/b/a1.dump', bytes: 1234, sha256: 'ab' });
    clockMs += 1000;
    const second = state.addBackup({ step: '2', service: 'astakos', kind: 'external', path: '/b/a2', note: 'taken by ops' });
    state.addBackup({ step: '1', service: 'pithos', kind: 'embedded', path: '/b/p1' });
    state.setBackupVerified(first, true);
    assert.equal(state.latestBackup('astakos')!.id, second);
    assert.equal(state.latestBackup('cyclades'), undefined);
    const backups = state.listBackups();
    assert.equal(backups.length, 3);
    assert.deepEqual([backups[0]!.verified, backups[0]!.bytes, backups[1]!.verified], [true, 1234, false]);

    state.log(null, 'info', 'one');
    state.log('2', 'warn', 'two with hunter2');
    state.log('2', 'error', 'three');
    const events = state.recentEvents(2);
    assert.deepEqual(events.map((e) => [e.step, e.level, e.message]), [['2', 'warn', 'two with ***'], ['2', 'error', 'three']]);
  });

  test('transaction rolls back everything when it throws', () => {
    assert.throws(() => state.transaction(() => {
      state.setMeta('k', 'v');
      state.markDone('7');
      throw new Error('boom');
    }), /boom/);
    assert.equal(state.getMeta('k'), undefined);
    assert.equal(state.getStep('7').status, 'pending');
    assert.equal(state.transaction(() => 42), 42);
  });
});

describe('lock', () => {
  let sleeper: ChildProcess;
  let deadPid: number;
  before(async () => {
    sleeper = spawn('sleep', ['5'], { stdio: 'ignore' });
    const done = spawn('true', { stdio: 'ignore' });
    deadPid = await new Promise<number>((resolve) => done.on('exit', () => resolve(done.pid!)));
  });
  after(() => { sleeper.kill(); });

  test('a second StateFile is refused while this process holds the lock', () => {
    const path = newPath();
    const first = StateFile.open(path);
    const holder = first.acquireLock({ command: 'run' });
    assert.equal(holder.pid, process.pid);
    assert.equal(first.acquireLock().pid, process.pid, 're-acquiring is fine');
    const second = StateFile.open(path);
    const err = assertUserError(() => second.acquireLock(),
      new RegExp(`in use by process ${process.pid} on .+ since \\d{4}-`),
      /^wait for it, or run with --take-over if that process is gone$/);
    assert.ok(err);
    assert.equal(second.lockHolder()!.command, 'run');
    first.close(); // releases
    assert.equal(second.lockHolder(), undefined);
    second.acquireLock();
    assert.ok(second.holdsLock());
    second.close();
  });

  test('a lock held by another live process on this host is refused, unless forced', () => {
    const path = newPath();
    const other = StateFile.open(path, { identity: { host: hostname(), pid: sleeper.pid! } });
    other.acquireLock({ command: 'run --headless' });
    const me = StateFile.open(path);
    assertUserError(() => me.acquireLock(), new RegExp(`in use by process ${sleeper.pid} on ${hostname()}`));
    assert.equal(me.lockHolder()!.pid, sleeper.pid);
    me.acquireLock({ force: true });
    assert.ok(me.holdsLock());
    assert.equal(other.holdsLock(), false);
    assert.match(me.recentEvents(1)[0]!.message, /took over .*\(--take-over\)/);
    other.close(); // must not remove my lock
    assert.ok(me.holdsLock());
    me.close();
  });

  test('a stale lock (dead pid on this host) is taken and logged', () => {
    const path = newPath();
    const crashed = StateFile.open(path, { identity: { host: hostname(), pid: deadPid } });
    crashed.acquireLock();
    const me = StateFile.open(path);
    me.acquireLock();
    assert.equal(me.lockHolder()!.pid, process.pid);
    assert.match(me.recentEvents(1)[0]!.message, new RegExp(`process ${deadPid} .* no longer running`));
    crashed.close();
    me.close();
  });

  test('a lock whose pid now belongs to another process (another start time) is stale: taken and logged', () => {
    const path = newPath();
    const gone = StateFile.open(path, { identity: { host: hostname(), pid: sleeper.pid!, processStart: 'boot:1' } });
    gone.acquireLock({ command: 'run 2.2' });
    assert.equal(gone.lockHolder()!.processStart, 'boot:1');
    const me = StateFile.open(path);
    me.acquireLock();
    assert.deepEqual([me.lockHolder()!.pid, me.lockHolder()!.processStart], [process.pid, processStartTime(process.pid)]);
    assert.match(me.recentEvents(1)[0]!.message, new RegExp(`process ${sleeper.pid} .* no longer running: process ${sleeper.pid} is gone \\(pid ${sleeper.pid} now belongs to another process\\)`));
    gone.close();
    me.close();
  });

  test('process liveness: its recorded start time tells the process from a later one with its pid', () => {
    const start = processStartTime(sleeper.pid!);
    assert.match(start ?? '', /^[0-9a-f]*:\d+$/);
    assert.deepEqual(processLiveness(sleeper.pid!, start), { alive: true, why: `process ${sleeper.pid} is running` });
    assert.equal(processLiveness(sleeper.pid!, 'boot:1').alive, false);
    assert.deepEqual(processLiveness(deadPid, start), { alive: false, why: `process ${deadPid} is gone` });
    assert.equal(processLiveness(sleeper.pid!, null).alive, true, 'a holder from before start times were recorded: its pid decides');
  });

  test('a lock from another host is taken only with force', () => {
    const path = newPath();
    const remote = StateFile.open(path, { identity: { host: 'elsewhere.example', pid: deadPid } });
    remote.acquireLock();
    const me = StateFile.open(path);
    assertUserError(() => me.acquireLock(), /in use by process \d+ on elsewhere\.example since/);
    me.acquireLock({ force: true });
    assert.equal(me.lockHolder()!.host, hostname());
    remote.close();
    me.close();
  });
});
