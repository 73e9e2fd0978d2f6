// `snf-upgrade verify`: the deployment checked as a whole. Mid-upgrade, later invariants are
// "not checked yet" (exit 0); after a full walk it is clean, and each invariant broken behind
// the tool's back is one named finding (exit 4); step 11 refuses to confirm while one exists;
// a missing state file is not created.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { Service } from '../src/db/connection.js';
import { createSandbox } from '../src/sandbox/index.js';
import { walker } from './helpers/walk.js';
import { cleanupAll, cliIn as cli, sandboxTarget, tempDir, testDbName, withDb } from './support.js';

after(cleanupAll);

const sql = async <T = Record<string, unknown>>(url: string, service: Service, text: string, params: unknown[] = []): Promise<T[]> =>
  withDb(service, url, async (db) => (await db.pool.query(text, params)).rows as T[]);

describe('snf-upgrade verify', { timeout: 900_000 }, () => {
  test('mid-upgrade, after a full walk, and with each invariant broken behind the tool\'s back', async () => {
    const dir = tempDir('verify-');
    const cfg = join(dir, 'snf-upgrade.json');
    const { urls } = await createSandbox({ name: testDbName('verify'), ...sandboxTarget(dir), scale: 'tiny', seed: 11, configPath: cfg });
    const walk = walker(cfg, urls, 'verify');

    // no state file: none is created, nothing is checked yet
    const nowhere = join(dir, 'nowhere', 'state.db');
    const blank = await cli(cfg, 'verify', '--state', nowhere);
    assert.equal(blank.code, 0, blank.err);
    assert.ok(!existsSync(dirname(nowhere)), 'verify created no state file');
    assert.match(blank.out, /not checked yet: step 6\.3 is not done/);

    for (const id of ['1', '2.1', '2.2']) await walk.run(id);
    for (const id of ['3.1', '3.2', '3.3', '3.4', '3.5', '3.6', '4']) await walk.confirm(id);
    for (const id of ['5', '6.1', '6.3']) await walk.run(id);

    // after 6.3 only: 6.3's invariants hold, later ones are not checked yet
    const mid = await cli(cfg, 'verify');
    assert.equal(mid.code, 0, mid.out + mid.err);
    assert.match(mid.out, /✓ 6\.3: no email-shaped owner left in cyclades/);
    for (const later of ['6.4', '8', '9.1', '9.2']) assert.match(mid.out, new RegExp(`not checked yet: step ${later.replace('.', '\\.')} is not done`));
    assert.doesNotMatch(mid.out, /✗/);

    for (const id of ['6.2', '6.4', '7.1', '7.2', '8', '9.1', '9.2']) await walk.run(id);
    await walk.confirm('10');

    const clean = await cli(cfg, 'verify');
    assert.equal(clean.code, 0, clean.out + clean.err);
    assert.match(clean.out, /verify: no findings/);
    for (const held of [/✓ 6\.3: no email-shaped owner/, /✓ 6\.4: every account is named by an astakos uuid/, /✓ 6\.4: every grant, group owner and member/,
      /✓ 6\.4: statistics match/, /✓ 8: every email-verified user is a quotaholder entity/, /✓ 9\.1: every pithos usage/, /✓ 9\.2: every cyclades usage/,
      /✓ 3\.2: the astakos schema is at the 0\.13 head/, /✓ 6\.4: the pithos schema is at the 0\.13 head/]) assert.match(clean.out, held);
    const json = await cli(cfg, 'verify', '--json');
    assert.equal(json.code, 0);
    assert.deepEqual(JSON.parse(json.out).findings, []);

    const email = (await sql<{ email: string }>(urls.astakos, 'astakos', 'SELECT email FROM auth_user ORDER BY id LIMIT 1'))[0]!.email;

    /** Breaks an invariant, expects verify to name it (exit 4, FINDING on a ✗ line), restores. */
    const broken = async (what: string, brk: () => Promise<void>, restore: () => Promise<void>, finding: RegExp, also?: () => Promise<void>): Promise<void> => {
      await brk();
      try {
        const r = await cli(cfg, 'verify');
        assert.equal(r.code, 4, `${what}: ${r.out}${r.err}`);
        const lines = r.out.split('\n').filter((l) => l.startsWith('✗'));
        assert.ok(lines.some((l) => finding.test(l)), `${what}: ${r.out}`);
        assert.ok(lines.every((l) => / — (run|do step) \S+ again/.test(l)), `${what}: each finding names its step: ${r.out}`);
        await also?.();
      } finally {
        await restore();
      }
      const again = await cli(cfg, 'verify');
      assert.equal(again.code, 0, `${what} restored: ${again.out}`);
    };

    // a VM owned by an email (and step 11 refuses to confirm meanwhile)
    const vm = (await sql<{ id: number; userid: string }>(urls.cyclades, 'cyclades', 'SELECT id, userid FROM db_virtualmachine ORDER BY id LIMIT 1'))[0]!;
    await broken('vm owner', () => sql(urls.cyclades, 'cyclades', 'UPDATE db_virtualmachine SET userid = $1 WHERE id = $2', [email, vm.id]).then(() => undefined),
      () => sql(urls.cyclades, 'cyclades', 'UPDATE db_virtualmachine SET userid = $1 WHERE id = $2', [vm.userid, vm.id]).then(() => undefined),
      new RegExp(`VM #${vm.id}.*run 6\\.3 again`), async () => {
        const r = await cli(cfg, 'confirm', '11');
        assert.equal(r.code, 4, r.err);
        assert.match(r.err, new RegExp(`step 11 cannot be confirmed: .*VM #${vm.id}`));
      });

    // a pithos account named by an email
    const top = (await sql<{ n: number }>(urls.pithos, 'pithos', 'SELECT max(node) + 1 AS n FROM nodes'))[0]!.n;
    await broken('pithos account', () => sql(urls.pithos, 'pithos', 'INSERT INTO nodes (node, parent, path) VALUES ($1, 0, $2)', [top, 'nobody@example.org']).then(() => undefined),
      () => sql(urls.pithos, 'pithos', 'DELETE FROM nodes WHERE node = $1', [top]).then(() => undefined),
      /account nobody@example\.org.*run 6\.4 again/);

    // a group member and a grant named by an email astakos resolves
    const owner = (await sql<{ path: string }>(urls.pithos, 'pithos', 'SELECT path FROM nodes WHERE parent = 0 AND node <> 0 ORDER BY node LIMIT 1'))[0]!.path;
    await broken('group member', () => sql(urls.pithos, 'pithos', "INSERT INTO groups (owner, name, member) VALUES ($1, 'snf-verify', $2)", [owner, email]).then(() => undefined),
      () => sql(urls.pithos, 'pithos', "DELETE FROM groups WHERE name = 'snf-verify'").then(() => undefined),
      new RegExp(`every grant, group owner and member.*${email.replace(/[.+]/g, '\\$&')} in groups.*run 6\\.4 again`, 'i'));
    const feature = (await sql<{ id: number }>(urls.pithos, 'pithos', 'SELECT feature_id AS id FROM xfeatures ORDER BY feature_id LIMIT 1'))[0]!.id;
    await broken('grant', () => sql(urls.pithos, 'pithos', 'INSERT INTO xfeaturevals (feature_id, key, value) VALUES ($1, 1, $2)', [feature, email]).then(() => undefined),
      () => sql(urls.pithos, 'pithos', 'DELETE FROM xfeaturevals WHERE feature_id = $1 AND value = $2', [feature, email]).then(() => undefined),
      new RegExp(`every grant, group owner and member.*${email.replace(/[.+]/g, '\\$&')} in xfeaturevals\\.value.*run 6\\.4 again`, 'i'));

    // a schema below the 0.13 head: one of 0.13's cyclades migrations is not recorded
    const south = (await sql<{ id: number; applied: Date }>(urls.cyclades, 'cyclades', "SELECT id, applied FROM south_migrationhistory WHERE app_name = 'db' AND migration = '0061_network_flavors'"))[0]!;
    await broken('schema below head', () => sql(urls.cyclades, 'cyclades', 'DELETE FROM south_migrationhistory WHERE id = $1', [south.id]).then(() => undefined),
      () => sql(urls.cyclades, 'cyclades', "INSERT INTO south_migrationhistory (id, app_name, migration, applied) VALUES ($1, 'db', '0061_network_flavors', $2)", [south.id, south.applied]).then(() => undefined),
      /the cyclades schema is at the 0\.13 head \([^)]*partial \(missing: db 0061\)\) — do step 3\.2 again/);

    // a statistics row off by one
    const stat = (await sql<{ node: number; cluster: number }>(urls.pithos, 'pithos', 'SELECT node, cluster FROM statistics WHERE cluster = 0 ORDER BY node LIMIT 1'))[0]!;
    const bump = (d: number) => sql(urls.pithos, 'pithos', 'UPDATE statistics SET size = size + $1 WHERE node = $2 AND cluster = $3', [d, stat.node, stat.cluster]).then(() => undefined);
    await broken('statistics', () => bump(1), () => bump(-1), /statistics match the files.*size\(s\) differ.*run 6\.4 again/, async () => {
      const r = await cli(cfg, 'confirm', '11');
      assert.equal(r.code, 4, r.err);
      assert.match(r.err, /step 11 is not done yet: \d+ of \d+ checks fail/);
      assert.match(r.err, /✗ snf-upgrade verify finds nothing: 1 finding: statistics match the files.* — run 6\.4 again/);
    });

    // a holding changed, and a holding deleted for a verified user
    const holding = (await sql<Record<string, unknown>>(urls.astakos, 'astakos',
      `SELECT h.* FROM quotaholder_app_holding h JOIN im_astakosuser u ON u.uuid = h.entity_id JOIN auth_user a ON a.id = u.user_ptr_id
        WHERE u.email_verified ORDER BY h.id LIMIT 1`))[0]!;
    const shift = (d: number) => sql(urls.astakos, 'astakos', 'UPDATE quotaholder_app_holding SET imported = imported + $1 WHERE id = $2', [d, holding.id]).then(() => undefined);
    await broken('holding changed', () => shift(1), () => shift(-1), new RegExp(`\\(astakos quotaholder_app_holding: 1 holdings differ: #${holding.id} ${holding.entity_id} `));
    const cols = Object.keys(holding);
    await broken('holding deleted', () => sql(urls.astakos, 'astakos', 'DELETE FROM quotaholder_app_holding WHERE id = $1', [holding.id]).then(() => undefined),
      () => sql(urls.astakos, 'astakos', `INSERT INTO quotaholder_app_holding (${cols.map((c) => `"${c}"`).join(', ')}) VALUES (${cols.map((_c, i) => `$${i + 1}`).join(', ')})`,
        cols.map((c) => holding[c])).then(() => undefined),
      /\(astakos quotaholder_app_holding \/ quotaholder_app_policy: 1 differ: /);

    // clean again: step 11 confirms
    await walk.confirm('11');
  });
});
