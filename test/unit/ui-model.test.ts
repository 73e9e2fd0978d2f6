// The wizard's pure logic, without Ink: conflict filter/sort/cursor/window, the progress
// reducer, and the text helpers the screens are made of.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  acceptAllPlan, createViewCache, decidedId, expandedExtra, filterGroups, initialTable, isOpen, keyOrder, settle,
  shownRange, sortGroups, summarize, tableReducer, windowRows, type TableEnv, type TableState,
} from '../../src/ui/conflicts/model.js';
import type { Decision } from '../../src/core/step.js';
import { conflictData } from '../../src/ui/conflicts/data.js';
import { decisionStep, type ConflictGroup } from '../../src/ui/conflicts/types.js';
import { syntheticGroups } from '../helpers/fake-backend.js';
import { alignTables, bar, bytes, cell, cut, cutLeft, num, percent, rate, spread, when, wrap } from '../../src/ui/format.js';
import { currentTable, initialProgress, progressReducer, workingMs } from '../../src/ui/progress-model.js';
import { TableRates } from '../../src/engine/rates.js';
import { keyBarText } from '../../src/ui/components/common.js';
import { breakCommand } from '../../src/ui/components/StepScreen.js';
import { summaryText, windowed } from '../../src/ui/components/Home.js';
import { simulatedLines, isSandbox } from '../../src/engine/session.js';
import { UiAsker } from '../../src/ui/asker.js';

const groups = syntheticGroups(200, 7);
const none = new Map<string, Decision>();

function envOf(gs: readonly ConflictGroup[], decisions: ReadonlyMap<string, Decision>, height = 10) {
  const view = createViewCache();
  return (s: TableState): TableEnv => {
    const idx = view(gs, s.editing ? s.draft : s.filter, s.sort, s.epoch, decisions);
    return {
      count: idx.length,
      usersAt: (i) => gs[idx[i]!]!.users.length,
      openAt: (i) => isOpen(gs[idx[i]!]!, decisions),
      preferredUserAt: (i) => Math.max(0, gs[idx[i]!]!.users.findIndex((u) => u.id === gs[idx[i]!]!.suggested)),
      height,
    };
  };
}

describe('conflict model', () => {
  test('decisions: a survivor must be one of the group\'s users', () => {
    const g = groups[0]!;
    assert.equal(decidedId(g, new Map([[g.key, { value: g.users[1]!.id, source: 'operator' }]])), g.users[1]!.id);
    assert.equal(decidedId(g, new Map([[g.key, { value: String(g.users[1]!.id), source: 'answers' }]])), g.users[1]!.id);
    assert.equal(decidedId(g, new Map([[g.key, { value: 999999, source: 'operator' }]])), undefined);
    assert.equal(isOpen(g, none), true);
  });

  test('filter: case-insensitive substring of key or username, #id exactly; keeps key order', () => {
    const all = filterGroups(groups, '');
    assert.equal(all.length, groups.length);
    assert.deepEqual(all, keyOrder(groups));
    const kp = filterGroups(groups, 'KPAP');
    assert.ok(kp.length > 0);
    for (const i of kp) assert.match(groups[i]!.key, /kpap/);
    const u = groups[5]!.users[1]!;
    assert.deepEqual(filterGroups(groups, `#${u.id}`), [5]);
    assert.deepEqual(filterGroups(groups, 'no-such-thing'), []);
  });

  test('sort: open first is a stable partition; size puts big groups first', () => {
    const idx = keyOrder(groups);
    const decisions = new Map<string, Decision>([[groups[idx[0]!]!.key, { value: groups[idx[0]!]!.suggested, source: 'suggested' }]]);
    const open = sortGroups(groups, idx, 'open', decisions);
    assert.equal(open[open.length - 1], idx[0]);
    assert.deepEqual(open.slice(0, -1), idx.slice(1));
    const size = sortGroups(groups, idx, 'size', none);
    for (let k = 1; k < size.length; k++) assert.ok(groups[size[k - 1]!]!.users.length >= groups[size[k]!]!.users.length);
    assert.deepEqual(sortGroups(groups, idx, 'key', none), idx);
  });

  test('view cache: same inputs give the same array; narrowing a filter searches only the previous result', () => {
    const view = createViewCache();
    const a = view(groups, 'kp', 'open', 0, none);
    assert.equal(view(groups, 'kp', 'open', 0, none), a, 'memoised');
    const decided = new Map<string, Decision>([[groups[a[0]!]!.key, { value: 1, source: 'operator' }]]);
    assert.equal(view(groups, 'kp', 'open', 0, decided), a, 'a decision does not re-sort until the epoch changes');
    const b = view(groups, 'kpa', 'open', 0, none);
    assert.ok(b.length <= a.length);
    assert.deepEqual(b, filterGroups(groups, 'kpa'));
    assert.notEqual(view(groups, 'kpa', 'key', 1, none), b);
  });

  test('cursor: starts on the suggested survivor of the first group, and again after a filter or sort', () => {
    const envFor = envOf(groups, none, 12);
    const order = keyOrder(groups);
    const at = (s: TableState) => groups[order[s.group]!]!;
    // A first group whose suggestion is not its first member, so the test can tell.
    const pos = order.findIndex((i) => groups[i]!.users[0]!.id !== groups[i]!.suggested);
    assert.ok(pos >= 0, 'the fixture has a group whose suggestion is not listed first');
    let s = tableReducer(initialTable({ sort: 'key' }), { type: 'settle' }, envFor);
    assert.equal(at(s).users[s.user]!.id, at(s).suggested, 'the first group opens on its suggestion');
    const key = groups[order[pos]!]!.key;
    s = tableReducer(s, { type: 'filterStart' }, envFor);
    for (const ch of key) s = tableReducer(s, { type: 'filterType', text: ch }, envFor);
    s = tableReducer(s, { type: 'filterCommit' }, envFor);
    const g = groups[filterGroups(groups, key)[s.group]!]!;
    assert.notEqual(s.user, 0);
    assert.equal(g.users[s.user]!.id, g.suggested, 'a filtered view opens on the suggestion too');
    // A key moves from where the cursor is shown, not from the first member.
    const down = tableReducer(tableReducer(initialTable({ sort: 'key' }), { type: 'settle' }, envFor), { type: 'down' }, envFor);
    const first = at(down);
    const sugg = first.users.findIndex((u) => u.id === first.suggested);
    assert.deepEqual([down.group, down.user], sugg < first.users.length - 1 ? [0, sugg + 1] : [1, 0]);
  });

  test('cursor: j/k walk through the users of each group, then to the next group', () => {
    const envFor = envOf(groups, none, 12);
    let s = initialTable({ sort: 'key', user: 0 });
    const first = groups[keyOrder(groups)[0]!]!;
    for (let k = 0; k < first.users.length - 1; k++) s = tableReducer(s, { type: 'down' }, envFor);
    assert.deepEqual([s.group, s.user], [0, first.users.length - 1]);
    s = tableReducer(s, { type: 'down' }, envFor);
    assert.deepEqual([s.group, s.user], [1, 0]);
    s = tableReducer(s, { type: 'up' }, envFor);
    assert.deepEqual([s.group, s.user], [0, first.users.length - 1]);
    s = tableReducer(s, { type: 'last' }, envFor);
    assert.equal(s.group, groups.length - 1);
    s = tableReducer(s, { type: 'down' }, envFor);
    assert.equal(s.group, groups.length - 1, 'stops at the end');
    s = tableReducer(s, { type: 'first' }, envFor);
    assert.deepEqual([s.group, s.top], [0, 0]);
  });

  test('scrolling keeps the highlighted group (header to why-line) inside the window', () => {
    const height = 12;
    const envFor = envOf(groups, none, height);
    let s = initialTable({ sort: 'key' });
    for (let k = 0; k < 120; k++) {
      s = tableReducer(s, { type: 'down' }, envFor);
      const env = envFor(s);
      const rows = windowRows(s, env);
      assert.ok(rows.length <= height);
      assert.ok(rows.some((r) => r.kind === 'user' && r.cursor), `cursor visible after ${k + 1} moves`);
      assert.ok(rows.some((r) => r.kind === 'group' && r.cursor), 'its group header too');
      assert.ok(rows.some((r) => r.kind === 'why'), 'and why it was suggested');
    }
    const env = envFor(s);
    const rows = windowRows(s, env);
    const range = shownRange(rows);
    assert.ok(range.from <= s.group + 1 && s.group + 1 <= range.to);
  });

  test('a group taller than the window still shows the cursor', () => {
    const big: ConflictGroup[] = [{ ...groups[0]!, users: Array.from({ length: 30 }, (_, i) => ({ ...groups[0]!.users[0]!, id: 1000 + i })), suggested: 1000 }];
    const envFor = envOf(big, none, 8);
    let s = initialTable();
    for (let k = 0; k < 25; k++) s = tableReducer(s, { type: 'down' }, envFor);
    const rows = windowRows(s, envFor(s));
    assert.equal(rows.length, 8);
    assert.ok(rows.some((r) => r.kind === 'user' && r.cursor && r.user === 25));
  });

  test('after a decision the cursor moves to the next open group, on its suggested user', () => {
    const decisions = new Map<string, Decision>();
    const envFor = envOf(groups, decisions, 12);
    let s = tableReducer(initialTable({ sort: 'key' }), { type: 'settle' }, envFor);
    const idx = keyOrder(groups);
    decisions.set(groups[idx[1]!]!.key, { value: groups[idx[1]!]!.suggested, source: 'operator' });
    s = tableReducer(s, { type: 'decided' }, envFor);
    assert.equal(s.group, 2, 'skips the decided group 1');
    const g = groups[idx[2]!]!;
    assert.equal(g.users[s.user]!.id, g.suggested);
  });

  test('filter typing, commit, cancel and clear', () => {
    const envFor = envOf(groups, none, 10);
    let s = initialTable();
    s = tableReducer(s, { type: 'filterStart' }, envFor);
    for (const ch of 'kpap') s = tableReducer(s, { type: 'filterType', text: ch }, envFor);
    assert.equal(s.draft, 'kpap');
    assert.equal(envFor(s).count, filterGroups(groups, 'kpap').length, 'the view follows the draft');
    s = tableReducer(s, { type: 'filterBackspace' }, envFor);
    assert.equal(s.draft, 'kpa');
    const cancelled = tableReducer(s, { type: 'filterCancel' }, envFor);
    assert.equal(cancelled.filter, '');
    assert.equal(cancelled.editing, false);
    s = tableReducer(s, { type: 'filterCommit' }, envFor);
    assert.equal(s.filter, 'kpa');
    assert.equal(s.editing, false);
    s = tableReducer(s, { type: 'filterClear' }, envFor);
    assert.equal(s.filter, '');
  });

  test('sort cycles open first → key → size', () => {
    const envFor = envOf(groups, none);
    let s = initialTable();
    const seen = [s.sort];
    for (let k = 0; k < 3; k++) { s = tableReducer(s, { type: 'sortCycle' }, envFor); seen.push(s.sort); }
    assert.deepEqual(seen, ['open', 'key', 'size', 'open']);
  });

  test('window rows: only the visible ones are built', () => {
    const big = syntheticGroups(10_000, 3);
    const envFor = envOf(big, none, 20);
    const s = tableReducer(initialTable(), { type: 'settle' }, envFor);
    const rows = windowRows(s, envFor(s));
    assert.equal(rows.length, 20);
    assert.equal(rows.filter((r) => r.kind === 'user').length, big[keyOrder(big)[0]!]!.users.length);
    assert.equal(expandedExtra(3), 8, 'three users, three detail rows (the full email first), two of why');
    assert.deepEqual(rows.filter((r) => r.kind === 'detail').map((r) => (r as { line: number }).line), [0, 1, 2]);
    assert.deepEqual(rows.filter((r) => r.kind === 'why').map((r) => (r as { line: number }).line), [0, 1]);
  });

  test('10,000 groups: a keystroke costs well under a millisecond once the view is made', () => {
    const big = syntheticGroups(10_000, 5);
    const envFor = envOf(big, none, 20);
    let s = tableReducer(initialTable(), { type: 'settle' }, envFor);
    const t0 = performance.now();
    for (let k = 0; k < 1000; k++) {
      s = tableReducer(s, { type: 'down' }, envFor);
      windowRows(s, envFor(s));
    }
    const perKey = (performance.now() - t0) / 1000;
    assert.ok(perKey < 1, `${perKey.toFixed(3)} ms per keystroke`);
    const t1 = performance.now();
    for (const ch of 'kpap12') s = tableReducer(s, { type: 'filterType', text: ch }, envFor);
    const perChar = (performance.now() - t1) / 6;
    assert.ok(perChar < 50, `${perChar.toFixed(1)} ms per filter character`);
  });

  test('summary and accept-all plan', () => {
    const gs = groups.slice(0, 3);
    const decisions = new Map<string, Decision>([
      [gs[0]!.key, { value: gs[0]!.users[0]!.id, source: 'operator' }],
      [gs[1]!.key, { value: gs[1]!.suggested, source: 'suggested' }],
    ]);
    const s = summarize(gs, decisions);
    assert.equal(s.groups, 3);
    assert.equal(s.decided, 2);
    assert.equal(s.byOperator, 1);
    assert.equal(s.bySuggestion, 1);
    assert.equal(s.open, 1);
    assert.equal(s.toDelete, gs.reduce((n, g) => n + g.users.length - 1, 0));
    assert.equal(summarize(gs, decisions), s, 'memoised on the decisions map');
    const plan = acceptAllPlan(gs, decisions);
    assert.deepEqual(plan.map((a) => a.key), [gs[2]!.key]);
    assert.equal(plan[0]!.keep, gs[2]!.suggested);
    assert.equal(plan[0]!.drop.length, gs[2]!.users.length - 1);
  });

  test('conflict data is read from plan.data, else findings.data; decisions of 2.x live under 2.2, 6.x under their own step', () => {
    const base = { step: '2.2', title: 't', kind: 'migrate' as const };
    assert.equal(conflictData({ ...base, findings: { summary: [] }, plan: { summary: [], changes: [] } }), undefined);
    const data = { groups: groups.slice(0, 2) };
    assert.equal(conflictData({ ...base, findings: { summary: [], data }, plan: { summary: [], changes: [] } }), data);
    assert.equal(conflictData({ ...base, findings: { summary: [], data: { other: 1 } }, plan: { summary: [], changes: [], data } }), data);
    assert.equal(decisionStep('2.1'), '2.2');
    assert.equal(decisionStep('6.2'), '6.2');
    assert.equal(decisionStep('6.1'), '6.1');
  });
});

describe('progress model', () => {
  test('folds progress events per table; the last unfinished one is current', () => {
    let s = initialProgress('6.4', 0);
    s = progressReducer(s, { type: 'step-start', step: '6.4', attempt: 1 });
    s = progressReducer(s, { type: 'progress', step: '6.4', progress: { table: 'nodes.path', done: 10, total: 100, batch: 1, batches: 10 }, rate: 5, etaSeconds: 18 });
    assert.equal(currentTable(s)?.table, 'nodes.path');
    s = progressReducer(s, { type: 'progress', step: '6.4', progress: { table: 'versions.muser', done: 5, total: 50 } });
    assert.equal(s.tables[0]!.finished, true, 'an earlier table is finished when the next one starts');
    assert.equal(currentTable(s)?.table, 'versions.muser');
    s = progressReducer(s, { type: 'log', step: '6.4', level: 'warn', message: 'careful' });
    assert.equal(s.logs.length, 1);
    s = progressReducer(s, { type: 'stop-requested' });
    assert.equal(s.stopping, true);
    s = progressReducer(s, { type: 'step-stopped', step: '6.4', summary: [] });
    assert.equal(s.outcome, 'stopped');
    assert.equal(progressReducer(s, { type: 'step-done', step: 'other', summary: [] }), s, 'other steps\' events are ignored');
  });

  test('the running time leaves out the waits for an answer; units are the step\'s', () => {
    let s = initialProgress('2.2', 0);
    s = progressReducer(s, { type: 'progress', step: '2.2', progress: { table: 'pithos accounts', unit: 'accounts', done: 1, total: 4 } }, 1000);
    assert.equal(s.tables[0]!.unit, 'accounts');
    s = progressReducer(s, { type: 'waiting', step: '2.2', waiting: true }, 2000);
    assert.equal(workingMs(s, 62_000), 2000, 'a minute at the confirmation is not work');
    s = progressReducer(s, { type: 'waiting', step: '2.2', waiting: false }, 62_000);
    assert.equal(workingMs(s, 65_000), 5000);
  });

  test('rates per table, from where the table before stopped, waits for an answer left out', async () => {
    let now = 0;
    const rates = new TableRates(() => now);
    now = 10_000;
    assert.deepEqual(rates.of({ table: 'nodes', done: 1000, total: 2000 }), { rate: 100, etaSeconds: 10 });
    // a question answered after a minute: not in the next table's time
    const waits: boolean[] = [];
    const asker = rates.timed({ interactive: true, acceptSuggestions: false, answer: () => undefined, confirm: async () => { now += 60_000; return true; } }, (on) => waits.push(on));
    assert.equal(await asker.confirm({ step: '6.4', key: 'confirm', message: 'go on?' }), true);
    assert.deepEqual(waits, [true, false]);
    now += 2000;
    assert.deepEqual(rates.of({ table: 'versions', done: 500, total: 1000 }), { rate: 250, etaSeconds: 2 }, 'since nodes stopped, the minute left out');
    now += 2000;
    assert.equal(rates.of({ table: 'versions', done: 1000, total: 1000 }).rate, 250);
  });
});

describe('text helpers', () => {
  test('cells, numbers, sizes, rates, bars', () => {
    assert.equal(cut('abcdef', 4), 'abc…');
    assert.equal(cell('ab', 4), 'ab  ');
    assert.equal(cutLeft('/a/b/c/state.db', 10), '…/state.db');
    assert.equal(num(3412000), '3,412,000');
    assert.equal(num('100000000000000000000000000000'), '100,000,000,000,000,000,000,000,000,000');
    assert.equal(bytes('0'), '0');
    assert.equal(bytes('512'), '512 B');
    assert.equal(bytes(String(12 * 1024 ** 3)), '12.0 GiB');
    assert.equal(bytes('1237940039285380274899124224'), '1099511627776 PiB', '2^90 bytes: BigInt, no precision lost');
    assert.equal(rate(81234), '81k/s');
    assert.equal(rate(950), '950/s');
    assert.equal(bar(68, 100, 10), '██████░░░░');
    assert.equal(bar(0, undefined, 4), '░░░░');
    assert.equal(percent(68, 100), '68%');
    assert.equal(spread('left', 'right', 12), 'left   right');
    assert.equal(when(null), '');
    assert.match(when(new Date().toISOString()), /^\d\d:\d\d$/, 'today: the time only');
    assert.match(when(new Date(Date.now() - 2 * 24 * 3600 * 1000).toISOString()), /^(Sun|Mon|Tue|Wed|Thu|Fri|Sat) \d\d:\d\d$/);
    assert.match(when('2013-03-02T10:00:00Z'), /^2013-03-0[12] \d\d:\d\d$/);
  });

  test('markdown tables of the report become aligned columns', () => {
    assert.equal(alignTables('# t\n\n| step | status |\n|---|---|\n| 2.2 | done |\n| 11 | pending |\ntext'),
      '# t\n\nstep  status\n────  ───────\n2.2   done\n11    pending\ntext');
  });

  test('wrap keeps words and fits the width', () => {
    const lines = wrap('one two three four five six seven eight nine ten', 12, '  ');
    for (const l of lines) assert.ok(l.length <= 12, l);
    assert.equal(lines.join(' ').replace(/\s+/g, ' '), 'one two three four five six seven eight nine ten');
    assert.deepEqual(wrap('abcdefghij', 4), ['abcd', 'efgh', 'ij']);
  });

  test('key bar drops keys that do not fit, keeping "? keys"', () => {
    const keys: [string, string][] = [['enter', 'continue'], ['↑↓', 'pick a step'], ['r', 'report'], ['b', 'backup now'], ['?', 'keys'], ['q', 'quit']];
    assert.equal(keyBarText(keys, 80), ' enter continue   ↑↓ pick a step   r report   b backup now   ? keys   q quit');
    const narrow = keyBarText(keys, 40);
    assert.ok(narrow.length <= 40);
    assert.match(narrow, /\? keys$/);
  });

  test('long commands break with a shell continuation', () => {
    const parts = breakCommand('apt-get install kamaki snf-common snf-webproject snf-quotaholder-app snf-astakos-app', 40);
    assert.ok(parts.length > 1);
    for (const p of parts) assert.ok(p.length <= 40);
    assert.equal(parts.join(' '), 'apt-get install kamaki snf-common snf-webproject snf-quotaholder-app snf-astakos-app');
  });

  test('home says in a few words what a finished step did', () => {
    assert.equal(summaryText(['astakos: /b/a.tar.gz (5.4 MiB, sha256 7b6b10787676…)', 'pithos: /b/p.tar.gz (12.0 MiB, sha256 dc62…)', '✓ astakos backed up']), '2 backups, 17.4 MiB');
    assert.equal(summaryText(['a@b.c: #1 a@b.c, #2 A@b.c — suggested #1', 'x@y.z: #3 x@y.z, #4 X@y.z — suggested #4', 'step 2.2 deletes…']), '2 groups');
    assert.equal(summaryText(['deleted 21 astakos user(s)', 'more']), 'deleted 21 astakos user(s)');
    assert.equal(summaryText(null), '');
  });

  test('home list window keeps the cursor and says what is hidden', () => {
    const items = Array.from({ length: 21 }, (_, i) => i);
    for (const cursor of [0, 5, 10, 20]) {
      const w = windowed(items, cursor, 14);
      assert.equal(w.length, 14);
      assert.ok(w.some((x) => typeof x !== 'string' && x.index === cursor));
    }
    assert.equal(windowed(items, 0, 14).at(-1), '↓ 8 more');
    assert.equal(windowed(items, 20, 14)[0], '↑ 8 more');
  });
});

describe('sandbox detection and the asker', () => {
  test('a deployment is a sandbox when every database is embedded or the config is the demo\'s', () => {
    const base = { state: 's', backups: 'b' };
    assert.equal(isSandbox({ ...base, astakos: { db: 'pglite:/x/a' }, cyclades: { db: 'pglite:/x/c' }, pithos: { db: 'pglite:/x/p' } }), true);
    assert.equal(isSandbox({ ...base, astakos: { db: 'pglite:/x/a' }, cyclades: { db: 'postgres://h/c' }, pithos: { db: 'pglite:/x/p' } }), false);
    assert.equal(isSandbox({ ...base, file: '/opt/snf-upgrade/state/demo/snf-upgrade.json', astakos: { db: 'postgres://h/a' }, cyclades: {}, pithos: {} }), true);
    assert.deepEqual(simulatedLines({ done: ['a', 'b'] }, '3.2'), ['a', 'b']);
    assert.deepEqual(simulatedLines(undefined, '4'), ['step 4 performed in the sandbox']);
  });

  test('the on-screen asker says no when nobody can see the question, and settles once', async () => {
    const asker = new UiAsker();
    assert.equal(await asker.confirm({ step: '2.2', key: 'confirm', message: 'm' }), false);
    const seen: unknown[] = [];
    const off = asker.subscribe((p) => seen.push(p?.question.key));
    const answer = asker.confirm({ step: '2.2', key: 'confirm', message: 'm', typeToConfirm: '39' });
    asker.current()!.answer(true);
    asker.cancel();
    assert.equal(await answer, true);
    assert.deepEqual(seen, ['confirm', undefined]);
    assert.equal(asker.answer('2.2', 'survivors'), undefined);
    assert.equal(asker.acceptSuggestions, false);
    off();
  });
});
