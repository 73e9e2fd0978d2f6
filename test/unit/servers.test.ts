// Supported servers (PostgreSQL 9.1 and later) with the server's version faked: a query function
// that answers server_version_num and records every other statement.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Db } from '../../src/db/connection.js';
import { dumpProblem, versionNumOf } from '../../src/db/backup.js';
import { hostDumpCommand, hostDumpName } from '../../src/db/host-dump.js';
import { releaseOf, serverVersionNum, unsupportedServer } from '../../src/db/server.js';
import { activityColumns, otherSessions, sessionsNamed } from '../../src/db/sessions.js';
import { checkServerVersion } from '../../src/engine/preflight.js';
import { CheckFailed, EXIT } from '../../src/errors.js';

/** A database whose server is VERSIONNUM: SHOW server_version_num answered, other statements recorded and answered by ROWS. */
function fakeDb(versionNum: number, rows: (sql: string) => unknown[] = () => [], url = 'postgres://snf@db1.example.org:5433/snf_apps'): Db & { sent: string[] } {
  const sent: string[] = [];
  const query = async (sql: string): Promise<{ rows: unknown[]; rowCount: number }> => {
    if (/^SHOW server_version_num$/.test(sql)) return { rows: [{ server_version_num: String(versionNum) }], rowCount: 1 };
    sent.push(sql);
    const r = rows(sql);
    return { rows: r, rowCount: r.length };
  };
  return { service: 'astakos', url, label: 'db1.example.org:5433/snf_apps', embedded: false, pool: { query } as unknown as Db['pool'], close: async () => undefined, sent };
}

describe('server versions', () => {
  it('releases and the oldest supported server', async () => {
    assert.equal(releaseOf(90124), '9.1');
    assert.equal(releaseOf(80417), '8.4');
    assert.equal(releaseOf(100023), '10');
    assert.equal(releaseOf(150004), '15');
    assert.equal(await serverVersionNum(fakeDb(90124).pool), 90124);
    assert.equal(unsupportedServer(90100), undefined);
    assert.equal(unsupportedServer(170002), undefined);
    assert.equal(unsupportedServer(90023), 'runs PostgreSQL 9.0; snf-upgrade supports PostgreSQL 9.1 and later');
  });

  it('preflight refuses a server older than 9.1 in one line, exit 4, and lets 9.1 through', async () => {
    await checkServerVersion(fakeDb(90100));
    await checkServerVersion(fakeDb(160001));
    await assert.rejects(checkServerVersion(fakeDb(80417)), (err: unknown) => {
      assert.ok(err instanceof CheckFailed);
      assert.equal(err.exitCode, EXIT.checkFailed);
      assert.equal(err.message, 'the astakos database at db1.example.org:5433/snf_apps runs PostgreSQL 8.4; snf-upgrade supports PostgreSQL 9.1 and later');
      assert.doesNotMatch(err.message, /\n/);
      return true;
    });
  });
});

describe('pg_stat_activity by server version (db/sessions.ts)', () => {
  it('9.1: procpid and no state column; 9.2 and later: pid and state', () => {
    assert.deepEqual(activityColumns(90124), { pid: 'procpid', state: "''" });
    assert.deepEqual(activityColumns(90200), { pid: 'pid', state: 'state' });
    assert.deepEqual(activityColumns(150004), { pid: 'pid', state: 'state' });
  });

  it('otherSessions reads procpid on 9.1, pid and state on 15, and reports the sessions', async () => {
    const row = { pid: 4242, app: 'gunicorn', client: '10.0.0.5', usename: 'synnefo', since: new Date('2013-03-02T21:04:00Z'), state: '' };
    const old = fakeDb(90124, () => [row]);
    const sessions = await otherSessions(old);
    assert.equal(sessions.length, 1);
    assert.equal(sessions[0]!.pid, 4242);
    assert.match(old.sent[0]!, /SELECT procpid AS pid, .*'' AS state/s);
    assert.match(old.sent[0]!, /procpid <> pg_backend_pid\(\)/);
    assert.doesNotMatch(old.sent[0]!.replace(/AS (pid|state)\b/g, ''), /\b(pid|state)\b/, 'no 9.2 column');
    const current = fakeDb(150004, () => [row]);
    await otherSessions(current);
    assert.match(current.sent[0]!, /SELECT pid AS pid, .*state AS state/s);
    assert.doesNotMatch(current.sent[0]!, /procpid/);
  });

  it('the take-over lookup of a runner\'s batch sessions (sessionsNamed) switches the same way', async () => {
    const old = fakeDb(90124, () => [{ pid: 77 }]);
    assert.deepEqual(await sessionsNamed(old.pool, 'snf-upgrade:4242'), [77]);
    assert.match(old.sent[0]!, /^SELECT procpid AS pid FROM pg_stat_activity WHERE datname = current_database\(\) AND procpid <> pg_backend_pid\(\) AND application_name = \$1$/);
    const current = fakeDb(130000, () => []);
    assert.deepEqual(await sessionsNamed(current.pool, 'snf-upgrade:4242'), []);
    assert.match(current.sent[0]!, /^SELECT pid AS pid FROM pg_stat_activity .* pid <> pg_backend_pid\(\)/);
  });
});

describe('can this pg_dump dump this server', () => {
  it('reads pg_dump --version and dump headers', () => {
    assert.equal(versionNumOf('pg_dump (PostgreSQL) 15.4 (Debian 15.4-2.pgdg120+1)'), 150004);
    assert.equal(versionNumOf('pg_dump (PostgreSQL) 9.1.24'), 90124);
    assert.equal(versionNumOf('9.1.24'), 90124);
    assert.equal(versionNumOf('16beta1'), 160000);
    assert.equal(versionNumOf('pg_dump (PostgreSQL) 10.23'), 100023);
    assert.equal(versionNumOf('nothing'), undefined);
  });

  it('decides by both versions', () => {
    const cases: Array<[number | undefined, number, RegExp | undefined]> = [
      [undefined, 90124, /^pg_dump is not installed on this machine$/],
      [150004, 90124, /^pg_dump 15 cannot dump PostgreSQL 9\.1 \(pg_dump 15 and later need a 9\.2 or later server\)$/],
      [170002, 90124, /^pg_dump 17 cannot dump PostgreSQL 9\.1/],
      [150004, 90200, undefined],
      [140010, 90124, undefined],
      [90124, 90124, undefined],
      [90124, 90200, /^pg_dump 9\.1 is older than the server \(PostgreSQL 9\.2\)$/],
      [90600, 100000, /^pg_dump 9\.6 is older than the server \(PostgreSQL 10\)$/],
      [140010, 150004, /^pg_dump 14 is older than the server \(PostgreSQL 15\)$/],
      [150001, 150004, undefined],
      [160000, 150004, undefined],
    ];
    for (const [client, server, want] of cases) {
      const got = dumpProblem(client, server);
      if (want) assert.match(got ?? '', want, `${client} → ${server}`);
      else assert.equal(got, undefined, `${client} → ${server}`);
    }
  });

  it('the command for the database host: this deployment\'s host, port, user and database, no password, database last', async () => {
    const identity = (sql: string): unknown[] => (/current_database\(\)/.test(sql) ? [{ dbname: 'snf_apps', usr: 'synnefo', port: '5433' }] : []);
    const db = fakeDb(90124, identity, 'postgres://synnefo:s3cret@db1.example.org:5433/snf_apps');
    const { command, file } = await hostDumpCommand(db, 'step1');
    assert.equal(file, 'snf_apps-step1.dump');
    assert.equal(command, 'pg_dump -Fc -h db1.example.org -p 5433 -U synnefo -f snf_apps-step1.dump snf_apps');
    const socket = fakeDb(90124, () => [{ dbname: 'snf apps', usr: "o'brien", port: '5432' }], 'postgres:///snf_apps?host=/var/run/postgresql');
    assert.equal((await hostDumpCommand(socket, 'stepmanual-2013-03-02')).command,
      `pg_dump -Fc -h /var/run/postgresql -p 5432 -U 'o'\\''brien' -f snf_apps-stepmanual-2013-03-02.dump 'snf apps'`);
    assert.equal(hostDumpName('a/b', 'x y'), 'a_b-x_y.dump');
  });
});
