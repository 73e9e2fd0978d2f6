/** @jsxRuntime automatic @jsxImportSource react */
// The wizard's state without Ink: its reducer and the views App reads from it; the one list
// model (keys, reducer, hook), the text entry, and the menus' number keys.
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { Box, type Key } from 'ink';
import { cleanup, render } from 'ink-testing-library';
import { useState } from 'react';
import type { Decision } from '../../src/core/step.js';
import type { PlanView, StepView } from '../../src/engine/index.js';
import { UserError } from '../../src/errors.js';
import { STEPS } from '../../src/runbook/steps.js';
import { Row, useKeys } from '../../src/ui/components/common.js';
import { Menu } from '../../src/ui/components/Menu.js';
import { initialTable } from '../../src/ui/conflicts/model.js';
import { follow, listMove, listReducer, useList, type ListState } from '../../src/ui/list.js';
import { applyEdit, textEdit } from '../../src/ui/text-entry.js';
import { conflictsOf, errorMessage, initialWizard, phaseBacksUp, storedOf, unknownOf, wizardReducer, type WizardState } from '../../src/ui/wizard.js';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
afterEach(() => cleanup());

const NO_KEY: Key = {
  upArrow: false, downArrow: false, leftArrow: false, rightArrow: false, pageDown: false, pageUp: false, home: false, end: false,
  return: false, escape: false, ctrl: false, shift: false, tab: false, backspace: false, delete: false, meta: false,
  super: false, hyper: false, capsLock: false, numLock: false,
};
const key = (over: Partial<Key> = {}): Key => ({ ...NO_KEY, ...over });

const views: StepView[] = STEPS.map((def) => ({ def, record: { id: def.id, status: 'pending' } as StepView['record'], implemented: true }));
const viewOf = (id: string) => views.find((v) => v.def.id === id)!;
const planWith = (id: string, data: unknown): PlanView =>
  ({ step: id, title: '', kind: 'check', findings: { summary: [], data }, plan: { summary: [], changes: [] } }) as unknown as PlanView;
const GROUPS = { groups: [{ key: 'a@b.c', users: [{ id: 1, email: 'a@b.c' }, { id: 2, email: 'A@b.c' }], suggested: 1, reasons: [] }] };

describe('wizard reducer', () => {
  test('starts on home, or on the step the last session left half done', () => {
    assert.deepEqual(initialWizard(null).screen, { kind: 'home' });
    const s = initialWizard({ step: '6.3', text: 'interrupted' });
    assert.deepEqual(s.screen, { kind: 'step', id: '6.3' });
    assert.equal(s.interrupted?.text, 'interrupted');
  });

  test('go clears the message and remembers a step for home; show keeps the message', () => {
    let s: WizardState = { ...initialWizard(null), message: { text: 'x' } };
    s = wizardReducer(s, { type: 'show', screen: { kind: 'report' } });
    assert.equal(s.message?.text, 'x');
    s = wizardReducer(s, { type: 'go', screen: { kind: 'step', id: '2.1' } });
    assert.equal(s.message, undefined);
    assert.equal(s.lastStep, '2.1');
    s = wizardReducer(s, { type: 'go', screen: { kind: 'home' } });
    assert.equal(s.lastStep, '2.1');
    assert.deepEqual(s.screen, { kind: 'home' });
  });

  test('what was interrupted opens its step only from home', () => {
    const i = { step: '2.2', text: 'stopped' };
    assert.deepEqual(wizardReducer(initialWizard(null), { type: 'interrupted', interrupted: i }).screen, { kind: 'step', id: '2.2' });
    const onReport = wizardReducer(initialWizard(null), { type: 'show', screen: { kind: 'report' } });
    const after = wizardReducer(onReport, { type: 'interrupted', interrupted: i });
    assert.deepEqual(after.screen, { kind: 'report' });
    assert.equal(after.interrupted, i);
  });

  test('page data merges per step', () => {
    let s = wizardReducer(initialWizard(null), { type: 'page', id: '3.2', data: { checking: true } });
    s = wizardReducer(s, { type: 'page', id: '3.2', data: { checks: [], checking: false } });
    s = wizardReducer(s, { type: 'page', id: '5', data: { loading: true } });
    assert.deepEqual(s.pages['3.2'], { checking: false, checks: [] });
    assert.deepEqual(s.pages['5'], { loading: true });
  });

  test('decided adds to a new map of that step, the old one unchanged', () => {
    const old = new Map<string, Decision>([['a', { value: 1, source: 'suggested' }]]);
    let s = wizardReducer(initialWizard(null), { type: 'decisions', step: '2.2', decisions: old });
    s = wizardReducer(s, { type: 'decided', step: '2.2', items: [{ key: 'b', value: 2, source: 'operator' }, { key: 'a', value: 3, source: 'operator' }] });
    assert.equal(old.size, 1);
    assert.deepEqual([...s.decisions['2.2']!], [['a', { value: 3, source: 'operator' }], ['b', { value: 2, source: 'operator' }]]);
  });

  test('busy clears the message; finished ends it, reads the steps anew and shows its message', () => {
    let s: WizardState = { ...initialWizard({ step: '2.1', text: 'half done' }), message: { text: 'old' } };
    s = wizardReducer(s, { type: 'busy', busy: { kind: 'run', id: '2.1', title: 't' } });
    assert.equal(s.message, undefined);
    s = wizardReducer(s, { type: 'finished', id: '2.1', allDone: false, message: { text: 'stopped' } });
    assert.equal(s.busy, undefined);
    assert.equal(s.tick, 1);
    assert.equal(s.interrupted, undefined, 'the interrupted step ran again');
    assert.equal(s.message?.text, 'stopped');
    assert.deepEqual(s.screen, { kind: 'step', id: '2.1' });
  });

  test('finished keeps what another step left half done; every step done opens the report', () => {
    const s = wizardReducer(initialWizard({ step: '6.3', text: 'half done' }), { type: 'finished', id: 'backup', allDone: true });
    assert.equal(s.interrupted?.step, '6.3');
    assert.deepEqual(s.screen, { kind: 'report', title: 'Report · every step is done' });
  });

  test('a conflict table state starts from the initial one', () => {
    const s = wizardReducer(initialWizard(null), { type: 'table', id: '2.1', update: (t) => ({ ...t, group: t.group + 3 }) });
    assert.deepEqual(s.tables['2.1'], { ...initialTable(), group: 3 });
  });
});

describe('wizard views', () => {
  test('a step reads the decisions of the step its decision table names', () => {
    const d = new Map<string, Decision>([['k', { value: 1, source: 'operator' }]]);
    const s = wizardReducer(initialWizard(null), { type: 'decisions', step: '2.2', decisions: d });
    assert.equal(storedOf(s, '2.1'), d);
    assert.equal(storedOf(s, '2.2'), d);
    assert.equal(storedOf(s, '6.1').size, 0);
  });

  test('only a step with a decision table has conflicts, read from its plan', () => {
    let s = wizardReducer(initialWizard(null), { type: 'page', id: '2.1', data: { plan: planWith('2.1', GROUPS) } });
    s = wizardReducer(s, { type: 'page', id: '7.1', data: { plan: planWith('7.1', GROUPS) } });
    assert.equal(conflictsOf(s, viewOf('2.1'))?.data.groups[0]?.key, 'a@b.c');
    assert.equal(conflictsOf(s, viewOf('2.1'))?.remap, false);
    assert.equal(conflictsOf(s, viewOf('7.1')), undefined);
    assert.equal(conflictsOf(s, undefined), undefined);
  });

  test('unknown identifiers take their noun, answers and mapping from the runbook', () => {
    let s = wizardReducer(initialWizard(null), { type: 'page', id: '6.2', data: { plan: planWith('6.2', { unknown: ['ghost'] }) } });
    s = wizardReducer(s, { type: 'page', id: '6.3', data: { plan: planWith('6.3', { unknown: [{ id: 'x@y', kind: 'email', suggested: 'keep', reason: 'r', vms_live: 2 }] }) } });
    const accounts = unknownOf(s, '6.2')!;
    assert.equal(accounts.list.noun, 'accounts');
    assert.equal(accounts.list.mapToUser, false);
    assert.deepEqual(accounts.list.answers.map((a) => a.value), ['delete', 'keep']);
    const owners = unknownOf(s, '6.3')!;
    assert.equal(owners.list.mapToUser, true);
    assert.equal(owners.list.items[0]?.detail, 'email · 2 VMs');
    assert.equal(unknownOf(s, '5'), undefined);
  });

  test('a phase that ends with its own backup is told apart', () => {
    assert.equal(phaseBacksUp(views, '1'), true);
    assert.equal(phaseBacksUp(views, '2'), true);
    assert.equal(phaseBacksUp(views, '6'), true);
    assert.equal(phaseBacksUp(views, '5'), false);
  });

  test('errors: a UserError keeps its next action; anything else is one line with a next action', () => {
    const u = errorMessage(new UserError('bad thing', 'do this'));
    assert.deepEqual([u.text, u.next, u.level], ['bad thing', 'do this', 'error']);
    const e = errorMessage(new Error('boom\n  at somewhere'));
    assert.equal(e.text, 'unexpected error: boom');
    assert.match(e.next ?? '', /report/);
  });
});

describe('list model', () => {
  test('keys: arrows and j k, page keys and space, g G, home end; k, space and b as the list wants', () => {
    assert.equal(listMove('j', key()), 'down');
    assert.equal(listMove('', key({ downArrow: true })), 'down');
    assert.equal(listMove('k', key()), 'up');
    assert.equal(listMove('k', key(), { k: false }), undefined);
    assert.equal(listMove('', key({ upArrow: true }), { k: false }), 'up');
    assert.equal(listMove(' ', key()), 'pageDown');
    assert.equal(listMove(' ', key(), { space: false }), undefined);
    assert.equal(listMove('b', key()), undefined);
    assert.equal(listMove('b', key(), { b: true }), 'pageUp');
    assert.equal(listMove('g', key()), 'first');
    assert.equal(listMove('', key({ end: true })), 'last');
    assert.equal(listMove('x', key()), undefined);
  });

  test('the cursor stays inside the list', () => {
    const env = { count: 3, height: 10 };
    let s: ListState = { cursor: 0, top: 0 };
    s = listReducer(s, 'up', env);
    assert.equal(s.cursor, 0);
    for (let i = 0; i < 5; i++) s = listReducer(s, 'down', env);
    assert.equal(s.cursor, 2);
    assert.equal(listReducer(s, { to: 99 }, env).cursor, 2);
    assert.equal(listReducer(s, { to: -4 }, env).cursor, 0);
    assert.equal(listReducer({ cursor: 0, top: 0 }, 'up', { count: 0, height: 5 }).cursor, 0);
  });

  test('page keys move by the page given, else a window less one row', () => {
    assert.equal(listReducer({ cursor: 0, top: 0 }, 'pageDown', { count: 100, height: 10 }).cursor, 9);
    assert.equal(listReducer({ cursor: 50, top: 45 }, 'pageUp', { count: 100, height: 10, page: 10 }).cursor, 40);
    assert.equal(listReducer({ cursor: 5, top: 0 }, 'last', { count: 100, height: 10 }).cursor, 99);
  });

  test('the window follows the cursor, moving as little as it can', () => {
    assert.equal(follow(3, 0, 5), 0);
    assert.equal(follow(7, 0, 5), 3);
    assert.equal(follow(1, 4, 5), 1);
    const s = listReducer({ cursor: 4, top: 0 }, 'down', { count: 20, height: 5 });
    assert.deepEqual(s, { cursor: 5, top: 1 });
    assert.deepEqual(listReducer(s, 'first', { count: 20, height: 5 }), { cursor: 0, top: 0 });
  });

  test('a list that shrank: the cursor is brought back inside before it moves; no change keeps the state', () => {
    assert.equal(listReducer({ cursor: 30, top: 25 }, 'up', { count: 10, height: 5 }).cursor, 8);
    const s = { cursor: 2, top: 0 };
    assert.equal(listReducer(s, { to: 2 }, { count: 10, height: 5 }), s);
  });

  test('useList: keys of one chunk each move; the cursor is clamped to the list as it is now', async () => {
    function List({ count }: { count: number }) {
      const list = useList({ count, height: 3 });
      useKeys((input, k) => { list.onKey(input, k); }, true);
      return <Row text={`cursor ${list.cursor} top ${list.top}`} width={40} />;
    }
    function Shrinking() {
      const [count, setCount] = useState(10);
      useKeys((input) => { if (input === 's') setCount(2); }, true);
      return <Box><List count={count} /></Box>;
    }
    const r = render(<Shrinking />);
    await wait(30);
    r.stdin.write('jjjj');
    await wait(30);
    assert.match(r.lastFrame() ?? '', /cursor 4 top 2/);
    r.stdin.write('s');
    await wait(30);
    assert.match(r.lastFrame() ?? '', /cursor 1 top 1/);
  });
});

describe('text entry and menus', () => {
  test('typing, backspace and the length limit; control keys are not text', () => {
    assert.deepEqual(textEdit('a', key()), { type: 'type', text: 'a' });
    assert.deepEqual(textEdit('', key({ backspace: true })), { type: 'backspace' });
    assert.equal(textEdit('c', key({ ctrl: true })), undefined);
    assert.equal(textEdit('\r', key({ return: true })), undefined);
    assert.equal(textEdit('', key({ leftArrow: true })), undefined);
    assert.equal(applyEdit('ab', { type: 'type', text: 'cd' }, 3), 'abc');
    assert.equal(applyEdit('ab', { type: 'backspace' }), 'a');
    assert.equal(applyEdit('', { type: 'backspace' }), '');
  });

  test('a menu chooses with enter; its number keys work only where the answer is not destructive', async () => {
    for (const numbers of [false, true]) {
      const chosen: string[] = [];
      const r = render(<Menu items={[{ value: 'no', label: 'no' }, { value: 'yes', label: 'yes' }]} width={40} active={true} numbers={numbers} onSelect={(v) => chosen.push(v)} />);
      await wait(30);
      r.stdin.write('2');
      await wait(30);
      assert.deepEqual(chosen, numbers ? ['yes'] : [], `numbers ${numbers}`);
      r.stdin.write('\r');
      await wait(30);
      assert.deepEqual(chosen, numbers ? ['yes', 'no'] : ['no'], `numbers ${numbers}`);
      r.unmount();
    }
  });
});
