// Step 1 and `snf-upgrade backup` on a server this machine's pg_dump cannot dump (faked by a
// pg_dump on PATH that says it is version 14 and refuses, against the version 15+ test server):
// the CLI prints the pg_dump command for the database host, then takes the dumps the operator
// copies back from the answers file, checks them and records them; a file that is not a dump,
// or a dump of another database, is refused in one line.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sha256File } from '../src/db/backup.js';
import { SERVICES, type Service } from '../src/db/connection.js';
import { createSandbox } from '../src/sandbox/index.js';
import { StateFile } from '../src/state/index.js';
import { cleanupAll, pathWithRefusingPgDump, sandboxTarget, schemaDatabases, runCli, tempDir, testDbName, usingServer, writeConfig } from './support.js';

let dir: string;
let config: string;
let urls: Record<Service, string>;
let env: NodeJS.ProcessEnv;
const dumps = {} as Record<Service, string>;
const dbName = (s: Service): string => new URL(urls[s]).pathname.slice(1);

function answers(name: string, byService: Partial<Record<Service, string>>): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ 1: Object.fromEntries(Object.entries(byService).map(([s, p]) => [`dump-${s}`, p])) }));
  return file;
}

/** The lines of STDERR from the error on (progress lines come before it). */
const fromError = (stderr: string): string[] => {
  const lines = stderr.trim().split('\n');
  return lines.slice(lines.findIndex((l) => l.startsWith('snf-upgrade: ')));
};

const backups = (): ReturnType<StateFile['listBackups']> => {
  const s = StateFile.open(join(dir, 'upgrade.db'));
  try { return s.listBackups(); } finally { s.close(); }
};

describe('backups made on the database host', { skip: usingServer() ? false : 'embedded databases are backed up without pg_dump', timeout: 120_000 }, () => {
  before(async () => {
    urls = await schemaDatabases('bkhost');
    dir = tempDir('bkhost-');
    config = writeConfig(dir, urls);
    // What the operator makes on the database host, with the real pg_dump, before the run.
    for (const s of SERVICES) {
      dumps[s] = join(dir, `${dbName(s)}-host.dump`);
      execFileSync('pg_dump', ['-Fc', '-f', dumps[s], '--dbname', urls[s]]);
    }
    // This machine's pg_dump: version 14, and it refuses to dump.
    env = { PATH: pathWithRefusingPgDump('14.9') };
  });

  after(cleanupAll);

  it('without answers: one line says why, then the exact command for each database host (exit 3), before any backup', async () => {
    const plan = await runCli(['plan', '1', '--config', config], env);
    assert.equal(plan.code, 0, plan.stderr);
    assert.match(plan.stdout, /astakos: pg_dump 14 is older than the server \(PostgreSQL \d+\); run on its host: pg_dump -Fc -h 127\.0\.0\.1 -p 5432 -U postgres -f \S+-step1\.dump \S+_astakos/);
    const r = await runCli(['run', '1', '--config', config], env);
    assert.equal(r.code, 3, r.stderr);
    const lines = fromError(r.stderr);
    const label = (s: Service): string => `${s} \\(127\\.0\\.0\\.1:5432/${dbName(s)}\\)`;
    assert.match(lines[0]!, new RegExp(`^snf-upgrade: pg_dump 14 is older than the server \\(PostgreSQL \\d+\\), so this tool cannot back up ${SERVICES.map(label).join(', ')}$`));
    assert.deepEqual(lines.slice(1, 4), SERVICES.map((s) => `  ${s}: pg_dump -Fc -h 127.0.0.1 -p 5432 -U postgres -f ${dbName(s)}-step1.dump ${dbName(s)}`));
    assert.equal(lines[4], '  next: run these commands on the database host, copy the files to this machine and give their paths: '
      + '{"1": {"dump-astakos": "/path/to/astakos.dump", "dump-cyclades": "/path/to/cyclades.dump", "dump-pithos": "/path/to/pithos.dump"}} in --answers FILE (or answer in the wizard)');
    assert.doesNotMatch(r.stderr, /disk|PGPASSWORD|password/i);
    assert.equal(backups().length, 0);
  });

  it('a file that is not a dump, or a dump of another database, is refused in one line; nothing is recorded', async () => {
    const junk = join(dir, 'notes.txt');
    writeFileSync(junk, 'not a dump\n');
    const cases: Array<[string, RegExp]> = [
      [junk, new RegExp(`^snf-upgrade: ${junk.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is not a pg_dump -Fc archive \\(pg_restore --list: .+\\); nothing was recorded$`)],
      [dumps.cyclades, new RegExp(`^snf-upgrade: \\S+ is a dump of database "${dbName('cyclades')}", not of the astakos database "${dbName('astakos')}" \\(127\\.0\\.0\\.1:5432/${dbName('astakos')}\\); nothing was recorded$`)],
      [join(dir, 'missing.dump'), /^snf-upgrade: \S+missing\.dump does not exist on this machine; nothing was recorded$/],
    ];
    for (const [file, want] of cases) {
      const r = await runCli(['run', '1', '--config', config, '--answers', answers('bad', { ...dumps, astakos: file })], env);
      assert.equal(r.code, 1, r.stderr);
      const lines = fromError(r.stderr);
      assert.match(lines[0]!, want);
      assert.match(lines[1]!, /^ {2}next: run the pg_dump -Fc command shown on the database host, copy the file to this machine and give its path$/);
      assert.equal(lines.length, 2, r.stderr);
    }
    assert.equal(backups().length, 0);
  });

  it('step 1 records the dumps from the answers file: checked, copied 0600 into the backup folder, with their sha256', async () => {
    const r = await runCli(['run', '1', '--config', config, '--answers', answers('good', dumps)], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /astakos: \S+step1-astakos-\S+\.dump \([0-9.]+ KiB, sha256 [0-9a-f]{12}…\), made on the database host/);
    const recorded = backups();
    assert.deepEqual(recorded.map((b) => [b.step, b.service, b.kind, b.verified]), SERVICES.map((s) => ['1', s, 'pg_dump', true]));
    for (const b of recorded) {
      assert.ok(b.path.startsWith(join(dir, 'backups')), b.path);
      assert.equal(statSync(b.path).mode & 0o777, 0o600);
      assert.equal(b.sha256, await sha256File(dumps[b.service as Service]));
      assert.match(b.note ?? '', /made on the database host \(pg_dump 14 is older than the server/);
    }
  });

  it('`snf-upgrade backup` asks for them under step 1 too, and records them under its own label', async () => {
    const missing = await runCli(['backup', '--config', config], env);
    assert.equal(missing.code, 3, missing.stderr);
    assert.match(missing.stderr, /-f \S+_astakos-manual-\d{4}-\d\d-\d\d\.dump /);
    const r = await runCli(['backup', '--config', config, '--answers', answers('good', dumps)], env);
    assert.equal(r.code, 0, r.stderr);
    const manual = backups().filter((b) => b.step?.startsWith('manual-'));
    assert.equal(manual.length, 3);
  });
});

describe('a database host dump of a shared snf_apps database', { skip: usingServer() ? false : 'embedded databases are backed up without pg_dump', timeout: 180_000 }, () => {
  it('asks for one dump of the shared database, named for both services, and records it for both', async () => {
    const sdir = tempDir('bkhost-shared-');
    const cfg = join(sdir, 'snf-upgrade.json');
    const sbx = await createSandbox({ name: testDbName('bkh_sh'), layout: 'shared', ...sandboxTarget(sdir), scale: 'tiny', seed: 2, configPath: cfg });
    const apps = new URL(sbx.urls.astakos).pathname.slice(1);
    const pithos = new URL(sbx.urls.pithos).pathname.slice(1);
    const penv = { PATH: pathWithRefusingPgDump('14.9') };

    const r = await runCli(['run', '1', '--config', cfg], penv);
    assert.equal(r.code, 3, r.stderr);
    const lines = fromError(r.stderr);
    assert.match(lines[0]!, new RegExp(`cannot back up astakos and cyclades \\(127\\.0\\.0\\.1:5432/${apps}\\), pithos \\(127\\.0\\.0\\.1:5432/${pithos}\\)$`));
    assert.deepEqual(lines.slice(1, 3), [
      `  astakos and cyclades: pg_dump -Fc -h 127.0.0.1 -p 5432 -U postgres -f ${apps}-step1.dump ${apps}`,
      `  pithos: pg_dump -Fc -h 127.0.0.1 -p 5432 -U postgres -f ${pithos}-step1.dump ${pithos}`]);
    assert.match(lines[3]!, /"dump-astakos": "\/path\/to\/astakos\+cyclades\.dump", "dump-pithos"/);
    assert.doesNotMatch(lines[3]!, /dump-cyclades/);

    const appsDump = join(sdir, `${apps}-host.dump`);
    const pithosDump = join(sdir, `${pithos}-host.dump`);
    execFileSync('pg_dump', ['-Fc', '-f', appsDump, '--dbname', sbx.urls.astakos]);
    execFileSync('pg_dump', ['-Fc', '-f', pithosDump, '--dbname', sbx.urls.pithos]);
    // the shared dump is accepted under either service's name
    const file = join(sdir, 'answers.json');
    writeFileSync(file, JSON.stringify({ 1: { 'dump-cyclades': appsDump, 'dump-pithos': pithosDump } }));
    const ok = await runCli(['run', '1', '--config', cfg, '--answers', file], penv);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /astakos and cyclades: \S+step1-astakos\+cyclades-\S+\.dump \([0-9.]+ KiB, sha256 [0-9a-f]{12}…\), made on the database host/);
    const state = StateFile.open(JSON.parse(readFileSync(cfg, 'utf8')).state);
    try {
      const recorded = state.listBackups();
      assert.deepEqual(recorded.map((b) => b.service).sort(), ['astakos', 'cyclades', 'pithos']);
      assert.equal(new Set(recorded.map((b) => b.path)).size, 2);
      assert.equal(recorded.find((b) => b.service === 'astakos')!.sha256, await sha256File(appsDump));
    } finally {
      state.close();
    }
  });
});
