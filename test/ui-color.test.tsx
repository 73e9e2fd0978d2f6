/** @jsxRuntime automatic @jsxImportSource react */
// NO_COLOR: with colour forced on, the screens use colour; with NO_COLOR they use none, and
// what the colour said is still there as symbols and words. Keys typed faster than read
// (one chunk: "39⏎", "jjj") count one by one.
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';

process.env.FORCE_COLOR = '1';
const { cleanup, render } = await import('ink-testing-library');
const { App } = await import('../src/ui/App.js');
const { UiAsker } = await import('../src/ui/asker.js');
const { fakeBackend } = await import('../src/ui/fixtures.js');

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
