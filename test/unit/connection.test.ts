// Connection identities: URLs read with pg's own parser, so that a socket URL is labelled with
// its socket directory, two spellings of one database are one deployment, TCP labels stay as
// they always were (state files written before still match), a password that breaks the URL
// gets a hint, and ~/.pgpass is read without pg's deprecation warning.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import type { Config } from '../../src/config.js';
import { clientConfig, connectionIdentity, libpqConnection, openDb, redactUrl } from '../../src/db/connection.js';
import { deploymentFingerprint } from '../../src/engine/types.js';
import { EXIT, UserError } from '../../src/errors.js';
import { startPasswordServer } from '../helpers/password-server.js';

const NO_ENV = {} as NodeJS.ProcessEnv;

/** The label as it was computed before (the browser URL parser): TCP labels must not change. */
function labelBefore(url: string): string {
  const u = new URL(url);
  return `${u.hostname || 'localhost'}:${u.port || '5432'}/${decodeURIComponent(u.pathname.replace(/^\//, ''))}`;
}

const config = (astakos: string, cyclades: string, pithos: string): Config =>
  ({ astakos: { db: astakos }, cyclades: { db: cyclades }, pithos: { db: pithos }, state: 's.db', backups: 'b' });

describe('connection identities', () => {
  let saved: NodeJS.ProcessEnv;
  before(() => {
    saved = { ...process.env };
    for (const k of ['PGHOST', 'PGPORT', 'PGDATABASE', 'PGUSER', 'PGPASSWORD']) delete process.env[k];
  });
  after(() => { process.env = saved; });

  it('labels TCP URLs exactly as before', () => {
    for (const url of [
      'postgres://127.0.0.1:5432/astakos',
      'postgres://synnefo:s3cr%40t@db1.example.org/snf_apps',
      'postgresql://synnefo@DB1.Example.org:6432/pithos',
      'postgres://[::1]:5433/cyclades',
      'postgres://db1/caf%C3%A9',
      'postgres://db1:5432/snf_apps?sslmode=disable&application_name=x',
    ]) assert.equal(redactUrl(url), labelBefore(url), url);
  });

  it('keeps the fingerprint of a TCP deployment (state files written before still match)', () => {
    const c = config('postgres://u:pw@db1/snf_apps', 'postgres://db1:5432/snf_apps', 'postgres://10.0.0.2:6432/snf_pithos');
    assert.equal(deploymentFingerprint(c), 'astakos=db1:5432/snf_apps cyclades=db1:5432/snf_apps pithos=10.0.0.2:6432/snf_pithos');
  });

  it('shows socket directories and ports as they are', () => {
    assert.equal(redactUrl('postgres:///snf_apps?host=/var/run/postgresql'), '/var/run/postgresql:5432/snf_apps');
    assert.equal(redactUrl('postgres://%2Fvar%2Frun%2Fpostgresql:5433/snf_apps'), '/var/run/postgresql:5433/snf_apps');
    assert.equal(redactUrl('postgres:///snf_apps?host=/tmp/pg/&port=5433'), '/tmp/pg:5433/snf_apps');
    assert.equal(redactUrl('postgres://db1/x?host=db2&port=6000'), 'db2:6000/x', 'query parameters win, as in pg');
  });

  it('gives two spellings of one database the same fingerprint', () => {
    const spellings = [
      'postgres:///snf_apps?host=/var/run/postgresql',
      'postgresql://synnefo@%2Fvar%2Frun%2Fpostgresql/snf_apps',
      'postgres://synnefo:pw@/snf_apps?host=/var/run/postgresql/&port=5432',
    ];
    const prints = spellings.map((u) => deploymentFingerprint(config(u, u, 'postgres://db2/pithos')));
    assert.equal(new Set(prints).size, 1, prints.join('\n'));
    assert.equal(deploymentFingerprint(config('postgres://db1/a', 'postgres://db1:5432/a', 'postgres://db1/p')),
      deploymentFingerprint(config('postgresql://db1:5432/a', 'postgres://u@db1/a', 'postgres://db1/p')));
    assert.notEqual(deploymentFingerprint(config(spellings[0]!, spellings[0]!, 'postgres://db2/pithos')),
      deploymentFingerprint(config('postgres://localhost/snf_apps', 'postgres://localhost/snf_apps', 'postgres://db2/pithos')),
      'a socket and localhost over TCP are told apart');
  });

  it('fills what the URL leaves out from the PG* variables, as pg does', () => {
    assert.deepEqual(connectionIdentity('postgres://', { PGHOST: '/run/pg', PGPORT: '6000', PGUSER: 'snf' }),
      { host: '/run/pg', port: '6000', database: 'snf', user: 'snf' });
    assert.deepEqual(connectionIdentity('postgres://a@db1/x', { PGDATABASE: 'y', PGUSER: 'b' }),
      { host: 'db1', port: '5432', database: 'x', user: 'a' });
    assert.deepEqual(connectionIdentity('postgres:///x', NO_ENV), { host: 'localhost', port: '5432', database: 'x', user: '' });
  });

  it('gives pg_dump the same database as a libpq connection string, the password apart', () => {
    assert.deepEqual(libpqConnection('postgres://synnefo:pa%27ss@/snf_apps?host=/var/run/postgresql&sslmode=disable'),
      { conninfo: "host='/var/run/postgresql' port='5432' dbname='snf_apps' user='synnefo' sslmode='disable'", password: "pa'ss" });
    assert.deepEqual(libpqConnection("postgres://db1:6432/it's?password=x\\y"),
      { conninfo: "host='db1' port='6432' dbname='it\\'s'", password: 'x\\y' });
  });

  it('hints at percent-encoding a password that breaks the URL, without showing it', async () => {
    for (const pw of ['pa/ss#word', 'p?ss[1]', 'x]y:z/']) {
      const url = `postgres://synnefo:${pw}@db1:5432/snf_apps`;
      const e = (() => { try { clientConfig(url, 'astakos'); } catch (err) { return err; } return undefined; })();
      assert.ok(e instanceof UserError, `${pw}: ${String(e)}`);
      assert.equal(e.exitCode, EXIT.usage);
      assert.equal(e.message, 'the astakos database URL does not parse as a postgres:// URL');
      assert.match(e.next, /percent-encoded \(%40 %3A %2F %3F %23/);
      assert.ok(!`${e.message}${e.next}`.includes(pw));
      assert.equal(redactUrl(url), '<unparseable url>');
      await assert.rejects(openDb('astakos', url), (err: unknown) => err instanceof UserError && err.exitCode === EXIT.usage);
    }
    // percent-encoded, the same password parses and is what pg sends
    assert.equal(clientConfig('postgres://synnefo:pa%2Fss%23word@db1/snf_apps').password, 'pa/ss#word');
  });
});

describe('passwords from ~/.pgpass', () => {
  let dir: string;
  let saved: NodeJS.ProcessEnv;
  before(() => {
    saved = { ...process.env };
    delete process.env.PGPASSWORD;
    dir = mkdtempSync(join(tmpdir(), 'snf-pgpass-'));
    process.env.PGPASSFILE = join(dir, 'pgpass');
  });
  after(() => {
    process.env = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  /** Connects with clientConfig(URL) and returns the password the server received and any warnings. */
  async function connect(url: string, socketDir?: string): Promise<{ password: string | undefined; warnings: string[] }> {
    const server = await startPasswordServer(socketDir ? join(socketDir, '.s.PGSQL.5999') : undefined);
    const warnings: string[] = [];
    const onWarning = (w: Error): void => { warnings.push(`${w.name}: ${w.message}`); };
    process.on('warning', onWarning);
    try {
      const client = new pg.Client(clientConfig(url.replace('PORT', String(server.port))));
      await client.connect();
      await client.end();
      await new Promise((r) => setImmediate(r));
      return { password: server.passwords[0], warnings };
    } finally {
      process.off('warning', onWarning);
      await server.close();
    }
  }

  const pgpass = (text: string): void => {
    writeFileSync(process.env.PGPASSFILE!, text);
    chmodSync(process.env.PGPASSFILE!, 0o600);
  };

  it('reads the password for a TCP connection, with no deprecation warning', async () => {
    pgpass('other:*:*:*:wrong\n127.0.0.1:*:snf_apps:synnefo:tcp\\:pw\n');
    const r = await connect('postgres://synnefo@127.0.0.1:PORT/snf_apps');
    assert.equal(r.password, 'tcp:pw');
    assert.deepEqual(r.warnings, []);
  });

  it('matches a socket directory, or localhost as libpq does', async () => {
    const sock = mkdtempSync(join(dir, 's'));
    pgpass(`${sock}:5999:snf_apps:synnefo:bysocket\nlocalhost:5999:*:*:bylocalhost\n`);
    assert.equal((await connect(`postgres://synnefo@/snf_apps?host=${sock}&port=5999`, sock)).password, 'bysocket');
    const r = await connect(`postgres://synnefo@/other?host=${sock}&port=5999`, sock);
    assert.equal(r.password, 'bylocalhost');
    assert.deepEqual(r.warnings, []);
  });

  it('leaves the password of the URL and PGPASSWORD alone', async () => {
    pgpass('*:*:*:*:frompgpass\n');
    assert.equal((await connect('postgres://synnefo:inurl@127.0.0.1:PORT/snf_apps')).password, 'inurl');
    process.env.PGPASSWORD = 'fromenv';
    try {
      assert.equal((await connect('postgres://synnefo@127.0.0.1:PORT/snf_apps')).password, 'fromenv');
    } finally {
      delete process.env.PGPASSWORD;
    }
  });
});
