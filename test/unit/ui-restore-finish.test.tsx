/** @jsxRuntime automatic @jsxImportSource react */
// The end of the journey in the wizard: R on home lists the recorded backups, and a restore is
// handed to the front end only after "restore" is typed; f (once every step is done) finishes
// after "finish" is typed, and home then says the upgrade ended.
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanup, render } from 'ink-testing-library';
import type { RestorePlan } from '../../src/engine/restore.js';
import { App } from '../../src/ui/App.js';
import { STEPS } from '../../src/runbook/steps.js';
import { fakeBackend } from '../helpers/fake-backend.js';
import { shows, SIZE, wait } from '../helpers/screen.js';

afterEach(() => cleanup());

const HOME = 'db2:5432/snf_pithos';
const allDone = Object.fromEntries(STEPS.map((s) => [s.id, { status: 'done' as const, finishedAt: new Date().toISOString(), summary: [] }]));
const typed = async (r: ReturnType<typeof render>, text: string) => {
  for (const ch of text) { r.stdin.write(ch); await wait(5); }
  r.stdin.write('\r');
};

describe('restore and finish in the wizard', () => {
  test('R lists each backup label; enter asks with the files, and only "restore" typed hands the plan over', async () => {
    const backups = [
      { label: '1', createdAt: '2026-12-07T21:04:00.000Z', databases: 2, unchecked: 0 },
      { label: 'phase2', createdAt: '2026-12-07T21:30:00.000Z', databases: 2, unchecked: 0 },
    ];
    const backend = fakeBackend({ backups });
    const restored: RestorePlan[] = [];
    const r = render(<App backend={backend} size={SIZE} onExit={() => undefined} onRestore={(p) => restored.push(p)} />);
    assert.match(await shows(r, HOME), /R restore/);
    r.stdin.write('R');
    const list = await shows(r, 'Restore a backup');
    assert.match(list, /› step 1 backup \(before any change\) · .* · 2 databases/);
    assert.match(list, /phase 2 backup \(after: Remove case-duplicate astakos users\)/);
    for (const l of list.split('\n')) assert.ok(l.length <= SIZE.columns, l);
    r.stdin.write('\r');
    const ask = (await shows(r, 'Type restore to confirm')).replace(/\s+/g, ' ');
    assert.match(ask, /Replace astakos and cyclades with backup "1"\? Everything written to them since is lost/);
    assert.match(ask, /astakos and cyclades \(db1:5432\/snf_apps\) ← step1-astakos\+cyclades\.dump, backup "1" of/);
    await typed(r, 'yes');
    await shows(r, '"yes" is not restore');
    assert.equal(restored.length, 0);
    await typed(r, 'restore');
    await wait(50);
    assert.deepEqual(restored.map((p) => p.label), ['1']);
  });

  test('esc on the confirmation restores nothing; no backup recorded says so', async () => {
    const restored: RestorePlan[] = [];
    const r = render(<App backend={fakeBackend({ backups: [{ label: '1', createdAt: '2026-12-07T21:04:00.000Z', databases: 3, unchecked: 0 }] })} size={SIZE} onExit={() => undefined} onRestore={(p) => restored.push(p)} />);
    await shows(r, HOME);
    r.stdin.write('R');
    await shows(r, 'Restore a backup');
    r.stdin.write('\r');
    await shows(r, 'Type restore to confirm');
    r.stdin.write('\u001B');
    await shows(r, 'nothing was restored');
    assert.equal(restored.length, 0);

    cleanup();
    const none = render(<App backend={fakeBackend()} size={SIZE} onExit={() => undefined} />);
    await shows(none, HOME);
    none.stdin.write('R');
    await shows(none, 'No backup is recorded in the state file: step 1 takes the first.');
  });

  test('f is offered only once every step is done; it drops the tables after "finish" is typed, and home says the upgrade ended', async () => {
    const midway = render(<App backend={fakeBackend()} size={SIZE} onExit={() => undefined} />);
    const home = await shows(midway, HOME);
    assert.doesNotMatch(home, /f finish/);
    cleanup();

    const backend = fakeBackend({ records: allDone });
    const r = render(<App backend={backend} size={SIZE} onExit={() => undefined} />);
    const done = await shows(r, HOME);
    assert.match(done, /f finish/);
    assert.match(done.replace(/\s+/g, ' '), /Every step is done\. r shows the report; f finishes/);
    r.stdin.write('f');
    const ask = (await shows(r, 'Type finish to confirm')).replace(/\s+/g, ' ');
    assert.match(ask, /the report: \/var\/lib\/snf-upgrade\/state\/snf-upgrade-report\.md/);
    assert.match(ask, /astakos and cyclades: snf_upgrade_journal, snf_upgrade_lock/);
    await typed(r, 'finish');
    const result = await shows(r, 'The upgrade is finished');
    assert.match(result, /✓ astakos and cyclades: dropped snf_upgrade_journal, snf_upgrade_lock/);
    assert.ok(backend.calls.includes('finish'));
    r.stdin.write('\r');
    const after = await shows(r, 'The upgrade ended');
    assert.doesNotMatch(after, /f finish/);
  });
});
