import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openDb, type Db } from '../src/db/connection.js';
import { describeVersion, detectSchema } from '../src/db/detect.js';
import { classifyDbError, databaseFault } from '../src/db/errors.js';
import { committedBatches, ensureJournal, runBatch } from '../src/db/journal.js';
import { acquireLock, LockHeld } from '../src/db/lock.js';
import { analyzeAfterBatch, analyzeTables } from '../src/db/statistics.js';
import { loadSchema } from '../src/sandbox/schema.js';
import { cleanupAll, emptyDatabases, usingServer } from './support.js';

let old: Record<'astakos' | 'cyclades' | 'pithos', Db>;
let fresh: Record<'astakos' | 'cyclades' | 'pithos', Db>;

before(async () => {
  const a = await emptyDatabases('dbt_old');
  const b = await emptyDatabases('dbt_new');
  old = { astakos: await openDb('astakos', a.astakos), cyclades: await openDb('cyclades', a.cyclades), pithos: await openDb('pithos', a.pithos) };
  fresh = { astakos: await openDb('astakos', b.astakos), cyclades: await openDb('cyclades', b.cyclades), pithos: await openDb('pithos', b.pithos) };
  for (const s of ['astakos', 'cyclades', 'pithos'] as const) {
    await loadSchema(old[s].pool, s, '0.12.5');
    await loadSchema(fresh[s].pool, s, '0.13');
  }
});

after(async () => {
  for (const d of [...Object.values(old ?? {}), ...Object.values(fresh ?? {})]) await d.close();
  await cleanupAll();
});

describe('schema detection', () => {
  it('tells 0.12.5 from 0.13 for every service', async () => {
    for (const s of ['astakos', 'cyclades', 'pithos'] as const) {
      assert.equal(describeVersion(s, await detectSchema(old[s].pool, s)), '0.12.5', s);
      assert.equal(describeVersion(s, await detectSchema(fresh[s].pool, s)), '0.13', s);
    }
  });

  it('says when a database belongs to another service', async () => {
    assert.equal(describeVersion('pithos', await detectSchema(old.astakos.pool, 'pithos')), 'not a pithos database');
    assert.equal(describeVersion('astakos', await detectSchema(old.cyclades.pool, 'astakos')), 'not an astakos database');
  });

  it('lists what is missing from a half-migrated database', async () => {
    const c = await old.cyclades.pool.connect();
    try {
      await c.query('BEGIN');
      await c.query(`INSERT INTO south_migrationhistory (app_name, migration, applied) VALUES ('db', '0059_auto__add_quotaholderserial__add_field_virtualmachine_serial__add_fiel', now())`);
      await c.query('CREATE TABLE db_quotaholderserial (serial bigint PRIMARY KEY)');
      const v = await detectSchema(c, 'cyclades');
      assert.equal(describeVersion('cyclades', v), 'partial (missing: db 0060–0061, db_network.flavor, db_virtualmachine.serial_id)');
    } finally {
      await c.query('ROLLBACK');
      c.release();
    }
  });
});

describe('commit marker', () => {
  it('runs a batch exactly once and rolls back a failing one whole', async () => {
    const db = old.pithos;
    await ensureJournal(db);
    await db.pool.query(`CREATE TABLE t_batch (x int)`);
    const work = async (c: import('pg').PoolClient) => (await c.query('INSERT INTO t_batch SELECT generate_series(1, 10)')).rowCount!;
    assert.deepEqual(await runBatch(db, { step: 'T', batch: 'b1' }, work), { done: true, skipped: false, rows: 10 });
    assert.deepEqual(await runBatch(db, { step: 'T', batch: 'b1' }, work), { done: true, skipped: true, rows: 0 });
    await assert.rejects(runBatch(db, { step: 'T', batch: 'b2' }, async (c) => {
      await work(c);
      throw new Error('crash inside the batch');
    }), /crash inside the batch/);
    await assert.rejects(runBatch(db, { step: 'T', batch: 'b3', beforeCommit: () => { throw new Error('state file unwritable'); } }, work));
    const n = await db.pool.query('SELECT count(*)::int AS n FROM t_batch');
    assert.equal(n.rows[0].n, 10);
    assert.deepEqual((await committedBatches(db, 'T')).map((b) => [b.batch, b.rows]), [['b1', 10]]);
  });
});

describe('planner statistics', () => {
  it('ANALYZEs the tables named, and passes over one that is gone', async () => {
    const pool = old.astakos.pool;
    await pool.query('CREATE TABLE snf_stats_t (id int)');
    await pool.query('INSERT INTO snf_stats_t SELECT generate_series(1, 1500)');
    const planned = async () => Number((await pool.query(`SELECT reltuples FROM pg_class WHERE relname = 'snf_stats_t'`)).rows[0].reltuples);
    assert.notEqual(await planned(), 1500);
    await analyzeTables(pool, ['snf_stats_t', 'snf_no_such_table', 'snf_stats_t']);
    assert.equal(await planned(), 1500);
    await pool.query('DROP TABLE snf_stats_t');
  });

  it('refreshes a growing table after batches 1, 4, 16, 64, …', () => {
    assert.deepEqual(Array.from({ length: 300 }, (_, i) => i).filter(analyzeAfterBatch), [1, 4, 16, 64, 256]);
  });
});

describe('advisory lock', () => {
  it('refuses a second runner and names the holder', { skip: !usingServer() && 'embedded PostgreSQL has one session per process' }, async () => {
    const second = await openDb('astakos', old.astakos.url);
    const held = await acquireLock(old.astakos, 'snf-upgrade run 2.2');
    try {
      await assert.rejects(acquireLock(second, 'snf-upgrade run 1'), (e: unknown) => {
        assert.ok(e instanceof LockHeld);
        assert.match(e.message, new RegExp(`locked by .* pid ${process.pid} \\(snf-upgrade run 2\\.2\\) since \\d{4}-`));
        assert.equal(e.holder?.connected, true);
        return true;
      });
      const taken = await acquireLock(second, 'snf-upgrade run 1', { takeOver: true });
      await taken.release();
    } finally {
      await held.release();
      await second.close();
    }
  });
});

describe('database faults', () => {
  it('a deadlock inside a batch: the batch rolls back, and the operator is told which database, step and batch', { skip: !usingServer() && 'embedded PostgreSQL has one session per process' }, async () => {
    const db = old.cyclades;
    await db.pool.query('DROP TABLE IF EXISTS dbt_deadlock; CREATE TABLE dbt_deadlock (id int PRIMARY KEY, v int); INSERT INTO dbt_deadlock VALUES (1, 0), (2, 0)');
    await ensureJournal(db);
    const other = await db.pool.connect();
    try {
      await other.query('BEGIN');
      await other.query('UPDATE dbt_deadlock SET v = 1 WHERE id = 2');
      let otherDone: Promise<unknown> = Promise.resolve();
      const err = await runBatch(db, { step: 'T', batch: 'deadlock' }, async (c) => {
        await c.query('UPDATE dbt_deadlock SET v = 2 WHERE id = 1');
        // The batch waits for row 2 first, so its deadlock check fires first and it is the one aborted.
        setTimeout(() => { otherDone = other.query('UPDATE dbt_deadlock SET v = 1 WHERE id = 1'); }, 200);
        await c.query('UPDATE dbt_deadlock SET v = 2 WHERE id = 2');
        return 2;
      }).then(() => undefined, (e: unknown) => e);
      assert.equal((err as { code?: string }).code, '40P01');
      assert.equal(classifyDbError(err), 'deadlock');
      const fault = databaseFault(err, { service: 'cyclades', step: 'T', batch: '1 ("deadlock")' })!;
      assert.equal(fault.message, 'a deadlock with another session in the cyclades database aborted the batch during T, batch 1 ("deadlock"); nothing of that batch was kept');
      assert.match(fault.next, /stop the services still connected to it .*run the same command again to resume/);
      await otherDone;
      await other.query('COMMIT');
      assert.ok(!(await committedBatches(db, 'T')).some((b) => b.batch === 'deadlock'), 'no journal row');
      const rows = await db.pool.query<{ id: number; v: number }>('SELECT id, v FROM dbt_deadlock ORDER BY id');
      assert.deepEqual(rows.rows, [{ id: 1, v: 1 }, { id: 2, v: 1 }], 'only the other session\'s writes are kept');
    } finally {
      other.release();
    }
  });

  it('tells database faults (connection, timeout, disk, concurrency) from other errors', () => {
    const cases: [unknown, string | undefined][] = [
      [Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }), 'terminated'],
      [Object.assign(new Error('the database system is starting up'), { code: '57P03' }), 'starting'],
      [Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' }), 'statement-timeout'],
      [Object.assign(new Error('canceling statement due to user request'), { code: '57014' }), 'canceled'],
      [Object.assign(new Error('could not extend file: No space left on device'), { code: '53100' }), 'disk-full'],
      [Object.assign(new Error('could not serialize access'), { code: '40001' }), 'serialization'],
      [Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }), 'connection-lost'],
      [new Error('Connection terminated unexpectedly'), 'connection-lost'],
      [Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' }), undefined],
      [new TypeError('x is undefined'), undefined],
    ];
    for (const [err, kind] of cases) assert.equal(classifyDbError(err), kind, (err as Error).message);
    const cut = databaseFault(new Error('Connection terminated unexpectedly'), { service: 'pithos', step: '6.4' })!;
    assert.equal(cut.message, 'the connection to pithos was lost (Connection terminated unexpectedly) during 6.4');
    assert.equal(databaseFault(new Error('a bug'), { service: 'pithos' }), undefined);
  });
});
