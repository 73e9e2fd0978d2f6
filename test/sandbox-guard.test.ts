// Sandbox commands touch only sandboxes: create over, and drop of, a database without the
// sandbox marker or with a journal of a run outside the sandbox are refused and leave it byte
// for byte; a sandbox is still created, re-created and dropped; files beside it are private,
// and drop removes only what the sandbox wrote. On the server named by SNF_TEST_PG_URL, or embedded.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SERVICES, type Service } from '../src/db/connection.js';
import { sandboxCommand } from '../src/sandbox/command.js';
import { SETTINGS_MANIFEST } from '../src/sandbox/guard.js';
import { StateFile } from '../src/state/index.js';
import { deploymentHashes } from './helpers/db-hash.js';
import { cleanupAll, serverUrl, tempDir, testDbName, usingServer, withDb } from './support.js';

after(cleanupAll);

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await sandboxCommand(argv, { out: (s) => { out += `${s}\n`; }, err: (s) => { err += `${s}\n`; } });
  return { code, out, err };
}

const mode = (p: string): number => statSync(p).mode & 0o777;

describe('sandbox commands touch only sandboxes', () => {
  const name = testDbName('sbx_guard');
  let dir: string;
  let config: string;
  let where: string[];
  let urls: Record<Service, string>;

  before(async () => {
    dir = tempDir('sbx-guard-');
    config = join(dir, 'guard.json');
    where = usingServer() ? ['--pg', serverUrl()!] : ['--embedded', join(dir, 'db')];
    const c = await run('create', '--name', name, ...where, '--scale', 'tiny', '--seed', '3', '--config', config);
    assert.equal(c.code, 0, c.err);
    urls = Object.fromEntries(SERVICES.map((s) => [s, JSON.parse(readFileSync(config, 'utf8'))[s].db])) as Record<Service, string>;
  });

  it('writes the config (it holds the admin URL) and the settings copies 0600, their folders 0700, and marks every database', async () => {
    assert.equal(mode(config), 0o600);
    const root = join(dir, `${name}-settings`);
    assert.equal(mode(root), 0o700);
    for (const s of SERVICES) {
      assert.equal(mode(join(root, s)), 0o700);
      for (const f of readdirSync(join(root, s))) assert.equal(mode(join(root, s, f)), 0o600, `${s}/${f}`);
    }
    const manifest = JSON.parse(readFileSync(join(root, SETTINGS_MANIFEST), 'utf8'));
    assert.equal(manifest.sandbox, name);
    assert.ok(manifest.files.includes('astakos/20-snf-astakos-app-settings.conf'), manifest.files.join(', '));
    for (const s of SERVICES) {
      const c = await withDb(s, urls[s], async (db) => (await db.pool.query(
        `SELECT shobj_description(oid, 'pg_database') AS c FROM pg_database WHERE datname = current_database()`)).rows[0].c);
      assert.equal(c, `snf-upgrade sandbox ${name}`);
    }
  });

  it('re-creates a sandbox over itself', async () => {
    const c = await run('create', '--name', name, ...where, '--scale', 'tiny', '--seed', '3', '--config', config);
    assert.equal(c.code, 0, c.err);
    assert.equal(mode(config), 0o600);
  });

  it('refuses create and drop over a database without the marker, which stays byte for byte', async () => {
    await withDb('cyclades', urls.cyclades, async (db) => {
      const d = (await db.pool.query('SELECT current_database() AS d')).rows[0].d;
      await db.pool.query(`COMMENT ON DATABASE "${d}" IS NULL`);
    });
    const before = await deploymentHashes(urls);
    for (const argv of [['create', '--name', name, ...where, '--scale', 'tiny', '--config', config], ['drop', '--name', name, '--config', config]]) {
      const r = await run(...argv);
      assert.equal(r.code, 4, r.err);
      assert.match(r.err, new RegExp(`is not sandbox ${name} \\(it carries no "snf-upgrade sandbox ${name}" marker\\): sandbox ${argv[0]} leaves it as it is`));
      assert.match(r.err, /next: choose another --name/);
      assert.equal(r.err.trim().split('\n').filter((l) => !l.startsWith('sandbox ')).length, 2, r.err);
      assert.deepEqual(await deploymentHashes(urls), before);
      assert.ok(existsSync(config) && existsSync(join(dir, `${name}-settings`, SETTINGS_MANIFEST)));
    }
    await withDb('cyclades', urls.cyclades, async (db) => {
      const d = (await db.pool.query('SELECT current_database() AS d')).rows[0].d;
      await db.pool.query(`COMMENT ON DATABASE "${d}" IS 'snf-upgrade sandbox ${name}'`);
    });
  });

  it('refuses a journal the sandbox\'s state file does not record (a run outside it), and drops once it does', async () => {
    await withDb('astakos', urls.astakos, async (db) => {
      await db.pool.query(`CREATE TABLE snf_upgrade_journal (step varchar(16) NOT NULL, batch varchar(200) NOT NULL, run_id varchar(64),
        rows_changed bigint NOT NULL DEFAULT 0, committed_at timestamp with time zone NOT NULL DEFAULT now(), PRIMARY KEY (step, batch))`);
      await db.pool.query(`INSERT INTO snf_upgrade_journal (step, batch, rows_changed) VALUES ('2.2', 'users 7-9 n2 abc', 2)`);
    });
    const before = await deploymentHashes(urls);
    for (const argv of [['create', '--name', name, ...where, '--scale', 'tiny', '--config', config], ['drop', '--name', name, '--config', config]]) {
      const r = await run(...argv);
      assert.equal(r.code, 4, r.err);
      assert.match(r.err, /holds 1 batch\(es\) of an upgrade run that the sandbox's state file .* does not record \(first: step 2\.2 "users 7-9 n2 abc"\)/);
      assert.deepEqual(await deploymentHashes(urls), before);
    }
    // the same batch run through the sandbox's own config: its state file records it
    const state = StateFile.open(join(dir, `${name}-state.db`));
    state.recordBatch('2.2', 'users 7-9 n2 abc', 2);
    state.close();
    // a file the sandbox did not write stays, with its folder
    const foreign = join(dir, `${name}-settings`, 'astakos', 'operator-notes.txt');
    writeFileSync(foreign, 'mine\n');
    mkdirSync(join(dir, `${name}-backups`), { recursive: true });
    writeFileSync(join(dir, `${name}-backups`, 'step1-astakos-2026-12-07T172800.dump'), 'x');
    const d = await run('drop', '--name', name, '--config', config);
    assert.equal(d.code, 0, d.err);
    assert.ok(!existsSync(config) && !existsSync(join(dir, `${name}-state.db`)) && !existsSync(join(dir, `${name}-backups`)));
    assert.equal(readFileSync(foreign, 'utf8'), 'mine\n');
    assert.deepEqual(readdirSync(dirname(dirname(foreign))), ['astakos']);
    assert.match(d.err, /kept .*-settings: it holds files the sandbox did not write \(astakos\/operator-notes\.txt\)/);
    if (!usingServer()) for (const s of SERVICES) assert.ok(!existsSync(join(dir, 'db', `${name}_${s}`)));
  });

  it('refuses a config or a settings folder it did not write, and an embedded folder that is no database', async () => {
    const other = join(tempDir('sbx-guard2-'), 'guard2.json');
    writeFileSync(other, JSON.stringify({ astakos: { db: 'postgres://db1/snf_apps' }, cyclades: { db: 'postgres://db1/snf_apps' }, pithos: { db: 'postgres://db2/snf_pithos' } }));
    const r = await run('create', '--name', name, ...where, '--scale', 'tiny', '--config', other);
    assert.equal(r.code, 4, r.err);
    assert.match(r.err, /guard2\.json is not the config of sandbox/);
    assert.match(readFileSync(other, 'utf8'), /snf_pithos/);
    const settings = join(dirname(other), `${name}-settings`);
    mkdirSync(join(settings, 'astakos'), { recursive: true });
    writeFileSync(join(settings, 'astakos', 'x.conf'), 'X = 1\n');
    const d = await run('drop', '--name', name, ...where, '--config', join(dirname(other), 'none.json'));
    assert.equal(d.code, 4, d.err);
    assert.match(d.err, /-settings was not written by sandbox .* \(no snf-upgrade-sandbox\.json naming it\)/);
    assert.equal(readFileSync(join(settings, 'astakos', 'x.conf'), 'utf8'), 'X = 1\n');
    if (!usingServer()) {
      const emb = join(tempDir('sbx-guard3-'), 'db');
      mkdirSync(join(emb, `${name}_pithos`), { recursive: true });
      writeFileSync(join(emb, `${name}_pithos`, 'keep.txt'), 'k');
      const e = await run('create', '--name', name, '--embedded', emb, '--scale', 'tiny', '--config', join(emb, 'c.json'));
      assert.equal(e.code, 4, e.err);
      assert.match(e.err, /is not an embedded database of snf-upgrade/);
      assert.ok(existsSync(join(emb, `${name}_pithos`, 'keep.txt')));
    }
  });
});

describe('sandbox commands on the shared layout touch only sandboxes', () => {
  it('refuses create and drop over a NAME_apps without the marker, which stays byte for byte; drops it once marked', async () => {
    const name = testDbName('sbx_gapps');
    const dir = tempDir('sbx-gapps-');
    const config = join(dir, 'apps.json');
    const where = usingServer() ? ['--pg', serverUrl()!] : ['--embedded', join(dir, 'db')];
    const c = await run('create', '--name', name, ...where, '--layout', 'shared', '--scale', 'tiny', '--seed', '4', '--config', config);
    assert.equal(c.code, 0, c.err);
    const urls = Object.fromEntries(SERVICES.map((s) => [s, JSON.parse(readFileSync(config, 'utf8'))[s].db])) as Record<Service, string>;
    assert.equal(urls.astakos, urls.cyclades);
    assert.match(urls.astakos, new RegExp(`${name}_apps`));
    const comment = async (value: string) => withDb('astakos', urls.astakos, async (db) => {
      const d = (await db.pool.query('SELECT current_database() AS d')).rows[0].d;
      await db.pool.query(`COMMENT ON DATABASE "${d}" IS ${value}`);
    });
    await comment('NULL');
    const before = await deploymentHashes(urls);
    for (const argv of [['create', '--name', name, ...where, '--layout', 'shared', '--scale', 'tiny', '--config', config], ['drop', '--name', name, '--config', config]]) {
      const r = await run(...argv);
      assert.equal(r.code, 4, r.err);
      assert.match(r.err, new RegExp(`${name}_apps\\S* is not sandbox ${name} \\(it carries no "snf-upgrade sandbox ${name}" marker\\)`));
      assert.deepEqual(await deploymentHashes(urls), before);
    }
    await comment(`'snf-upgrade sandbox ${name}'`);
    const d = await run('drop', '--name', name, '--config', config);
    assert.equal(d.code, 0, d.err);
    assert.ok(!existsSync(config));
    if (!usingServer()) assert.ok(!existsSync(join(dir, 'db', `${name}_apps`)));
  });
});
