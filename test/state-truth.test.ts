// The databases are the truth: a stale, lost or replaced state file never makes the tool act
// wrongly. A stale copy is refused before anything is written (and undo keeps what it cannot
// restore); `recover` rebuilds the file from the databases and the upgrade finishes with the
// same databases as an uninterrupted run; a state file deleted during 6.4 ends the run non-zero;
// a finished step is "already done"; read-only commands create no state file; a database
// restored from its step 1 dump is named as such.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { Service } from '../src/db/connection.js';
import { restoreDatabase } from '../src/db/restore.js';
import { createSandbox, simulateStep } from '../src/sandbox/index.js';
import type { SimulatedStep } from '../src/sandbox/simulate.js';
import { StateFile } from '../src/state/index.js';
import { deploymentHashes, hashDifferences } from './helpers/db-hash.js';
import { cleanupAll, cliIn as cli, copyStateFile, removeStateFile, runCli, sandboxTarget, serverUrl, tempDir, testDbName, usingServer, withDb } from './support.js';

after(cleanupAll);

const MANUAL = ['3.1', '3.2', '3.3', '3.4', '3.5', '3.6', '4', '10', '11'];
const SIMULATED = ['3.2', '3.3', '3.4', '3.5', '3.6', '4', '11'];
const ORDER = ['1', '2.1', '2.2', '3.1', '3.2', '3.3', '3.4', '3.5', '3.6', '4', '5', '6.1', '6.2', '6.3', '6.4', '7.1', '7.2', '8', '9.1', '9.2', '10', '11'];

interface Deployment { cfg: string; state: string; urls: Record<Service, string>; settings: Record<Service, string>; answers: string; dir: string }

async function deployment(tag: string, ctype?: string): Promise<Deployment> {
  const dir = tempDir(`truth-${tag}-`);
  const cfg = join(dir, 'snf-upgrade.json');
  const sbx = await createSandbox({ name: testDbName(`truth_${tag}`), ...sandboxTarget(dir), scale: 'tiny', seed: 11, configPath: cfg, ctype });
  const config = JSON.parse(readFileSync(cfg, 'utf8')) as { state: string; astakos: { settings: string }; cyclades: { settings: string }; pithos: { settings: string } };
  const answers = join(dir, 'answers.json');
  writeFileSync(answers, JSON.stringify({ '2.2': { confirm: true }, 5: { 'rename-pithos': true, 'lower-defaults': true }, '6.1': { confirm: 'delete' }, '6.2': { confirm: true }, '6.3': { confirm: 'delete' } }));
  return { cfg, dir, answers, state: config.state, urls: sbx.urls, settings: { astakos: config.astakos.settings, cyclades: config.cyclades.settings, pithos: config.pithos.settings } };
}

/** Runs (or simulates and confirms) STEP as the operator would; asserts exit 0. */
async function step(d: Deployment, id: string): Promise<{ out: string; err: string }> {
  if (SIMULATED.includes(id)) await simulateStep(id as SimulatedStep, d.urls, { settings: d.settings, uuidSalt: 'truth' });
  const r = MANUAL.includes(id) ? await cli(d.cfg, 'confirm', id) : await cli(d.cfg, 'run', id, '--accept-suggestions', '--answers', d.answers);
  assert.equal(r.code, 0, `${id}: ${r.err}${r.out}`);
  return r;
}


/** What an operator does by hand from a step 1 backup, outside the tool: pg_restore into a new database, or unpack the data directory. */
async function restoreByHand(d: Deployment, service: Service, file: string): Promise<void> {
  if (!usingServer()) return restoreDatabase({ service, url: d.urls[service], path: file, sha256: null, kind: 'embedded' });
  const name = new URL(d.urls[service]).pathname.slice(1);
  await withDb(service, serverUrl()!, async (db) => {
    await db.pool.query(`DROP DATABASE "${name}" WITH (FORCE)`);
    await db.pool.query(`CREATE DATABASE "${name}"`);
  });
  execFileSync('pg_restore', ['--no-owner', '-d', d.urls[service], file], { stdio: 'pipe' });
}

async function count(url: string, service: Service, sql: string): Promise<number> {
  return withDb(service, url, async (db) => Number((await db.pool.query(sql)).rows[0].n));
}

describe('the databases are the truth', { timeout: 900_000 }, () => {
  test('stale, lost and deleted state files: refused, recovered, and the upgrade ends as an uninterrupted one', async () => {
    const d = await deployment('a');

    // read-only commands on a state file that does not exist create none
    const nowhere = join(d.dir, 'nowhere', 'state.db');
    for (const args of [['status'], ['plan', '1'], ['report']]) {
      const r = await cli(d.cfg, ...args, '--state', nowhere);
      assert.equal(r.code, 0, `${args[0]}: ${r.err}`);
      assert.ok(!existsSync(dirname(nowhere)), `${args[0]} created nothing`);
    }

    await step(d, '1');
    await step(d, '2.1');
    const before22 = join(d.dir, 'before-2.2.db');
    copyStateFile(d.state, before22);
    const ran = await step(d, '2.2');
    assert.match(ran.out, /2\.2: done/);
    const journal = (): Promise<number> => count(d.urls.astakos, 'astakos', "SELECT count(*) AS n FROM snf_upgrade_journal WHERE step = '2.2'");
    const secrets = (): Promise<number> => count(d.urls.astakos, 'astakos', "SELECT count(*) AS n FROM snf_upgrade_secrets WHERE step = '2.2'");
    const users = (): Promise<number> => count(d.urls.astakos, 'astakos', 'SELECT count(*) AS n FROM auth_user');
    const [j0, s0, u0] = [await journal(), await secrets(), await users()];
    assert.ok(j0 > 0 && s0 > 0, 'the sandbox has duplicates for 2.2 to delete');

    // a finished step is "already done", before any schema check
    const again = await cli(d.cfg, 'run', '1');
    assert.equal(again.code, 0, again.err);
    assert.match(again.out, /1: already-done\n {2}step 1 is already done \(at \d{4}-\d\d-\d\d \d\d:\d\d\); nothing to do/);

    // the copy taken before 2.2 put back: every writing command refuses, naming what disagrees
    const current = join(d.dir, 'current.db');
    copyStateFile(d.state, current);
    copyStateFile(before22, d.state);
    for (const args of [['run', '2.2', '--accept-suggestions', '--answers', d.answers], ['confirm', '3.1'], ['undo', '2.2'], ['backup']]) {
      const r = await cli(d.cfg, ...args);
      assert.equal(r.code, 4, `${args.join(' ')}: ${r.err}`);
      assert.match(r.err, new RegExp(`^snf-upgrade: the astakos database records ${j0} committed batch\\(es\\) of step 2\\.2 \\(the last at [\\d-]+ [\\d:]+\\) that state file \\S+ does not know: it is an older copy, another operator's, or a new one; nothing was written\\n {2}next: point --state at the state file that ran them, or rebuild this one from the databases: snf-upgrade recover`, 'm'));
    }
    assert.deepEqual([await journal(), await secrets(), await users()], [j0, s0, u0], 'nothing restored, nothing forgotten');
    const status = await cli(d.cfg, 'status');
    assert.equal(status.code, 0);
    assert.match(status.out, /the databases and the state file disagree: nothing can be written until they agree\n {2}! the astakos database records/);

    // undo with the right file but a journal it does not hold: refused before anything
    copyStateFile(current, d.state);
    await withDb('astakos', d.urls.astakos, (db) => db.pool.query(`INSERT INTO snf_upgrade_journal (step, batch, rows_changed) VALUES ('2.2', 'users 0-0 n1 foreign', 1)`));
    const state = StateFile.open(d.state);
    state.recordBatch('2.2', 'users 0-0 n1 foreign', 1, 'astakos');
    state.close();
    const undo = await cli(d.cfg, 'undo', '2.2');
    assert.equal(undo.code, 1, undo.err);
    assert.match(undo.err, /undo 2\.2 refused: 1 of its batch\(es\) in the journal have no before-images in state file \S+ \(first: "users 0-0 n1 foreign"; .*\); nothing was restored or forgotten/);
    assert.deepEqual([await journal(), await secrets(), await users()], [j0 + 1, s0, u0]);
    await withDb('astakos', d.urls.astakos, (db) => db.pool.query(`DELETE FROM snf_upgrade_journal WHERE batch = 'users 0-0 n1 foreign'`));
    copyStateFile(current, d.state);

    for (const id of ORDER.slice(ORDER.indexOf('3.1'), ORDER.indexOf('6.3') + 1)) await step(d, id);
    // finished steps before the schema moved on are "already done", not a schema refusal
    for (const id of ['1', '2.1', '2.2']) {
      const r = await cli(d.cfg, 'run', id);
      assert.equal(r.code, 0, `${id}: ${r.err}`);
      assert.match(r.out, new RegExp(`^${id.replace('.', '\\.')}: already-done\n {2}step ${id.replace('.', '\\.')} is already done \\(at [\\d-]+ [\\d:]+\\); nothing to do`));
    }
    const confirmed = await cli(d.cfg, 'confirm', '3.2');
    assert.equal(confirmed.code, 0, confirmed.err);
    assert.match(confirmed.out, /^3\.2: already-done\n {2}step 3\.2 is already done/);

    // the state file lost after 6.3: status says so and creates nothing; a writing command refuses and leaves none
    removeStateFile(d.state);
    const lost = await cli(d.cfg, 'status');
    assert.equal(lost.code, 0, lost.err);
    assert.match(lost.out, /state: \S+ \(does not exist\)/);
    assert.match(lost.out, /! the astakos database records \d+ committed batch\(es\) of steps 2\.2, [\d., ]+ \(the last at [\d-]+ [\d:]+\), but there is no state file \S+: it was lost, or --state names another path/);
    assert.match(lost.out, /! the cyclades database also records \d+ committed batch\(es\) of steps? [\d., ]+ \(the last at/);
    assert.ok(!existsSync(d.state));
    const refused = await cli(d.cfg, 'run', '6.4', '--accept-suggestions', '--answers', d.answers);
    assert.equal(refused.code, 4, refused.err);
    assert.ok(!existsSync(d.state), 'the refused run left no state file');

    // recover: shows what it would write, writes only with --yes
    const shown = await cli(d.cfg, 'recover');
    assert.equal(shown.code, 3, shown.err);
    assert.match(shown.out, /state file \S+ does not exist; rebuilding it from the databases:/);
    assert.match(shown.out, / {2}6\.3 {2}pending → done: the databases record it finished at /);
    assert.match(shown.out, /note: undo of step\(s\) .*2\.2/);
    assert.match(shown.err, /nothing was written yet\n {2}next: to write this state file run: snf-upgrade recover --yes/);
    assert.ok(!existsSync(d.state));
    const rebuilt = await cli(d.cfg, 'recover', '--yes');
    assert.equal(rebuilt.code, 0, rebuilt.err);
    assert.match(rebuilt.out, /rebuilt from the databases/);
    const after63 = JSON.parse((await cli(d.cfg, 'status', '--json')).out);
    assert.equal(after63.current, '6.4');
    assert.deepEqual(after63.disagreements, []);
    const undoLost = await cli(d.cfg, 'undo', '2.2');
    assert.notEqual(undoLost.code, 0);
    assert.equal(await users(), u0, 'undo without before-images restores nobody');

    // the state file deleted while 6.4 runs: the run stops non-zero; recover, then 6.4 continues
    const marker = join(d.dir, 'paused');
    const child = runCli(['run', '6.4', '--accept-suggestions', '--answers', d.answers, '--config', d.cfg],
      { SNF_UPGRADE_FAULT: 'batch:after-commit:pause', SNF_UPGRADE_FAULT_MARKER: marker });
    while (!existsSync(marker)) await new Promise((r) => setTimeout(r, 50));
    removeStateFile(d.state);
    rmSync(marker);
    const midway = await child;
    assert.notEqual(midway.code, 0, midway.stdout);
    assert.match(midway.stderr, /state file \S+ was deleted or replaced while 6\.4 ran; stopped before writing more/);
    assert.doesNotMatch(midway.stdout, /6\.4: done/);
    assert.equal((await cli(d.cfg, 'recover', '--yes')).code, 0);
    const resumed = JSON.parse((await cli(d.cfg, 'status', '--json')).out);
    assert.ok(['6.4', '7.1'].includes(resumed.current), resumed.current);
    for (const id of ORDER.slice(ORDER.indexOf(resumed.current))) await step(d, id);
    const end = JSON.parse((await cli(d.cfg, 'status', '--json')).out);
    for (const s of end.steps as { id: string; status: string }[]) assert.equal(s.status, 'done', s.id);

    // the same deployment upgraded without interruption: the same databases, table by table
    const u = await deployment('b');
    for (const id of ORDER) await step(u, id);
    assert.deepEqual(hashDifferences(await deploymentHashes(u.urls), await deploymentHashes(d.urls)), []);

    // a database restored from its step 1 dump under the finished state file: named, refused; recover refuses the mixed moments
    {
      const backups = join(u.dir, readdirSync(u.dir).find((f) => f.endsWith('-backups'))!);
      const dump = readdirSync(backups).find((f) => f.startsWith('step1-astakos'))!;
      await restoreByHand(u, 'astakos', join(backups, dump));
      const r = await cli(u.cfg, 'backup');
      assert.equal(r.code, 4, r.err);
      assert.match(r.err, new RegExp(`the astakos database lacks \\d+ batch\\(es\\) of steps 2\\.2, .* and the 0\\.13 schema of step 3\\.2 \\(it is at 0\\.12\\.5\\) that state file \\S+ records: it was restored from a backup \\(it matches the step 1 backup ${dump.replace(/[.+]/g, '\\$&')} of `));
      assert.match(r.err, /next: to go on from the databases as they are, run snf-upgrade recover \(it marks 2\.2 and every later step pending again\)/);
      const mixed = await cli(u.cfg, 'recover', '--yes');
      assert.equal(mixed.code, 4, mixed.err);
      assert.match(mixed.err, /the astakos database is at 0\.12\.5, but another database records step 3\.2 \(which migrates it\) finished at .*: the databases were restored from different moments; nothing was written/);
      // every database restored from its step 1 dump: recover marks every step pending again, keeping the backups
      for (const service of ['cyclades', 'pithos'] as const) {
        await restoreByHand(u, service, join(backups, readdirSync(backups).find((f) => f.startsWith(`step1-${service}`))!));
      }
      const shown = await cli(u.cfg, 'recover');
      assert.match(shown.out, / {2}2\.2 {2}done → pending: the databases record nothing of it/);
      assert.equal((await cli(u.cfg, 'recover', '--yes')).code, 0);
      const fresh = JSON.parse((await cli(u.cfg, 'status', '--json')).out);
      assert.deepEqual([fresh.current, fresh.disagreements, fresh.deployment.map((x: { version: string }) => x.version)], ['1', [], ['0.12.5', '0.12.5', '0.12.5']]);
      assert.match((await cli(u.cfg, 'report')).out, /step1-astakos/);
    }
  });

  // x.σ@… and x.ς@… are one email under PostgreSQL's upper() in a UTF-8 database: 2.2 deletes the
  // one that owns a VM. A stale state file is refused before anything is deleted; a lost one,
  // rebuilt by recover, still knows 2.2's survivor, so 6.3 gives the VM to the survivor's uuid.
  test('the σ/ς user deleted by 2.2 keeps its VM through a lost state file: 6.3 gives it to the survivor', async () => {
    const d = await deployment('c', 'C.UTF-8');
    const q = <T extends Record<string, unknown>>(service: Service, sql: string, args: unknown[] = []): Promise<T[]> =>
      withDb(service, d.urls[service], async (db) => (await db.pool.query(sql, args)).rows as T[]);
    assert.equal((await q<{ eq: boolean }>('astakos', "SELECT upper('x.σ@example.org') = upper('x.ς@example.org') AS eq"))[0]!.eq, true, 'a UTF-8 ctype');
    // A: active, verified, no VM; B: owns live VMs, inactive (so 2.2 suggests keeping A)
    const owners = await q<{ userid: string }>('cyclades', 'SELECT userid FROM db_virtualmachine WHERE NOT deleted GROUP BY userid ORDER BY userid');
    const unique = await q<{ id: number; email: string }>('astakos', `SELECT min(id) AS id, min(email) AS email FROM auth_user GROUP BY upper(email) HAVING count(*) = 1 ORDER BY 1`);
    const b = unique.find((u) => owners.some((o) => o.userid === u.email))!;
    const a = unique.find((u) => u.id !== b.id && !owners.some((o) => o.userid === u.email))!;
    const vms = (await q<{ id: number }>('cyclades', 'SELECT id FROM db_virtualmachine WHERE userid = $1 AND NOT deleted', [b.email])).map((v) => v.id);
    await q('astakos', "UPDATE auth_user SET email = 'x.σ@example.org', is_active = true WHERE id = $1", [a.id]);
    await q('astakos', 'UPDATE im_astakosuser SET email_verified = true, is_verified = true WHERE user_ptr_id = $1', [a.id]);
    await q('astakos', "UPDATE auth_user SET email = 'x.ς@example.org', is_active = false WHERE id = $1", [b.id]);
    await q('astakos', 'UPDATE im_astakosuser SET email_verified = false WHERE user_ptr_id = $1', [b.id]);
    for (const t of await q<{ t: string; c: string }>('cyclades', "SELECT table_name AS t, column_name AS c FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'userid'")) {
      await q('cyclades', `UPDATE ${t.t} SET ${t.c} = 'x.ς@example.org' WHERE ${t.c} = $1`, [b.email]);
    }

    await step(d, '1');
    await step(d, '2.1');
    const before22 = join(d.dir, 'before-2.2.db');
    copyStateFile(d.state, before22);
    await step(d, '2.2');
    const left = await q<{ id: number; email: string }>('astakos', "SELECT id, email FROM auth_user WHERE upper(email) = upper('x.σ@example.org')");
    assert.deepEqual(left, [{ id: a.id, email: 'x.σ@example.org' }], '2.2 kept A and deleted B, the VM owner');

    // the copy from before 2.2 (or a colleague's fresh file): refused, nobody deleted
    const current = join(d.dir, 'current.db');
    copyStateFile(d.state, current);
    copyStateFile(before22, d.state);
    const users = async () => Number((await q<{ n: string }>('astakos', 'SELECT count(*) AS n FROM auth_user'))[0]!.n);
    const n = await users();
    const stale = await cli(d.cfg, 'run', '2.2', '--accept-suggestions', '--answers', d.answers);
    assert.equal(stale.code, 4, stale.err);
    assert.equal(await users(), n);

    // the state file lost after 2.2: recover brings back 2.2's survivor from the astakos database
    removeStateFile(d.state);
    const r = await cli(d.cfg, 'recover', '--yes');
    assert.equal(r.code, 0, r.err);
    for (const id of ORDER.slice(ORDER.indexOf('3.1'), ORDER.indexOf('6.3') + 1)) await step(d, id);
    const uuid = (await q<{ uuid: string }>('astakos', 'SELECT uuid FROM im_astakosuser WHERE user_ptr_id = $1', [a.id]))[0]!.uuid;
    const now = await q<{ id: number; userid: string; deleted: boolean }>('cyclades', 'SELECT id, userid, deleted FROM db_virtualmachine WHERE id = ANY($1::int[]) ORDER BY id', [vms]);
    assert.deepEqual(now, vms.map((id) => ({ id, userid: uuid, deleted: false })));
  });
});
