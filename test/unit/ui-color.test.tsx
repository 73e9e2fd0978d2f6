/** @jsxRuntime automatic @jsxImportSource react */
// NO_COLOR: with colour forced on, the screens use colour; with NO_COLOR they use none, and
// what the colour said is still there as symbols and words. Keys typed faster than read
// (one chunk: "39⏎", "jjj") count one by one.
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';

process.env.FORCE_COLOR = '1';
const { cleanup, render } = await import('ink-testing-library');
const { App } = await import('../../src/ui/App.js');
const { UiAsker } = await import('../../src/ui/asker.js');
const { fakeBackend } = await import('../helpers/fake-backend.js');

const SIZE = { columns: 80, rows: 24 };
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = new Date().toISOString();
type Instance = ReturnType<typeof render>;
// eslint-disable-next-line no-control-regex
const COLOUR = /\x1b\[(?:3[0-7]|9[0-7]|38;[0-9;]+)m/;
// eslint-disable-next-line no-control-regex
const strip = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

async function shows(r: Instance, text: string): Promise<string> {
  const end = Date.now() + 3000;
  for (;;) {
    const f = r.lastFrame() ?? '';
    if (strip(f).includes(text)) { await wait(30); return r.lastFrame() ?? f; }
    if (Date.now() > end) assert.fail(`timed out waiting for ${text}:\n${strip(f)}`);
    await wait(10);
  }
}

const records = {
  '1': { status: 'done' as const, finishedAt: now, summary: ['ok'] },
  '2.1': { status: 'failed' as const, finishedAt: now, lastError: 'boom' },
};

afterEach(() => { cleanup(); delete process.env.NO_COLOR; });

describe('colour', () => {
  test('colour is used when allowed', async () => {
    const r = render(<App backend={fakeBackend({ records })} size={SIZE} onExit={() => undefined} />);
    const f = await shows(r, 'enter');
    assert.match(f, COLOUR);
  });

  test('NO_COLOR: no colour at all; the symbols say it all', async () => {
    process.env.NO_COLOR = '1';
    const r = render(<App backend={fakeBackend({ records, checks: { '3.2': [{ label: 'cyclades at 0.13', ok: false }] } })} size={SIZE} onExit={() => undefined} />);
    let f = await shows(r, 'enter');
    assert.doesNotMatch(f, COLOUR);
    assert.match(strip(f), /✓ 1 /);
    assert.match(strip(f), /› ✗ 2\.1 .*failed/);
    r.stdin.write('\r');
    f = await shows(r, 'Last attempt failed: boom');
    assert.doesNotMatch(f, COLOUR);
    assert.match(strip(f), /✗ failed/);
  });
});

describe('NO_COLOR on the settings snippets, the lock screen and the 6.3 mapping', () => {
  test('no colour; the hidden token, the verdict and the user found read as text', async () => {
    process.env.NO_COLOR = '1';
    const before = (id: string) => Object.fromEntries(['1', '2.1', '2.2', '3.1', '3.2', '3.3', '3.4', '3.5', '3.6', '4', '5', '6.1', '6.2'].slice(0, ['1', '2.1', '2.2', '3.1', '3.2', '3.3', '3.4', '3.5', '3.6', '4', '5', '6.1', '6.2'].indexOf(id))
      .map((x) => [x, { status: 'done' as const, finishedAt: now, summary: ['ok'] }]));
    let r = render(<App backend={fakeBackend({ records: before('3.3') })} size={SIZE} onExit={() => undefined} />);
    await shows(r, 'enter continue');
    r.stdin.write('\r');
    let f = await shows(r, 'Settings to add');
    assert.doesNotMatch(f, COLOUR);
    assert.match(strip(f), /QUOTAHOLDER_TOKEN = <hidden sha256:[0-9a-f]{8}, t shows it>/);
    cleanup();
    const holder = { where: 'state file' as const, host: 'db1', pid: 7, since: '21:04', at: '2013-03-02T21:04:00.000Z', command: 'snf-upgrade', status: 'running', alive: true, why: 'process 7 is running' };
    r = render(<App backend={fakeBackend({ lockConflict: { problem: 'in use', holders: [holder], stale: false, verdict: 'it looks alive: process 7 is running on this machine' } })} size={SIZE} onExit={() => undefined} />);
    f = await shows(r, 'It looks alive');
    assert.doesNotMatch(f, COLOUR);
    assert.match(strip(f), /! It looks alive: process 7 is running on this machine\./);
    cleanup();
    const unknown = [{ id: 'gone@x.org', kind: 'email', vms_live: 1, vms_deleted: 0, networks: 0, keys: 0, suggested: 'delete', reason: 'unknown' }];
    const b = fakeBackend({
      records: { ...before('6.2'), '6.2': { status: 'done', finishedAt: now, summary: ['ok'] } },
      plans: { '6.3': { findings: { summary: [], data: { mapped: { identifiers: 1, rows: {} }, alreadyUuid: 0, unknown } }, plan: { summary: [], changes: [], open: 1 } } },
      users: [{ id: 31, email: 'kpap@grnet.gr', uuid: '0a1b2c3d-0000-4000-8000-00000000a031', active: true, verified: false }],
    });
    r = render(<App backend={b} size={SIZE} onExit={() => undefined} />);
    await shows(r, 'enter continue');
    r.stdin.write('\r');
    await shows(r, 'without an answer');
    r.stdin.write('\r');
    await shows(r, 'open 1');
    r.stdin.write('m');
    await shows(r, 'uuid or email');
    r.stdin.write('kpap@grnet.gr');
    await shows(r, 'kpap@grnet.gr▏');
    r.stdin.write('\r');
    f = await shows(r, '→ #31 kpap@grnet.gr');
    assert.doesNotMatch(f, COLOUR);
    assert.match(strip(f), /✓ active · ✗ email not verified/);
  });
});

describe('keys in one chunk', () => {
  test('"39⏎" typed at once confirms; "jjj" moves three steps', async () => {
    const asker = new UiAsker();
    const b = fakeBackend({
      records: { '1': { status: 'done', finishedAt: now, summary: ['ok'] } },
      run: async (id) => {
        const ok = await asker.confirm({ step: id, key: 'confirm', dangerous: true, message: 'Delete 39 users', typeToConfirm: '39' });
        return { step: id, status: ok ? 'done' : 'stopped', summary: [ok ? 'confirmed' : 'refused'] };
      },
    });
    const r = render(<App backend={b} asker={asker} size={SIZE} onExit={() => undefined} />);
    await shows(r, 'enter continue');
    r.stdin.write('jjj');
    let f = await shows(r, 'enter open 3.2');
    assert.match(strip(f), /› · 3\.2/);
    r.stdin.write('kkk');
    await shows(r, 'enter continue');
    r.stdin.write('\r');
    await shows(r, 'enter run');
    r.stdin.write('\r');
    await shows(r, 'Type 39 to confirm');
    r.stdin.write('39\r');
    await wait(100);
    assert.equal(asker.current(), undefined, 'answered');
    f = strip(r.lastFrame() ?? '');
    assert.doesNotMatch(f, /stopped between batches/);
  });
});
