// Each step re-checks what the earlier done steps promised: a case-duplicate astakos user
// registered after 2.2, a VM created by email after 6.3, a pithos account named by email
// after 6.4. The next step refuses in one line naming them, running the promising step
// again fixes it, and the walk goes on to 11.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createSandbox } from '../src/sandbox/index.js';
import { walker } from './helpers/walk.js';
import { cleanupAll, cliIn as cli, sandboxTarget, tempDir, testDbName, withDb } from './support.js';

after(cleanupAll);

/** The one line of cause a refused command printed on stderr (after any progress lines). */
const cause = (err: string): string => err.split('\n').find((l) => l.startsWith('snf-upgrade: '))!;

describe('promises of earlier steps, re-checked before each step', () => {
  test('new duplicates after 2.2, an email owner after 6.3, an email account after 6.4: refused, fixed by running that step again', async () => {
    const dir = tempDir('rechecks-');
    const cfg = join(dir, 'snf-upgrade.json');
    const sbx = await createSandbox({ name: testDbName('rechk'), ...sandboxTarget(dir), scale: 'tiny', seed: 9, configPath: cfg });
    const { run, confirm, answers } = walker(cfg, sbx.urls, 'rechecks');

    for (const step of ['1', '2.1', '2.2']) await run(step);

    // A user registers again under an existing user's email in capitals.
    const twin = await withDb('astakos', sbx.urls.astakos, async ({ pool }) => {
      const old = (await pool.query<{ id: number; email: string }>(
        `SELECT u.id, u.email FROM auth_user u JOIN im_astakosuser a ON a.user_ptr_id = u.id
          WHERE u.is_active AND u.email ~ '^[a-z0-9._]+@[a-z0-9.]+$' ORDER BY u.id LIMIT 1`)).rows[0]!;
      const email = old.email.toUpperCase();
      const made = await pool.query<{ id: number }>(
        `INSERT INTO auth_user (username, first_name, last_name, email, password, is_staff, is_active, is_superuser, last_login, date_joined)
         VALUES ('latecomer', '', '', $1, '!', false, false, false, now(), now()) RETURNING id`, [email]);
      const id = made.rows[0]!.id;
      await pool.query('INSERT INTO im_astakosuser (user_ptr_id, updated) VALUES ($1, now())', [id]);
      return { old, id, email };
    });
    const refused = await cli(cfg, 'confirm', '3.1');
    assert.equal(refused.code, 4, refused.err);
    assert.equal(cause(refused.err),
      `snf-upgrade: step 3.1 cannot be confirmed: since step 2.2 was done, 1 group of astakos users whose emails differ only in case appeared (#${twin.old.id} ${twin.old.email}, #${twin.id} ${twin.email})`);
    assert.match(refused.err, /next: run step 2.2 again, which deletes all but one user of each group once its survivor is decided: snf-upgrade run 2.2; then confirm 3.1/);

    // Undecided, headless: the new group needs an answer like any other; 2.2 is pending again.
    const open = await cli(cfg, 'run', '2.2', '--answers', answers);
    assert.equal(open.code, 3, open.err);
    assert.match(cause(open.err), /step 2\.2 has 1 undecided item/);
    const pending = await cli(cfg, 'confirm', '3.1');
    assert.equal(pending.code, 4);
    assert.match(cause(pending.err), /step 3\.1 cannot run yet: 2\.2 \(Remove duplicate astakos users\) is pending/);

    const again = await run('2.2');
    assert.match(again.out, /deleted 1 astakos user/);
    await withDb('astakos', sbx.urls.astakos, async ({ pool }) => {
      const left = await pool.query('SELECT id FROM auth_user WHERE id = ANY($1::int[]) ORDER BY id', [[twin.old.id, twin.id]]);
      assert.equal(left.rows.length, 1, 'one of the two stays (the suggested survivor)');
    });
    const twice = await cli(cfg, 'run', '2.2');
    assert.equal(twice.code, 0);
    assert.match(twice.out, /already done/, 'a done step whose promise holds changes nothing');

    for (const step of ['3.1', '3.2', '3.3', '3.4', '3.5', '3.6', '4']) await confirm(step);
    for (const step of ['5', '6.1', '6.2', '6.3']) await run(step);

    // A VM created after 6.3 by the old cyclades code: owned by its user's email.
    const owner = await withDb('cyclades', sbx.urls.cyclades, async ({ pool }) =>
      (await pool.query<{ userid: string }>('SELECT userid FROM db_virtualmachine WHERE NOT deleted ORDER BY id LIMIT 1')).rows[0]!.userid);
    const email = await withDb('astakos', sbx.urls.astakos, async ({ pool }) =>
      (await pool.query<{ email: string }>('SELECT u.email FROM auth_user u JOIN im_astakosuser a ON a.user_ptr_id = u.id WHERE a.uuid = $1', [owner])).rows[0]!.email);
    const vm = await withDb('cyclades', sbx.urls.cyclades, async ({ pool }) => {
      const client = await pool.connect();
      try {
        await client.query('CREATE TEMP TABLE late_vm AS SELECT * FROM db_virtualmachine WHERE userid = $1 AND NOT deleted ORDER BY id LIMIT 1', [owner]);
        await client.query(`UPDATE late_vm SET id = nextval('db_virtualmachine_id_seq'), userid = $1`, [email]);
        return (await client.query<{ id: number }>('INSERT INTO db_virtualmachine SELECT * FROM late_vm RETURNING id')).rows[0]!.id;
      } finally {
        client.release();
      }
    });
    const stop = await cli(cfg, 'run', '6.4', '--accept-suggestions', '--answers', answers);
    assert.equal(stop.code, 4, stop.err);
    assert.equal(cause(stop.err), `snf-upgrade: step 6.4 cannot run: since step 6.3 was done, 1 cyclades row owned by an email appeared (VM #${vm} (owner ${email}))`);
    assert.match(stop.err, /next: run step 6\.3 again, which rewrites their owners to uuids \(or asks what to do with the ones astakos does not know\): snf-upgrade run 6\.3; then run 6\.4/);
    await run('6.3');
    await withDb('cyclades', sbx.urls.cyclades, async ({ pool }) => {
      const r = await pool.query<{ userid: string }>('SELECT userid FROM db_virtualmachine WHERE id = $1', [vm]);
      assert.equal(r.rows[0]!.userid, owner, 'the VM belongs to its user\'s uuid');
    });
    await run('6.4');

    // An account created by the old pithos code after 6.4, by a user who had none: named by the email.
    const accounts = await withDb('pithos', sbx.urls.pithos, async ({ pool }) =>
      (await pool.query<{ path: string }>('SELECT path FROM nodes WHERE parent = 0 AND node <> 0')).rows.map((r) => r.path));
    const newcomer = await withDb('astakos', sbx.urls.astakos, async ({ pool }) =>
      (await pool.query<{ email: string }>(`SELECT u.email FROM auth_user u JOIN im_astakosuser a ON a.user_ptr_id = u.id
        WHERE u.is_active AND u.email ~ '^[a-z0-9._]+@[a-z0-9.]+$' AND NOT (a.uuid = ANY($1::text[])) ORDER BY u.id LIMIT 1`, [accounts])).rows[0]!.email);
    await withDb('pithos', sbx.urls.pithos, async ({ pool }) => {
      await pool.query('INSERT INTO nodes (node, parent, path) SELECT max(node) + 1, 0, $1 FROM nodes', [newcomer]);
    });
    const held = await cli(cfg, 'run', '7.1', '--accept-suggestions', '--answers', answers);
    assert.equal(held.code, 4, held.err);
    assert.equal(cause(held.err), `snf-upgrade: step 7.1 cannot run: since step 6.4 was done, 1 pithos account named by an email appeared (account ${newcomer})`);
    await run('6.4');

    for (const step of ['7.1', '7.2', '8', '9.1', '9.2']) await run(step);
    for (const step of ['10', '11']) await confirm(step);
    const end = JSON.parse((await cli(cfg, 'status', '--json')).out);
    assert.equal(end.current, null);
    for (const s of end.steps as { id: string; status: string }[]) assert.equal(s.status, 'done', s.id);
  });
});
