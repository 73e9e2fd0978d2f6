import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig, requireDb, requireDeployment } from '../../src/config.js';
import { main } from '../../src/cli/main.js';
import { openDb, redactUrl } from '../../src/db/connection.js';
import { scrubSecrets } from '../../src/secrets.js';
import { UserError } from '../../src/errors.js';
import { cleanupAll, tempDir } from '../support.js';

after(cleanupAll);

function configFile(text: string): string {
  const file = join(tempDir('cfg-'), 'snf-upgrade.json');
  writeFileSync(file, text);
  return file;
}

function userError(fn: () => unknown): UserError {
  try { fn(); } catch (e) { assert.ok(e instanceof UserError, `expected UserError, got ${e}`); return e; }
  assert.fail('expected an error');
}

describe('config', () => {
  it('reads services, resolves relative paths from the file, applies defaults', () => {
    const file = configFile(JSON.stringify({ astakos: { db: 'postgres://db1/astakos', settings: 'etc/astakos' }, cyclades: { db: 'postgres://db1/cyclades' } }));
    const c = loadConfig(file, {});
    assert.equal(c.astakos.db, 'postgres://db1/astakos');
    assert.equal(c.astakos.settings, join(file, '..', 'etc/astakos'));
    assert.equal(c.state, join(file, '..', 'state/upgrade.db'));
    assert.equal(c.backups, join(file, '..', 'backups'));
    assert.equal(c.pithos.db, undefined);
    const e = userError(() => requireDb(c, 'pithos'));
    assert.match(e.message, /no database configured for pithos/);
    assert.match(e.next, /SNF_PITHOS_DB/);
  });

  it('lets the environment override databases and the state file', () => {
    const file = configFile('{"astakos": {"db": "postgres://a/b"}}');
    const c = loadConfig(file, { SNF_ASTAKOS_DB: 'postgres://x/astakos', SNF_PITHOS_DB: 'postgres://x/pithos', SNF_UPGRADE_STATE: '/tmp/s.db' });
    assert.equal(c.astakos.db, 'postgres://x/astakos');
    assert.equal(c.pithos.db, 'postgres://x/pithos');
    assert.equal(c.state, '/tmp/s.db');
  });

  it('names the line and column of malformed JSON', () => {
    const e = userError(() => loadConfig(configFile('{\n  "astakos": {"db": "postgres://a/b",}\n}'), {}));
    assert.match(e.message, /not valid JSON.*line 2, column \d+/);
    assert.equal(e.exitCode, 2);
    assert.ok(!e.message.includes('\n'));
  });

  it('refuses unknown keys, wrong types and non-postgres URLs', () => {
    assert.match(userError(() => loadConfig(configFile('{"astakso": {}}'), {})).message, /unknown key "astakso"/);
    assert.match(userError(() => loadConfig(configFile('{"astakos": {"database": "x"}}'), {})).message, /unknown key "astakos.database"/);
    assert.match(userError(() => loadConfig(configFile('{"state": 3}'), {})).message, /"state" must be/);
    assert.match(userError(() => loadConfig(configFile('{"pithos": {"db": "mysql://x/y"}}'), {})).message, /postgres:\/\/ URL/);
    assert.match(userError(() => loadConfig(configFile('[]'), {})).message, /top level must be a JSON object/);
  });

  it('refuses a named config file that does not exist', () => {
    const e = userError(() => loadConfig('/nonexistent/snf.json', {}));
    assert.match(e.message, /does not exist/);
  });

  it('never shows passwords', async () => {
    const url = 'postgres://admin:s3cr%40t-pw@127.0.0.1:1/astakos';
    assert.equal(redactUrl(url), '127.0.0.1:1/astakos');
    assert.equal(scrubSecrets(`failed for ${url} with s3cr@t-pw`, [url]), 'failed for postgres://admin:***@127.0.0.1:1/astakos with ***');
    await assert.rejects(openDb('astakos', url), (e: unknown) => {
      assert.ok(e instanceof UserError);
      assert.match(e.message, /cannot reach the astakos database at 127\.0\.0\.1:1\/astakos: connection refused/);
      assert.ok(!`${e.message} ${e.next}`.includes('s3cr'));
      return true;
    });
  });
});

describe('secrets in unusual places', () => {
  it('scrubs ?password= parameters and never quotes config text in JSON errors', () => {
    assert.equal(scrubSecrets('at postgres://h/db?sslmode=require&password=hunter2 failed'), 'at postgres://h/db?sslmode=require&password=*** failed');
    const e = userError(() => loadConfig(configFile('{"astakos": {"db": "postgres://u:hunter2@h/a"}, "x": tru}'), {}));
    assert.ok(!e.message.includes('hunter2'), e.message);
  });
});

describe('no deployment configured', () => {
  it('the wizard says so in one line and exits 2, before it asks for a terminal', async () => {
    const file = configFile('{ "state": "upgrade.db" }');
    let err = '';
    const code = await main(['--config', file], { out: () => undefined, err: (t) => { err += `${t}\n`; }, isTTY: false });
    assert.equal(code, 2, err);
    assert.match(err, new RegExp(`^snf-upgrade: no deployment is configured: ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} names no database\n  next: write snf-upgrade\.json .*snf-upgrade demo tries the wizard on a sandbox`));
    const blank = { astakos: {}, cyclades: {}, pithos: {}, state: 'upgrade.db', backups: 'backups' } as Parameters<typeof requireDeployment>[0];
    const none = userError(() => requireDeployment(blank));
    assert.match(none.message, /there is no snf-upgrade\.json here and no SNF_ASTAKOS_DB, SNF_CYCLADES_DB, SNF_PITHOS_DB/);
  });
});

describe('status with a database it cannot reach', () => {
  it('shows what it can, says which database and why on stderr, and exits 1', async () => {
    const dir = tempDir('unreach-');
    const file = configFile(JSON.stringify({ astakos: { db: 'postgres://snf@127.0.0.1:1/snf_astakos' }, state: join(dir, 'state.db') }));
    let out = '';
    let err = '';
    const code = await main(['status', '--config', file], { out: (t) => { out += `${t}\n`; }, err: (t) => { err += `${t}\n`; }, isTTY: false });
    assert.equal(code, 1, err);
    assert.match(out, /astakos +127\.0\.0\.1:1\/snf_astakos +cannot reach the astakos database at 127\.0\.0\.1:1\/snf_astakos: connection refused/);
    assert.match(out, /▶ 1 +Services down, databases backed up/);
    assert.match(err, /^snf-upgrade: cannot reach the astakos database at 127\.0\.0\.1:1\/snf_astakos: connection refused\n  next: check the "db" URL in the config file/);
  });
});

describe('--no-color', () => {
  it('turns colour off for the run, as NO_COLOR does', async () => {
    const was = process.env.NO_COLOR;
    delete process.env.NO_COLOR;
    try {
      const { colorEnabled } = await import('../../src/ui/format.js');
      assert.equal(colorEnabled(), true);
      const code = await main(['--no-color', '--version'], { out: () => undefined, err: () => undefined, isTTY: false });
      assert.equal(code, 0);
      assert.equal(colorEnabled(), false);
    } finally {
      if (was === undefined) delete process.env.NO_COLOR; else process.env.NO_COLOR = was;
    }
  });
});
