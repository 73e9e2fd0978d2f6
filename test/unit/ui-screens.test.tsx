/** @jsxRuntime automatic @jsxImportSource react */
// The wizard's screens driven by keystrokes over an in-memory backend: home, resume, step,
// manual step (checks gate confirm), sandbox, type-to-confirm, progress and ctrl-c, report,
// phase-done backup, help. Every frame must fit 80×24.
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanup, render } from 'ink-testing-library';
import { App } from '../../src/ui/App.js';
import { UiAsker } from '../../src/ui/asker.js';
import { fakeBackend, type FakeBackend, type FakeBackendOptions } from '../helpers/fake-backend.js';
import { UserError } from '../../src/errors.js';
import { STEPS } from '../../src/runbook/steps.js';

const KEY = { enter: '\r', esc: '\u001B', up: '\u001B[A', down: '\u001B[B', ctrlC: '\u0003', backspace: '\u007F' };
const SIZE = { columns: 80, rows: 24 };
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = new Date().toISOString();
const done = (summary: string[]) => ({ status: 'done' as const, finishedAt: now, summary });

type Instance = ReturnType<typeof render>;
const flat = (f: string) => f.replace(/\s+/g, ' ');

async function waitFor(r: Instance, pred: (frame: string) => boolean, what: string, timeout = 10_000): Promise<string> {
  const end = Date.now() + timeout;
  for (;;) {
    const f = r.lastFrame() ?? '';
    if (pred(f)) {
      await wait(30); // a screen that just appeared subscribes to keys in an effect, right after it is drawn
      return r.lastFrame() ?? f;
    }
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}; last frame:\n${f}`);
    await wait(10);
  }
}
const shows = (r: Instance, text: string | RegExp, timeout?: number) =>
  waitFor(r, (f) => (typeof text === 'string' ? f.includes(text) : text.test(f)), String(text), timeout);

async function press(r: Instance, ...keys: string[]): Promise<void> {
  for (const k of keys) {
    r.stdin.write(k);
    await wait(k === KEY.esc ? 40 : 25);
  }
}

/** Every frame fits an 80×24 terminal (Ink needs the last line free). */
function assertFits(frame: string): void {
  const lines = frame.split('\n');
  assert.ok(lines.length <= SIZE.rows - 1, `${lines.length} lines:\n${frame}`);
  for (const l of lines) assert.ok(l.length <= SIZE.columns, `line too long (${l.length}): ${l}`);
}

function start(opts: FakeBackendOptions = {}, extra: { asker?: UiAsker } = {}) {
  const backend = fakeBackend(opts);
  const exits: { code: number; hard?: boolean }[] = [];
  const r = render(<App backend={backend} asker={extra.asker} size={SIZE} progressInterval={10}
    onExit={(code, o) => exits.push({ code, hard: o?.hard })} />);
  return { r, backend, exits };
}

afterEach(() => cleanup());

describe('home', () => {
  test('deployment, steps with ✓ ▶ ✗ · and when they finished; enter continues at the current step', async () => {
    const { r, exits } = start({
      records: { '1': done(['3 dumps, 4.1 GiB']), '2.1': done(['37 groups']), '2.2': { status: 'failed', finishedAt: now, lastError: 'boom' } },
      unimplemented: ['5'],
    });
    const f = await shows(r, 'db2:5432/snf_pithos');
    assertFits(f);
    assert.match(f, /snf-upgrade · Synnefo 0\.12\.5 → 0\.13/);
    assert.match(f, /astakos\s+db1:5432\/snf_apps\s+0\.12\.5/);
    assert.match(f, /lock: held by this session/);
    assert.match(f, /✓ 1 {4}Services down, databases backed up\s+\d\d:\d\d 3 dumps, 4\.1 GiB/);
    assert.match(f, /✓ 2\.1 {2}Find users/);
    assert.match(f, /› ✗ 2\.2 {2}Remove duplicate astakos users\s+failed/);
    assert.match(f, /· 3\.1 {2}Install the 0\.13 packages \(manual\)/);
    assert.match(f, /· 5 {4}Load resource definitions into astakos \(not implemented yet\)/);
    assert.match(f, /↓ \d+ more/);
    assert.match(f, /enter continue/);
    await press(r, KEY.enter);
    const step = await shows(r, 'Why: Migration 0016');
    assert.match(step, /2\.2 {2}Remove duplicate astakos users/);
    assert.match(step, /Last attempt failed: boom/);
    await press(r, KEY.esc);
    await shows(r, 'enter continue');
    await press(r, 'q');
    assert.deepEqual(exits, [{ code: 0, hard: undefined }]);
  });

  test('the current pending step is ▶; arrows pick another step', async () => {
    const { r } = start({ records: { '1': done(['ok']) } });
    let f = await shows(r, '▶ 2.1');
    assert.match(f, /› ▶ 2\.1/);
    await press(r, KEY.down, 'j');
    f = await shows(r, '› · 3.1');
    assert.match(f, /enter open 3\.1/);
    assert.match(f, /phase 3 · Upgrade packages/);
    await press(r, 'G');
    f = await shows(r, '› · 11');
    assertFits(f);
    assert.match(f, /↑ \d+ more/);
    await press(r, KEY.enter);
    f = await shows(r, 'Restart all services (manual)');
    assert.match(f, /On the cyclades host: +service gunicorn restart/);
    assert.match(f, /Waits for: 10 \(Install periodic project checks\) is pending/);
  });

  test('a half-finished state file opens on the step that was running, saying what happened', async () => {
    const text = 'The last session stopped during 3.2 before any change committed: nothing was changed; it can simply run again.';
    const { r } = start({
      interrupted: { step: '3.2', text },
      records: { '1': done(['a']), '2.1': done(['b']), '2.2': done(['c']), '3.1': done(['d']), '3.2': { status: 'running' } },
      checks: { '3.2': [{ label: 'astakos at 0.13', ok: true }] },
    });
    const f = await shows(r, 'The last session stopped during 3.2');
    assertFits(f);
    assert.match(f, /3\.2 {2}syncdb \+ migrate \(verified\) \(manual\)\s+▶ interrupted/);
    await press(r, KEY.esc);
    const home = await shows(r, 'enter continue');
    assert.match(home, /▶ 3\.2 {2}syncdb \+ migrate \(verified\) \(manual\)\s+interrupted/);
    assert.match(home, /! The last session stopped during 3\.2/);
  });
});

describe('step screens', () => {
  const plan22: FakeBackendOptions['plans'] = {
    '1': {
      findings: { summary: ['no other sessions on any database'] },
      plan: { summary: ['back up 3 databases (astakos, cyclades, pithos)'], changes: [] },
    },
  };

  test('a step says what it does, what was found, the errata; enter runs it and shows ✓ done', async () => {
    const { r, backend } = start({ plans: plan22 });
    await shows(r, 'enter continue');
    await press(r, KEY.enter);
    let f = await shows(r, 'Found: no other sessions on any database');
    assertFits(f);
    assert.match(f, /1 {2}Services down, databases backed up\s+▶ next/);
    assert.match(f, /Why: Nothing may write to the databases/);
    assert.match(f, /First, on the hosts:\n On the astakos host: +service gunicorn stop/);
    assert.match(f, /Plan: {2}back up 3 databases/);
    assert.match(f, /enter run/);
    await press(r, KEY.enter);
    f = await shows(r, '✓ done');
    assert.ok(backend.calls.includes('run 1'));
    assert.match(f, /✓ Done \d\d:\d\d:/);
    assert.match(f, /1 ran/);
    assert.doesNotMatch(f, /First, on the hosts/, 'done: the commands are history');
    assert.doesNotMatch(f, /A fresh backup is advised/, 'phase 1 ends with a backup: no second one offered');
    await press(r, 'n');
    await shows(r, '2.1  Find users whose emails differ only in case');
  });

  test('the header follows the steps: a schema a step migrates shows 0.13 on home once it is done', async () => {
    const before64 = Object.fromEntries(STEPS.slice(0, STEPS.findIndex((x) => x.id === '6.4')).map((x) => [x.id, done(['ok'])]));
    const { r } = start({ records: before64 });
    let f = await shows(r, 'enter continue');
    assert.match(f, /^ pithos +db2:5432\/snf_pithos +0\.12\.5$/m);
    await press(r, KEY.enter);
    await shows(r, 'enter run');
    await press(r, KEY.enter);
    await shows(r, /6\.4 .*✓ done/);
    await press(r, KEY.esc);
    f = await shows(r, /^ pithos +db2:5432\/snf_pithos +0\.13$/m);
    assert.match(f, /^ astakos +db1:5432\/snf_apps +0\.13$/m);
  });

  test('after a phase that takes no backup of its own a fresh backup is offered (b), or n continues', async () => {
    const { r, backend } = start({ records: Object.fromEntries(['1', '2.1', '2.2', '3.1', '3.2', '3.3', '3.4', '3.5', '3.6', '4'].map((id) => [id, done(['ok'])])) });
    await shows(r, 'enter continue');
    await press(r, KEY.enter);
    await shows(r, 'enter run');
    await press(r, KEY.enter);
    let f = await shows(r, 'is done. A fresh backup');
    assert.match(f.replace(/\s+/g, ' '), /Phase 5 \(Load resource definitions\) is done\. A fresh backup is advised: b backs up now, n continues\./);
    assert.match(f, /b backup now/);
    await press(r, 'b');
    f = await shows(r, 'Backup done');
    assert.ok(backend.calls.includes('backup phase5'));
    assert.match(f, /✓ astakos: \/backups\/astakos\.dump/);
    await press(r, KEY.enter);
    f = await shows(r, 'n next step (6.1)');
    assert.doesNotMatch(f, /A fresh backup/, 'the offer is gone once taken');
    await press(r, 'n');
    await shows(r, '6.1  Cyclades: merge or delete duplicate users');
  });

  test('a step that is not implemented says so plainly, and enter does nothing', async () => {
    const { r, backend } = start({ unimplemented: ['5'], records: Object.fromEntries(['1', '2.1', '2.2', '3.1', '3.2', '3.3', '3.4', '3.5', '3.6', '4'].map((id) => [id, done(['ok'])])) });
    await shows(r, '› ▶ 5');
    await press(r, KEY.enter);
    const f = await shows(r, 'Not implemented yet');
    assertFits(f);
    assert.match(f, /Perform it with the upstream commands of the guide/);
    await press(r, KEY.enter);
    await wait(50);
    assert.ok(!backend.calls.some((c) => c.startsWith('run')));
  });

  test('engine errors show their message and next action, never a stack', async () => {
    const { r } = start({
      plans: plan22,
      run: async () => { throw new UserError('the astakos database is locked by db1 pid 4242 (snf-upgrade run) since 2024-01-01 10:00:00', 'wait for it to finish; if that process is dead, run again with --take-over'); },
    });
    await shows(r, 'enter continue');
    await press(r, KEY.enter);
    await shows(r, 'Found:');
    await press(r, KEY.enter);
    const f = await shows(r, '✗ the astakos database is locked');
    assert.match(f, /next: wait for it to finish/);
    assert.doesNotMatch(f, /at .*\.ts:\d+/);
    const unexpected = start({ plans: plan22, run: async () => { throw new TypeError('cannot read x of undefined'); } });
    await shows(unexpected.r, 'enter continue');
    await press(unexpected.r, KEY.enter);
    await shows(unexpected.r, 'Found:');
    await press(unexpected.r, KEY.enter);
    const g = await shows(unexpected.r, 'unexpected error: cannot read x of undefined');
    assert.match(g, /next: nothing half-done was kept/);
  });
});

describe('manual steps', () => {
  const before32 = Object.fromEntries(['1', '2.1', '2.2', '3.1'].map((id) => [id, done(['ok'])]));
  const failing = () => [
    { label: 'astakos at 0.13', ok: true, detail: 'db1:5432/snf_apps: 0.13' },
    { label: 'cyclades at 0.13', ok: false, detail: 'db1:5432/snf_apps: 0.12.5' },
  ];

  test('commands per host and checks; a failing check blocks c; enter re-checks; c confirms once they pass', async () => {
    const { r, backend } = start({ records: before32, checks: { '3.2': failing() } });
    await shows(r, 'enter continue');
    await press(r, KEY.enter);
    let f = await shows(r, '✗ cyclades at 0.13');
    assertFits(f);
    assert.match(f, /On the astakos host: +snf-manage syncdb/);
    assert.match(f, /On the cyclades host: +snf-manage syncdb\n +snf-manage migrate/);
    assert.match(f, /! If asked about stale content types, answer "no"\./);
    assert.match(f, /Checks: +✓ astakos at 0\.13 \(db1:5432\/snf_apps: 0\.13\)/);
    assert.match(f, /c confirms once every check passes \(1 fails now\)/);
    assert.doesNotMatch(f, /s do it in the sandbox/, 'not a sandbox');
    await press(r, 'c');
    f = await shows(r, '3.2 cannot be confirmed yet: cyclades at 0.13');
    assert.ok(!backend.calls.includes('confirm 3.2'), 'confirm is not even tried');
    // The operator runs migrate on the cyclades host; enter re-checks.
    backend.checksByStep['3.2'] = failing().map((c) => ({ ...c, ok: true }));
    await press(r, KEY.enter);
    f = await shows(r, '✓ cyclades at 0.13');
    assert.doesNotMatch(f, /cannot be confirmed/);
    await press(r, 'c');
    f = await shows(r, '✓ done');
    assert.ok(backend.calls.includes('confirm 3.2'));
    assert.match(f, /n next step \(3\.3\)/);
  });

  test('in a sandbox, s performs the step on the data and confirms it', async () => {
    const { r, backend } = start({ sandbox: true, records: before32, checks: { '3.2': failing() } });
    await shows(r, 'enter continue');
    await press(r, KEY.enter);
    let f = await shows(r, 's do it in the sandbox');
    assert.match(f.replace(/\s+/g, ' '), /Sandbox: s performs this step on the sandbox's data \(as the commands above would\), then confirms it\./);
    await press(r, 's');
    f = await shows(r, '3.2 performed in the sandbox and confirmed');
    assert.match(f, /· 3\.2 simulated/);
    assert.deepEqual(backend.calls.filter((c) => /simulate|confirm/.test(c)), ['simulate 3.2', 'confirm 3.2']);
    await press(r, KEY.enter);
    f = await shows(r, '✓ done');
    assert.match(f, /Checks: +✓ astakos at 0\.13/);
    // 3.3 writes the settings snippets into the sandbox's settings folders, then confirms.
    await press(r, 'n');
    await shows(r, 's do it in the sandbox');
    await press(r, 'G');
    f = await shows(r, 'Sandbox: s performs');
    assert.match(f.replace(/\s+/g, ' '), /Sandbox: s performs this step on the sandbox's data/);
    await press(r, 's');
    await shows(r, '3.3 performed in the sandbox and confirmed');
    assert.deepEqual(backend.calls.filter((c) => /simulate|confirm/.test(c)), ['simulate 3.2', 'confirm 3.2', 'simulate 3.3', 'confirm 3.3']);
  });

  test('3.3: the settings to paste per host and file; the token hidden until t, and again after leaving', async () => {
    const token = 'tok3nFixtureForTheScreens_000001';
    const checks = { '3.3': [{ label: 'astakos: QUOTAHOLDER_TOKEN set', ok: false, detail: 'not set' }] };
    const { r, backend } = start({ records: { ...before32, '3.2': done(['ok']) }, token, checks });
    await shows(r, 'enter continue');
    await press(r, KEY.enter);
    let f = await shows(r, 'Settings to add, per host and file');
    assertFits(f);
    assert.match(f, /^ On the astakos host, \/etc\/synnefo\/20-snf-astakos-app-settings\.conf:$/m);
    // The lines as they are pasted: from column 0, nothing added.
    assert.match(f, /^QUOTAHOLDER_TOKEN = <hidden sha256:[0-9a-f]{8}, t shows it>$/m);
    assert.match(f, /^ASTAKOS_QUOTAHOLDER_URL = 'https:\/\/accounts\.grnet\.example\/quotaholder\/v'$/m);
    assert.match(f, /^# QUOTAHOLDER_URL is not read by 0\.13; kept as in the guide\nQUOTAHOLDER_URL = 'https:\/\/accounts\.grnet\.example\/quotaholder\/v'$/m);
    assert.doesNotMatch(f, /↪/);
    assert.doesNotMatch(f, / \\$/m, 'no shell line continuation');
    assert.ok(!f.includes(token), 'the token is hidden');
    // The checks are further down: their verdict stays in sight.
    assert.match(f, /^ Checks: ✗ 1 of 1 fail \(below: G shows them\)$/m);
    assert.match(f, /t show token/);
    await press(r, 't');
    f = await shows(r, `QUOTAHOLDER_TOKEN = '${token}'`);
    assertFits(f);
    assert.match(f, /! The token is on screen: copy, then t hides it\./);
    assert.match(f, /t hide token/);
    await press(r, 'G');
    f = await shows(r, /Checks: +✗ astakos: QUOTAHOLDER_TOKEN set \(not set\)/);
    assert.match(f, /^PITHOS_QUOTAHOLDER_TOKEN = 'tok3nFixture/m);
    assert.match(f, /w writes these lines to a file per host and file/);
    assert.doesNotMatch(f, /below: G shows them/);
    await press(r, KEY.esc);
    await shows(r, 'enter continue');
    await press(r, KEY.enter);
    f = await shows(r, 'Settings to add');
    assert.ok(!f.includes(token), 'hidden again after leaving the screen');
    await press(r, 'w');
    f = await shows(r, '3.3: settings written to files');
    assert.match(f, /✓ \/etc\/synnefo\/20-snf-astakos-app-settings\.conf on the astakos host:\n \/var\/lib\/snf-upgrade\/settings\/step3\.3\/astakos-20-snf-astakos-app-settings\.conf\n/);
    assert.ok(backend.calls.includes('write 3.3'));
    await press(r, KEY.enter);
    await shows(r, 'Settings to add');
    await press(r, '?');
    f = await shows(r, 'Keys · Manual step');
    assert.match(f, /t +3\.3–3\.6: show \/ hide the token in the settings to paste/);
    assert.match(f, /w +3\.3–3\.6: write the settings to files/);
  });

  test('3.5: a service token astakos does not have yet is a placeholder, and the screen says so', async () => {
    const records = Object.fromEntries(['1', '2.1', '2.2', '3.1', '3.2', '3.3', '3.4'].map((id) => [id, done(['ok'])]));
    const { r } = start({ records });
    await shows(r, 'enter continue');
    await press(r, KEY.enter);
    const f = await shows(r, 'Settings to add');
    assertFits(f);
    assert.match(f, /On the astakos host: +snf-manage service-list/);
    // Not Python: pasted as it is, the settings fail at once instead of carrying a wrong token.
    assert.match(f, /^CYCLADES_ASTAKOS_SERVICE_TOKEN = <cyclades auth_token from service-list>$/m);
    assert.doesNotMatch(f, /example\.synnefo\.org/);
    assert.match(f, /On the cyclades host, \/etc\/synnefo\/20-snf-cyclades-app-vmapi\.conf:/);
    assert.doesNotMatch(f, /t show token/, 'nothing to hide');
    await press(r, 'G');
    assert.match((await shows(r, 'not in astakos\' im_service yet')).replace(/\s+/g, ' '), /! the cyclades service token is not in astakos' im_service yet: fill in its auth_token from snf-manage service-list/);
  });

  test('an advisory check shows ! and does not block c; a blocking one does', async () => {
    const checks = [
      { label: 'astakos settings set', ok: true },
      { label: 'the quotaholder answers on 127.0.0.1', ok: false, advisory: true, detail: 'another host\'s loopback' },
    ];
    const { r, backend } = start({ records: before32, checks: { '3.2': checks } });
    await shows(r, 'enter continue');
    await press(r, KEY.enter);
    let f = await shows(r, 'the quotaholder answers');
    assert.match(f, /! the quotaholder answers on 127\.0\.0\.1/);
    assert.doesNotMatch(f, /✗/);
    assert.doesNotMatch(f, /c confirms once every check passes/);
    await press(r, 'c');
    f = await shows(r, '✓ done');
    assert.deepEqual(backend.calls.filter((c) => /confirm/.test(c)), ['confirm 3.2']);
  });
});

describe('free-text question', () => {
  test('typed text answers (trimmed; a paste counts); enter on nothing says so; ? shows the keys; esc leaves it unanswered', async () => {
    const asker = new UiAsker();
    const replies: (string | undefined)[] = [];
    const { r } = start({
      run: async (id) => {
        for (const service of ['astakos', 'cyclades']) {
          replies.push(await asker.ask({ step: id, key: `dump-${service}`, message: `pg_dump is not installed, so this tool cannot back up ${service}. Where is that backup?`, detail: ['it is recorded as is'] }));
        }
        return { step: id, status: 'done', summary: [] };
      },
    }, { asker });
    await shows(r, 'enter continue');
    await press(r, KEY.enter, KEY.enter);
    let f = await shows(r, /cannot back up astakos\. Where is that\s+backup\?/);
    assertFits(f);
    assert.match(f, /^ > ▏$/m);
    assert.match(f, /it is recorded as is/);
    await press(r, '?');
    f = await shows(r, 'Keys · Question (free text)');
    assert.match(f, /esc +leave it unanswered: the step stops, nothing is changed/);
    await press(r, 'x');
    await shows(r, /Where is that\s+backup\?/);
    await press(r, KEY.enter);
    await shows(r, '✗ nothing typed');
    r.stdin.write('  db1:/srv/astakos.dump ');
    await shows(r, '>   db1:/srv/astakos.dump ▏');
    await press(r, KEY.backspace, KEY.enter);
    f = await shows(r, 'cannot back up cyclades');
    assert.doesNotMatch(f, /db1:/, 'a fresh answer line for the next question');
    await press(r, 'q', KEY.esc);
    await waitFor(r, () => replies.length === 2, 'the second reply');
    assert.deepEqual(replies, ['db1:/srv/astakos.dump', undefined]);
  });
});

describe('lock held by another runner', () => {
  test('a stale holder: who it was, why it looks stale; t asks y/n, then the wizard goes on', async () => {
    const since = '21:04';
    const at = '2013-03-02T21:04:00.000Z';
    const lockConflict = {
      problem: 'the astakos database is locked by db1 pid 4242 (snf-upgrade run 6.4) since 2013-03-02 21:04:00 (that session is gone: run again with --take-over)',
      holders: [
        { where: 'state file' as const, host: 'db1', pid: 4242, since, at, command: 'snf-upgrade run 6.4', status: 'other host', alive: false, why: 'it ran on db1 and holds no database lock' },
        { where: 'astakos' as const, host: 'db1', pid: 4242, since, at, command: 'snf-upgrade run 6.4', status: 'gone', alive: false, why: 'no session holds the advisory lock (backend 99 is gone)' },
      ],
      stale: true, verdict: 'it looks stale: none of its database sessions is connected (it ran on db1: check there if you can)',
    };
    const { r, backend } = start({ lockConflict });
    let f = await shows(r, 'Another snf-upgrade holds the lock');
    assertFits(f);
    assert.match(f, /^ {3}state file +db1 +4242 +21:04 +other host +snf-upgrade run 6\.4$/m);
    assert.match(f, /^ {3}astakos +db1 +4242 +21:04 +gone +snf-upgrade run 6\.4$/m);
    assert.match(flat(f), /· It looks stale: none of its database sessions is connected \(it ran on db1: check there if you can\)\./);
    assert.match(f, /t take over +q quit +\? keys/);
    await press(r, '?');
    f = await shows(r, 'Keys · The deployment is in use');
    await press(r, 'x');
    await shows(r, 't take over');
    await press(r, 't');
    f = await shows(r, 'Take the lock over from snf-upgrade run 6.4 (pid 4242 on db1)?');
    assertFits(f);
    assert.match(f, /Go on\? y yes · n no/);
    await press(r, 'y');
    f = await shows(r, 'lock: held by this session');
    assert.match(f, /took the lock over from pid 4242 on db1/);
    assert.match(f, /enter continue/);
    assert.deepEqual(backend.calls.filter((c) => c === 'take over'), ['take over']);
  });
});

describe('destructive confirmation', () => {
  function destructive(asker: UiAsker): FakeBackendOptions {
    return {
      records: { '1': done(['ok']) },
      plans: { '2.1': { findings: { summary: ['37 groups'] }, plan: { summary: [], changes: [{ service: 'astakos', table: 'auth_user', action: 'delete', rows: 39 }] } } },
      run: async (id, b) => {
        const ok = await asker.confirm({
          step: id, key: 'confirm', dangerous: true, message: 'Delete 39 astakos users and every row that depends on them',
          detail: ['astakos.auth_user delete 39', 'astakos.im_astakosuser delete 39', 'astakos.im_invitation delete 12'], typeToConfirm: '39',
        });
        if (!ok) throw new UserError(`step ${id} was not confirmed; nothing changed`, 'run it again and confirm when ready');
        b.records.set(id, { ...b.records.get(id)!, status: 'done', finishedAt: new Date().toISOString(), summary: ['39 users deleted'] });
        return { step: id, status: 'done', summary: ['39 users deleted'] };
      },
    };
  }

  test('shows rows per table; accepts only the exact text', async () => {
    const asker = new UiAsker();
    const { r, backend } = start(destructive(asker), { asker });
    await shows(r, 'enter continue');
    await press(r, KEY.enter);
    await shows(r, 'Found: 37 groups');
    await press(r, KEY.enter);
    let f = await shows(r, 'Type 39 to confirm');
    assertFits(f);
    assert.match(f, /! Delete 39 astakos users and every row that depends on them\?/);
    assert.match(f, /astakos +auth_user +delete +39 rows/);
    assert.match(f, /astakos +im_invitation +delete +12 rows/);
    assert.match(f, /A backup from Tue 21:04 exists/);
    assert.match(f, /esc cancel: nothing changes/);
    await press(r, '3', '8', KEY.enter);
    f = await shows(r, '"38" is not 39');
    assert.equal(backend.records.get('2.1')!.status, 'pending');
    await press(r, ' ', '3', '9', KEY.enter);
    f = await shows(r, '" 39" is not 39');
    await press(r, '3', '9', '9', KEY.backspace);
    await shows(r, 'Type 39 to confirm: 39▏');
    await press(r, KEY.enter);
    f = await shows(r, '✓ done');
    assert.match(f, /39 users deleted/);
  });

  test('esc cancels with nothing changed', async () => {
    const asker = new UiAsker();
    const { r, backend } = start(destructive(asker), { asker });
    await shows(r, 'enter continue');
    await press(r, KEY.enter);
    await shows(r, 'Found: 37 groups');
    await press(r, KEY.enter);
    await shows(r, 'Type 39 to confirm');
    await press(r, '3', KEY.esc);
    const f = await shows(r, 'step 2.1 was not confirmed; nothing changed');
    assert.match(f, /next: run it again and confirm when ready/);
    assert.equal(backend.records.get('2.1')!.status, 'pending');
  });
});

describe('progress', () => {
  test('bar, rows done / total, rate, ETA, table and batch from events; ctrl-c stops after the batch, twice quits', async () => {
    let release!: () => void;
    const finished = new Promise<void>((res) => { release = res; });
    const { r, backend, exits } = start({
      records: { '1': done(['ok']) },
      run: async (id, b) => {
        b.emit({ type: 'step-start', step: id, attempt: 1 });
        b.emit({ type: 'progress', step: id, progress: { table: 'auth_user', done: 500, total: 500 }, rate: 1000 });
        b.emit({ type: 'progress', step: id, progress: { table: 'nodes.path', done: 3_412_000, total: 5_000_000, batch: 342, batches: 500 }, rate: 81_000, etaSeconds: 19 });
        b.emit({ type: 'log', step: id, level: 'warn', message: '3 accounts are not in astakos; left as they are' });
        await finished;
        b.emit({ type: 'step-stopped', step: id, summary: ['stopped after batch 343'] });
        return { step: id, status: 'stopped', summary: ['stopped after batch 343'] };
      },
    });
    await shows(r, 'enter continue');
    await press(r, KEY.enter);
    await shows(r, 'enter run');
    await press(r, KEY.enter);
    let f = await shows(r, '3,412,000 / 5,000,000 rows');
    assertFits(f);
    assert.match(f, /2\.1 {2}Find users whose emails differ only in case\s+running \d+:\d\d:\d\d/);
    assert.match(f, /✓ auth_user {2}500 \/ 500 rows/);
    assert.match(f, /▶ nodes\.path\s+batch 342\/500/);
    assert.match(f, /█{20,}░{10,}\s+68%/);
    assert.match(f, /81k rows\/s · ETA 0:00:19/);
    assert.match(f, /! 3 accounts are not in astakos/);
    assert.match(f, /ctrl-c stops after this batch/);
    await press(r, '?');
    f = await shows(r, 'Keys · Progress');
    await press(r, 'x');
    await shows(r, 'nodes.path');
    await press(r, KEY.ctrlC);
    f = await shows(r, 'Stop requested');
    assert.ok(backend.calls.includes('stop'));
    assert.match(f, /Stop requested: the step stops once the current batch \(342\) has committed/);
    assert.match(f, /ctrl-c again quits at once/);
    assert.deepEqual(exits, []);
    await press(r, KEY.ctrlC);
    assert.deepEqual(exits, [{ code: 130, hard: true }]);
    release();
    f = await shows(r, '2.1 stopped between batches');
    assert.match(f, /next: enter runs it again; it continues after the last committed batch/);
  });

  test('ctrl-c when nothing runs quits', async () => {
    const { r, exits } = start();
    await shows(r, 'enter continue');
    await press(r, KEY.ctrlC);
    assert.deepEqual(exits, [{ code: 0, hard: undefined }]);
  });
});

describe('undo', () => {
  test('u on a done step that can be undone asks first; n changes nothing, y undoes', async () => {
    const { r, backend } = start({ records: { '1': done(['ok']), '2.1': done(['ok']), '2.2': done(['21 users deleted']) } });
    await shows(r, 'enter continue');
    await press(r, 'k', KEY.enter);
    let f = await shows(r, 'u undo');
    await press(r, 'u');
    f = await shows(r, 'Undo step 2.2?');
    assert.match(f, /y yes/);
    await press(r, 'n');
    await shows(r, '2.2 was not undone; nothing changed');
    assert.ok(!backend.calls.includes('undo 2.2'));
    await press(r, 'u');
    await shows(r, 'Undo step 2.2?');
    await press(r, 'y');
    f = await shows(r, '2.2 undone: restored 3 rows');
    assert.ok(backend.calls.includes('undo 2.2'));
    assert.match(f, /▶ next/);
  });
});

describe('report and help', () => {
  test('r shows the report, scrollable; esc goes back', async () => {
    const { r } = start();
    await shows(r, 'enter continue');
    await press(r, 'r');
    let f = await shows(r, '# snf-upgrade report');
    assertFits(f);
    assert.match(f, /lines 1–20 of 62/);
    await press(r, 'j', 'j');
    f = await shows(r, 'lines 3–22 of 62');
    await press(r, 'G');
    f = await shows(r, 'line 60');
    assert.doesNotMatch(f, /# snf-upgrade report/);
    await press(r, KEY.esc);
    await shows(r, 'enter continue');
  });

  test('? lists the keys of the current screen; any key closes it and the screen is as it was', async () => {
    const { r } = start({ records: { '1': done(['ok']) } });
    await shows(r, 'enter continue');
    await press(r, 'j', 'j', '?');
    let f = await shows(r, 'Keys · Home');
    assertFits(f);
    assert.match(f, /b +back up every database now/);
    assert.match(f, /Symbols: ✓ done {3}▶ current {3}✗ failed {3}· pending/);
    await press(r, ' ');
    f = await shows(r, 'enter open 3.1');
    assert.match(f, /› · 3\.1/, 'cursor kept');
    await press(r, KEY.enter);
    await shows(r, 'Install the 0.13 packages');
    await press(r, '?');
    f = await shows(r, 'Keys · Manual step');
    assert.match(f, /c +confirm the step is done \(only when every check passes\)/);
  });
});
