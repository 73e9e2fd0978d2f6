/** @jsxRuntime automatic @jsxImportSource react */
// The conflict table on 10,000 groups, driven by keystrokes: responsiveness, filter, sort,
// choosing a survivor, accept-all after a summary, and undecided groups blocking the delete.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanup, render } from 'ink-testing-library';
import { App } from '../../src/ui/App.js';
import { filterGroups } from '../../src/ui/conflicts/model.js';
import { fakeBackend, syntheticGroups, type FakeBackend } from '../helpers/fake-backend.js';

const KEY = { enter: '\r', esc: '\u001B', down: '\u001B[B', up: '\u001B[A', pageDown: '\u001B[6~' };
const SIZE = { columns: 80, rows: 24 };
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = new Date().toISOString();
type Instance = ReturnType<typeof render>;

async function waitFor(r: Instance, pred: (frame: string) => boolean, what: string, timeout = 5000): Promise<string> {
  const end = Date.now() + timeout;
  for (;;) {
    const f = r.lastFrame() ?? '';
    if (pred(f)) { await wait(30); return r.lastFrame() ?? f; }
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}; last frame:\n${f}`);
    await wait(5);
  }
}
const shows = (r: Instance, text: string | RegExp) => waitFor(r, (f) => (typeof text === 'string' ? f.includes(text) : text.test(f)), String(text));
async function press(r: Instance, ...keys: string[]) {
  for (const k of keys) { r.stdin.write(k); await wait(k === KEY.esc ? 40 : 20); }
}
function assertFits(frame: string) {
  const lines = frame.split('\n');
  assert.ok(lines.length <= SIZE.rows - 1, `${lines.length} lines`);
  for (const l of lines) assert.ok(l.length <= SIZE.columns, `too long: ${l}`);
}

const groups = syntheticGroups(10_000, 42);
let backend: FakeBackend;
let r: Instance;

function open(): { backend: FakeBackend; r: Instance } {
  const b = fakeBackend({
    records: { '1': { status: 'done', finishedAt: now, summary: ['ok'] }, '2.1': { status: 'done', finishedAt: now, summary: ['10000 groups'] } },
    plans: {
      '2.2': {
        findings: { summary: groups.map((g) => `${g.key}: …`), data: { groups, serviceOnly: { cyclades: [], pithos: [] } } },
        plan: { summary: [], changes: [{ service: 'astakos', table: 'auth_user', action: 'delete', rows: 20_000 }], open: 10_000 },
      },
    },
  });
  const inst = render(<App backend={b} size={SIZE} onExit={() => undefined} />);
  return { backend: b, r: inst };
}

describe('conflict table, 10,000 groups', () => {
  before(async () => {
    ({ backend, r } = open());
    await shows(r, 'enter continue');
    await press(r, KEY.enter);
    await shows(r, 'Open: 10,000');
  });
  after(() => cleanup());

  test('the step screen summarises the groups instead of listing them', async () => {
    const f = r.lastFrame()!;
    assertFits(f);
    assert.match(f, /Found: 10,000 groups of users whose emails differ only in case, [\d,]+ users\./);
    assert.match(f, /Decided: 0 \(0 as suggested, 0 by hand\)\. {3}Open: 10,000, each with a suggestion/);
    assert.match(f, /Will change \(astakos\): auth_user −20,000/);
    assert.doesNotMatch(f, /: …/, 'the per-group summary lines are left to the table');
    assert.match(f, /enter review conflicts/);
  });

  test('undecided groups block the delete', async () => {
    await press(r, 'd');
    const f = await shows(r, 'still undecided');
    assert.match(f.replace(/\s+/g, ' '), /10,000 group\(s\) are still undecided: nothing is deleted before every group has a survivor/);
    assert.ok(!backend.calls.some((c) => c.startsWith('run')));
  });

  test('enter opens the table; only the visible window is drawn', async () => {
    await press(r, KEY.enter);
    const f = await shows(r, 'Conflicts 10,000 · open 10,000');
    assertFits(f);
    assert.match(f, /1–\d+ of 10,000/);
    assert.match(f, /sort: open first/);
    assert.match(f, /^▶ · \S+@\S+ +\d users +suggested #\d+ +open/m);
    assert.match(f, /^ {3}› #\d+ /m, 'the cursor is on a user');
    assert.match(f, /why #\d+: /);
    assert.match(f, /enter keep/);
  });

  test('a keystroke re-renders well under 100 ms', async () => {
    const times: number[] = [];
    for (let k = 0; k < 12; k++) {
      const before = r.lastFrame();
      const t0 = performance.now();
      r.stdin.write(k % 4 === 3 ? KEY.pageDown : 'j');
      await waitFor(r, (f) => f !== before, 'a new frame');
      times.push(performance.now() - t0 - 30);
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)]!;
    console.log(`# keystroke → frame on 10,000 groups: median ${median.toFixed(1)} ms, max ${times[times.length - 1]!.toFixed(1)} ms`);
    assert.ok(median < 100, `median ${median.toFixed(1)} ms`);
    await press(r, 'g');
    await shows(r, /1–\d+ of 10,000/);
  });

  test('/ filters as you type; enter keeps the filter; the count matches', async () => {
    await press(r, '/');
    await shows(r, 'filter /▏');
    const t0 = performance.now();
    await press(r, 'k', 'p', 'a', 'p', '1', '2');
    let f = await shows(r, 'filter /kpap12▏');
    const typed = performance.now() - t0;
    assert.ok(typed < 2000, `typing 6 characters took ${typed.toFixed(0)} ms`);
    const expected = filterGroups(groups, 'kpap12').length;
    assert.ok(expected > 1 && expected < 200);
    assert.match(f, new RegExp(`of ${expected} · filter /kpap12▏`));
    await press(r, KEY.enter);
    f = await shows(r, 'filter /kpap12 ');
    assertFits(f);
    for (const m of f.matchAll(/^[▶ ] [·✓] (\S+)/gm)) assert.match(m[1]!, /kpap12/);
  });

  test('the cursor starts on the suggested survivor; enter keeps the highlighted user and moves to the next open group', async () => {
    const start = await shows(r, /^ {3}› #\d+/m);
    const key = /^▶ · (\S+)/m.exec(start)![1]!;
    const g = groups.find((x) => x.key === key)!;
    assert.equal(Number(/^ {3}› #(\d+)/m.exec(start)![1]), g.suggested, 'the suggestion is highlighted first');
    const at = g.users.findIndex((u) => u.id === g.suggested);
    const other = at < g.users.length - 1 ? at + 1 : at - 1;
    await press(r, other > at ? 'j' : 'k');
    const f0 = await shows(r, new RegExp(`^ {3}› #${g.users[other]!.id} `, 'm'));
    assert.equal(/^▶ · (\S+)/m.exec(f0)![1], key);
    const id = g.users[other]!.id;
    await press(r, KEY.enter);
    const f = await shows(r, `kept #${id} (you)`);
    assert.equal(backend.decisionsByStep.get('2.2')!.get(key)!.value, id);
    assert.equal(backend.decisionsByStep.get('2.2')!.get(key)!.source, 'operator');
    assert.match(f, /open 9,999/);
    assert.match(f, new RegExp(`✓ ${key.replace(/[.]/g, '\\.')} +\\d users +kept #${id} \\(you\\) +decided`));
    assert.doesNotMatch(f, new RegExp(`▶ . ${key.replace(/[.]/g, '\\.')} `), 'the cursor moved on');
  });

  test('s cycles the sort; esc clears the filter, then goes back', async () => {
    await press(r, 's');
    await shows(r, 'sort: key');
    await press(r, 's');
    const f = await shows(r, 'sort: size');
    assert.match(f, /^▶ . \S+ +4 users/m, 'largest groups first');
    await press(r, 's');
    await shows(r, 'sort: open first');
    await press(r, KEY.esc);
    await shows(r, /1–\d+ of 10,000 +sort/);
    await press(r, '?');
    await shows(r, 'Keys · Conflict table');
    await press(r, 'x');
    await shows(r, 'Conflicts 10,000 · open 9,999');
    await press(r, KEY.esc);
    const step = await shows(r, 'Decided: 1 (0 as suggested, 1 by hand).   Open: 9,999');
    assertFits(step);
  });

  test('a accepts every remaining suggestion after a summary; n cancels', async () => {
    await press(r, 'v');
    await shows(r, 'Conflicts 10,000');
    await press(r, 'a');
    let f = await shows(r, 'Accept the suggested survivor of 9,999 open group(s) (of 10,000)?');
    assertFits(f);
    assert.match(f, /9,999 group\(s\) as suggested · [\d,]+ user\(s\) deleted when the step runs/);
    assert.match(f, /keeps #\d+ +deletes \d+: #\d+/);
    assert.match(f, /… and [\d,]+ more \(j scrolls\)/);
    const first = /groups 1–(\d+) of 9,999/.exec(f)!;
    const firstKey = /^ {3}(\S+) +keeps #/m.exec(f)![1]!;
    await press(r, ' ');
    f = await shows(r, `groups ${Number(first[1]) + 1}–`);
    assertFits(f);
    assert.doesNotMatch(f, new RegExp(`^ {3}${firstKey.replace(/[.+]/g, '\\$&')} `, 'm'), 'space pages the summary on');
    await press(r, 'k');
    await shows(r, `groups ${Number(first[1])}–`);
    await press(r, 'n');
    await shows(r, 'enter keep');
    assert.equal(backend.decisionsByStep.get('2.2')!.size, 1, 'n changes nothing');
    await press(r, 'a');
    await shows(r, 'Accept the suggested survivor');
    await press(r, 'y');
    f = await shows(r, 'open 0');
    const decided = backend.decisionsByStep.get('2.2')!;
    assert.equal(decided.size, 10_000);
    const sample = groups[1234]!;
    if (decided.get(sample.key)!.source === 'suggested') assert.equal(decided.get(sample.key)!.value, sample.suggested);
    assert.equal([...decided.values()].filter((d) => d.source === 'operator').length, 1, 'the hand-made decision stands');
    await press(r, KEY.esc);
    f = await shows(r, 'Open: 0');
    assert.match(f, /Decided: 10,000 \(9,999 as suggested, 1 by hand\)/);
    assert.match(f, /enter delete/);
    await press(r, 'd');
    await waitFor(r, () => backend.calls.includes('run 2.2'), 'the step to run');
  });
});

describe('conflict table edge cases', () => {
  afterEach(() => cleanup());

  test('no groups: nothing to decide; a filter matching nothing says so', async () => {
    const b = fakeBackend({
      records: { '1': { status: 'done', finishedAt: now, summary: ['ok'] }, '2.1': { status: 'done', finishedAt: now, summary: ['ok'] } },
      plans: { '2.2': { findings: { summary: [], data: { groups: syntheticGroups(3) } }, plan: { summary: [], changes: [] } } },
    });
    const inst = render(<App backend={b} size={SIZE} onExit={() => undefined} />);
    await shows(inst, 'enter continue');
    await press(inst, KEY.enter);
    await shows(inst, 'Open: 3');
    await press(inst, 'v');
    await shows(inst, 'Conflicts 3');
    await press(inst, '/', 'z', 'z', 'z', KEY.enter);
    const f = await shows(inst, 'nothing matches the filter');
    assert.match(f, /none shown/);
    await press(inst, KEY.esc);
    await shows(inst, '1–3 of 3');
  });
});
