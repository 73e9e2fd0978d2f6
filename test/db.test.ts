import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openDb, type Db } from '../src/db/connection.js';
import { describeVersion, detectSchema } from '../src/db/detect.js';
import { committedBatches, ensureJournal, runBatch } from '../src/db/journal.js';
import { acquireLock, LockHeld } from '../src/db/lock.js';
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
    assert.equal(describeVersion('astakos', await detectSchema(old.cyclades.pool, 'astakos')), 'not a astakos database');
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
