// `snf-upgrade restore`: after a full walk, the step 1 backups put every database back (table by
// table as they were when step 1 backed them up), after a confirmation; the state file follows
// (step 1 done, 2.1 pending again, decisions kept); a backup that is not the recorded file is
// refused; --print shows the commands instead. On the server named by SNF_TEST_PG_URL, or embedded.
import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { StateFile } from '../src/state/index.js';
import { deploymentHashes, hashDifferences, type Hashes } from './helpers/db-hash.js';
import { sandboxWalk } from './helpers/walk.js';
import { cleanupAll, cliIn as cli, runCli } from './support.js';

after(cleanupAll);

/**
 * The tool's record of finished steps is written after step 1's backup, and its lock row is the
 * runner that made the backup (replaced by the next runner): neither is what the backup restores.
 */
const withoutRecord = (h: Hashes): Hashes => Object.fromEntries(Object.entries(h).filter(([k]) => !/\.snf_upgrade_(steps|decisions|lock)\b/.test(k)));

describe('restore', { timeout: 900_000 }, () => {
  test('after a full walk, step 1\'s backups give back the databases of step 1; the state file follows', async () => {
    const { cfg, urls, walk } = await sandboxWalk('restore', 9);
    await walk.run('1');
    const atStep1 = withoutRecord(await deploymentHashes(urls));
    await walk.run('2.1');
    await walk.run('2.2');
    for (const id of ['3.1', '3.2', '3.3', '3.4', '3.5', '3.6', '4']) await walk.confirm(id);
    for (const id of ['5', '6.1', '6.2', '6.3', '6.4', '7.1', '7.2', '8', '9.1', '9.2']) await walk.run(id);
    for (const id of ['10', '11']) await walk.confirm(id);
    const finished = await deploymentHashes(urls);

    const printed = await cli(cfg, 'restore', '--print');
    assert.equal(printed.code, 0, printed.err);
    assert.match(printed.out, /pg_restore .*step1-astakos-\S+\.dump|tar -xzf \S+step1-astakos-\S+\.tar\.gz/);
    const asked = await cli(cfg, 'restore');
    assert.equal(asked.code, 3, asked.err);
    assert.match(asked.out, /restoring backup "1":\n {2}astakos \(\S+\) ← step1-astakos-/);
    assert.match(asked.err, /put \{"restore": \{"confirm": true\}\} in --answers FILE/);
    assert.equal((await cli(cfg, 'restore', '--backup', 'phase-9')).code, 4);
    assert.deepEqual(hashDifferences(finished, await deploymentHashes(urls)), [], 'nothing restored without a confirmation');

    // a backup file that is not the one recorded is refused before anything
    const state = StateFile.open(JSON.parse(readFileSync(cfg, 'utf8')).state);
    const pithos = state.listBackups().find((b) => b.step === '1' && b.service === 'pithos')!.path;
    state.close();
    copyFileSync(pithos, `${pithos}.kept`);
    appendFileSync(pithos, 'x');
    const answers = join(dirname(cfg), 'restore.json');
    writeFileSync(answers, JSON.stringify({ restore: { confirm: true } }));
    const refused = await cli(cfg, 'restore', '--answers', answers);
    assert.equal(refused.code, 4, refused.err);
    assert.match(refused.err, /the pithos backup \S+ is not the file that was recorded \(its sha256 differs\); nothing was restored/);
    copyFileSync(`${pithos}.kept`, pithos);

    const r = await cli(cfg, 'restore', '--answers', answers);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /restored astakos from /);
    assert.deepEqual(hashDifferences(atStep1, withoutRecord(await deploymentHashes(urls))), []);
    const status = JSON.parse((await cli(cfg, 'status', '--json')).out);
    assert.equal(status.current, '2.1');
    assert.deepEqual(status.disagreements, []);
    assert.deepEqual(status.deployment.map((d: { version: string }) => d.version), ['0.12.5', '0.12.5', '0.12.5']);
    // and the upgrade can be walked again from there
    await walk.run('2.1');
    await walk.run('2.2');
  });

  test('phase backups: 2.2 ends with one; one lost to a kill is taken before 3.1 acts; restore --backup phase2 gives back the databases after 2.2', async () => {
    const { cfg, urls, walk } = await sandboxWalk('phases', 10);
    await walk.run('1');
    await walk.run('2.1');
    const backups = (label: string) => {
      const state = StateFile.open(JSON.parse(readFileSync(cfg, 'utf8')).state, { readonly: true });
      try { return state.listBackups().filter((b) => b.step === label); } finally { state.close(); }
    };
    // killed while the phase 2 backup is written: 2.2 is done, its backup missing
    const killed = await runCli(['run', '2.2', '--accept-suggestions', '--answers', walk.answers, '--config', cfg], { SNF_UPGRADE_FAULT: 'backup:written:kill' });
    assert.equal(killed.code, null, killed.stderr);
    const status = JSON.parse((await cli(cfg, 'status', '--json')).out) as { current: string };
    assert.equal(status.current, '3.1');
    assert.deepEqual(backups('phase2'), []);
    const after22 = withoutRecord(await deploymentHashes(urls));

    // 3.1 takes it before anything else, and says so
    const confirmed = await cli(cfg, 'confirm', '3.1');
    assert.equal(confirmed.code, 0, confirmed.err);
    assert.match(confirmed.err + confirmed.out, /the phase 2 backup \(after step 2\.2\) is missing: taken now, before 3\.1 acts/);
    assert.deepEqual(backups('phase2').map((b) => b.service).sort(), ['astakos', 'cyclades', 'pithos']);
    // a step past the restore point with its backup in place takes none
    await walk.confirm('3.2');
    assert.equal(backups('phase2').length, 3);

    const answers = join(dirname(cfg), 'restore.json');
    writeFileSync(answers, JSON.stringify({ restore: { confirm: true } }));
    const r = await cli(cfg, 'restore', '--backup', 'phase2', '--answers', answers);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /pending again: 3\.1, 3\.2/);
    assert.deepEqual(hashDifferences(after22, withoutRecord(await deploymentHashes(urls))), []);
    const back = JSON.parse((await cli(cfg, 'status', '--json')).out) as { current: string };
    assert.equal(back.current, '3.1');

    // 3.6 ends phase 3 with its backup, before astakos starts at 4
    for (const id of ['3.1', '3.2', '3.3', '3.4', '3.5']) await walk.confirm(id);
    assert.deepEqual(backups('phase3'), []);
    await walk.confirm('3.6');
    assert.equal(backups('phase3').length, 3);
  });
});
