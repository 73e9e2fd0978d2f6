// Astakos and cyclades in one database (Synnefo's snf_apps): the whole upgrade, 1 → 11
// headless, on a sandbox built in that layout, with one lock and one dump per database.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { sameDatabase } from '../src/db/connection.js';
import { createSandbox } from '../src/sandbox/index.js';
import { StateFile } from '../src/state/index.js';
import { walker } from './helpers/walk.js';
import { cleanupAll, cliIn as cli, sandboxTarget, tempDir, testDbName, withDb } from './support.js';

after(cleanupAll);

describe('a shared snf_apps database, steps 1 → 11 headless', () => {
  test('every step runs or is confirmed with its verify passing; one lock and one backup for snf_apps', async () => {
    const dir = tempDir('shared-');
    const cfg = join(dir, 'snf-upgrade.json');
    const sbx = await createSandbox({ name: testDbName('shared_w'), layout: 'shared', ...sandboxTarget(dir), scale: 'tiny', seed: 5, configPath: cfg });
    assert.ok(sameDatabase(sbx.urls.astakos, sbx.urls.cyclades), 'astakos and cyclades share one database');
    assert.ok(!sameDatabase(sbx.urls.astakos, sbx.urls.pithos));
    await withDb('astakos', sbx.urls.astakos, async ({ pool }) => {
      const south = await pool.query<{ app: string; n: string }>('SELECT app_name AS app, count(*) AS n FROM south_migrationhistory GROUP BY 1 ORDER BY 1');
      assert.deepEqual(south.rows.map((r) => r.app), ['db', 'im', 'userdata'].filter((a) => south.rows.some((r) => r.app === a)));
      assert.ok(south.rows.some((r) => r.app === 'db') && south.rows.some((r) => r.app === 'im'), 'both services\' South history in the one table');
      const vms = await pool.query('SELECT 1 FROM db_virtualmachine LIMIT 1');
      assert.equal(vms.rowCount, 1);
    });
    const config = JSON.parse(readFileSync(cfg, 'utf8')) as { state: string; backups: string };

    const status = JSON.parse((await cli(cfg, 'status', '--json')).out);
    assert.deepEqual(status.deployment.map((d: { version: string }) => d.version), ['0.12.5', '0.12.5', '0.12.5']);
    assert.deepEqual(status.deployment.map((d: { sharedWith?: string[] }) => d.sharedWith ?? []), [['cyclades'], ['astakos'], []]);
    // No holder yet: status lists holders only (one per physical database once held, see test/unit/shared-database.test.ts).
    assert.deepEqual(status.locks, []);

    // snf_apps named for astakos only while cyclades points elsewhere: refused before anything is written
    const split = join(dir, 'split.json');
    writeFileSync(split, JSON.stringify({ astakos: { db: sbx.urls.astakos }, cyclades: { db: sbx.urls.pithos }, pithos: { db: sbx.urls.pithos },
      state: join(dir, 'split.db'), backups: join(dir, 'split-backups') }));
    const refused = await cli(split, 'run', '1');
    assert.equal(refused.code, 4, refused.err);
    assert.match(refused.err, /the astakos database at \S+ also holds the cyclades tables \(db_virtualmachine, db_network\), but cyclades is configured at \S+_pithos/);
    assert.match(refused.err, /the same URL for services sharing one/);

    const { run, confirm } = walker(cfg, sbx.urls, 'shared');

    const first = await run('1');
    assert.equal(readdirSync(config.backups).length, 2, 'one dump per physical database');
    assert.match(first.out, /astakos and cyclades: .*step1-astakos\+cyclades-/);
    const state = StateFile.open(config.state);
    try {
      const backups = state.listBackups();
      assert.deepEqual(backups.map((b) => b.service).sort(), ['astakos', 'cyclades', 'pithos']);
      assert.equal(new Set(backups.map((b) => b.path)).size, 2, 'the shared dump is recorded for both of its services');
    } finally {
      state.close();
    }
    const report = await cli(cfg, 'report');
    assert.match(report.out, /\| astakos, cyclades \| (pg_dump|embedded) \|/);

    // --take-over takes the one snf_apps lock: it ends no session of this runner's own
    await run('2.1', '--take-over');
    await run('2.2');
    for (const step of ['3.1', '3.2', '3.3', '3.4', '3.5', '3.6', '4']) await confirm(step);
    for (const step of ['5', '6.1', '6.2', '6.3', '6.4', '7.1', '7.2', '8', '9.1', '9.2']) await run(step);
    for (const step of ['10', '11']) await confirm(step);

    const end = JSON.parse((await cli(cfg, 'status', '--json')).out);
    assert.equal(end.current, null);
    assert.deepEqual(end.deployment.map((d: { version: string }) => d.version), ['0.13', '0.13', '0.13']);
    for (const s of end.steps as { id: string; status: string }[]) assert.equal(s.status, 'done', s.id);
  });
});
