/** @jsxRuntime automatic @jsxImportSource react */
// Steps 6.1–6.4 in the wizard: the 6.1/6.2 sets in the conflict table (merge, delete,
// accept all), the 6.3 list of identifiers astakos does not know (d / K / a), and the
// step-wide `A` that accepts every suggestion of a step without a table.
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cleanup, render } from 'ink-testing-library';
import { App } from '../src/ui/App.js';
import { UiAsker } from '../src/ui/asker.js';
import { deleteDecision, remapConflicts, tableDecisions } from '../src/ui/conflicts/remap.js';
import { fakeBackend, type FakeBackendOptions } from './helpers/fake-backend.js';
import { STEPS } from '../src/runbook/steps.js';
import { findAstakosUser } from '../src/core/remap/uuids.js';
import { openDb } from '../src/db/connection.js';
import { UserError } from '../src/errors.js';
import { cleanupAll, emptyDatabases } from './support.js';
import { shows, SIZE, wait, type Instance } from './helpers/screen.js';
import type { PlanView } from '../src/engine/index.js';
import type { Decision } from '../src/core/step.js';

const KEY = { enter: '\r', esc: '\u001B', up: '\u001B[A', down: '\u001B[B' };
const now = new Date().toISOString();

async function press(r: Instance, ...keys: string[]): Promise<void> {
  for (const k of keys) { r.stdin.write(k); await wait(k === KEY.esc ? 40 : 25); }
}
function assertFits(frame: string): void {
  const lines = frame.split('\n');
  assert.ok(lines.length <= SIZE.rows - 1, `${lines.length} lines:\n${frame}`);
  for (const l of lines) assert.ok(l.length <= SIZE.columns, `line too long (${l.length}): ${l}`);
}

/** Every step before ID done. */
const doneBefore = (id: string) => Object.fromEntries(STEPS.slice(0, STEPS.findIndex((s) => s.id === id))
  .map((s) => [s.id, { status: 'done' as const, finishedAt: now, summary: ['ok'] }]));

const member = (id: string, vms: number, astakos: 'known' | 'unknown' = 'known') => ({ id, vms_live: vms, vms_deleted: 1, networks: 0, keys: 2, astakos });
const sets61 = [
  { key: 'kpap@grnet.gr', identifiers: [member('KPap@grnet.gr', 1), member('kpap@grnet.gr', 4)], suggested: { action: 'merge', into: 'kpap@grnet.gr' }, reasons: ['kpap@grnet.gr owns the most'] },
  { key: 'zed@x.gr', identifiers: [member('ZED@x.gr', 0), member('Zed@x.gr', 2), member('zed@x.gr', 0)], suggested: { action: 'merge', into: 'Zed@x.gr' }, reasons: ['Zed@x.gr owns the most'] },
  { key: 'solo@x.gr', identifiers: [member('Solo@x.gr', 3)], suggested: { action: 'merge', into: 'solo@x.gr' }, reasons: ['step 2 kept solo@x.gr'] },
];
const view61 = (): Partial<PlanView> => ({ findings: { summary: ['3 set(s)'], data: { sets: sets61, notEmail: [], unknown: [] } }, plan: { summary: [], changes: [], open: 3 } });

afterEach(() => cleanup());

describe('6.1 / 6.2 sets in the conflict table', () => {
  test('adapter: one row per identifier; a suggestion outside the set is a row that owns nothing; decisions map both ways', () => {
    const view = { step: '6.1', title: 't', kind: 'migrate' as const, ...view61() } as PlanView;
    const { groups } = remapConflicts('6.1', view)!;
    assert.equal(remapConflicts('6.1', view)!.groups, groups, 'cached per findings object');
    assert.deepEqual(groups.map((g) => g.users.map((u) => u.email)), [['KPap@grnet.gr', 'kpap@grnet.gr'], ['ZED@x.gr', 'Zed@x.gr', 'zed@x.gr'], ['Solo@x.gr', 'solo@x.gr']]);
    assert.equal(groups[2]!.users[1]!.owner, false);
    assert.equal(groups[0]!.suggested, 2);
    const stored = new Map<string, Decision>([
      ['zed@x.gr', { value: { action: 'delete', delete: ['ZED@x.gr'], into: 'Zed@x.gr' }, source: 'operator' }],
      ['kpap@grnet.gr', { value: { action: 'merge', into: 'KPap@grnet.gr' }, source: 'operator' }],
    ]);
    const t = tableDecisions(groups, stored);
    assert.deepEqual(t.get('zed@x.gr'), { value: 2, source: 'operator', drop: [1] });
    assert.deepEqual(t.get('kpap@grnet.gr'), { value: 1, source: 'operator' });
    // x again on a deleted member takes it back; x on the last one left is refused.
    assert.deepEqual(deleteDecision(groups[1]!, stored.get('zed@x.gr'), 1), { action: 'merge', into: 'Zed@x.gr' });
    assert.deepEqual(deleteDecision(groups[1]!, stored.get('zed@x.gr'), 2), { action: 'delete', delete: ['ZED@x.gr', 'Zed@x.gr'], into: 'zed@x.gr' });
    assert.equal(deleteDecision(groups[2]!, undefined, 2), undefined, 'nothing to delete for a target that owns nothing');
  });

  test('enter merges into the highlighted identifier, x deletes its rows, a accepts the rest after a summary', async () => {
    const b = fakeBackend({ records: doneBefore('6.1'), plans: { '6.1': view61() } });
    const r = render(<App backend={b} size={SIZE} onExit={() => undefined} />);
    await shows(r, 'enter continue');
    await press(r, KEY.enter);
    let f = await shows(r, 'Found: 3 sets of cyclades owner identifiers');
    assertFits(f);
    assert.match(f, /Open: 3/);
    await press(r, KEY.enter);
    f = await shows(r, 'identifier');
    assertFits(f);
    assert.match(f, /kpap@grnet\.gr/);
    assert.match(f, /x delete rows/);
    // First group (open first, key order): kpap; the cursor is on the suggestion (#2); up to #1, enter.
    await press(r, KEY.up, KEY.enter);
    await wait(50);
    assert.deepEqual(b.decisionsByStep.get('6.1')?.get('kpap@grnet.gr')?.value, { action: 'merge', into: 'KPap@grnet.gr' });
    // Next open group: solo (key order); then zed: x on ZED@x.gr.
    f = await shows(r, /▶ · zed@x\.gr|▶ · solo@x\.gr/);
    await press(r, 'n');
    f = await shows(r, /▶ · zed@x\.gr/);
    await press(r, 'g');
    await press(r, '/', ...'zed', KEY.enter);
    f = await shows(r, 'filter /zed');
    await press(r, KEY.up);
    await press(r, 'x');
    await wait(50);
    assert.deepEqual(b.decisionsByStep.get('6.1')?.get('zed@x.gr')?.value, { action: 'delete', delete: ['ZED@x.gr'], into: 'Zed@x.gr' });
    f = await shows(r, /del 1, into #2/);
    assert.match(f, /ZED@x\.gr.* del/);
    await press(r, KEY.esc); // clear the filter
    await press(r, 'a');
    f = await shows(r, /Accept the suggested survivor of 1 open group/);
    await press(r, 'y');
    await wait(50);
    assert.deepEqual(b.decisionsByStep.get('6.1')?.get('solo@x.gr'), { ...b.decisionsByStep.get('6.1')?.get('solo@x.gr')!, value: { action: 'merge', into: 'solo@x.gr' }, source: 'suggested' });
    await press(r, KEY.esc);
    f = await shows(r, 'Open: 0');
    assert.match(f, /enter merge/);
    await press(r, KEY.enter);
    await shows(r, '✓ done');
    assert.ok(b.calls.includes('run 6.1'));
  });
});

describe('6.3 unknown identifiers', () => {
  const unknown = [
    { id: 'gone@example.org', kind: 'email', vms_live: 1, vms_deleted: 0, networks: 0, keys: 0, suggested: 'delete', reason: 'astakos has no account gone@example.org' },
    { id: '12', kind: 'numeric', vms_live: 0, vms_deleted: 0, networks: 0, keys: 1, suggested: 'keep', reason: 'an old numeric user id' },
    { id: 'old@example.org', kind: 'email', vms_live: 0, vms_deleted: 2, networks: 0, keys: 0, suggested: 'delete', reason: 'astakos has no account old@example.org' },
  ];
  test('enter lists them; d and k answer one each; a takes the suggestion for the rest; then enter runs', async () => {
    const b = fakeBackend({
      records: doneBefore('6.3'),
      plans: { '6.3': { findings: { summary: ['40 identifiers map'], data: { mapped: { identifiers: 40, rows: {} }, alreadyUuid: 0, unknown } }, plan: { summary: [], changes: [], open: 3 } } },
    });
    const r = render(<App backend={b} size={SIZE} onExit={() => undefined} />);
    await shows(r, 'enter continue');
    await press(r, KEY.enter);
    let f = await shows(r, 'Unknown to astakos: 3 identifiers, 3 without an answer');
    assertFits(f);
    assert.match(f, /enter answer unknowns/);
    await press(r, KEY.enter);
    f = await shows(r, 'open 3');
    assertFits(f);
    assert.match(f, /gone@example\.org/);
    assert.match(f, /why delete: astakos has no account gone@example\.org/);
    await press(r, 'K'); // gone@… → keep (against the suggestion)
    await press(r, 'd'); // 12 → delete
    f = await shows(r, 'open 1');
    // k moves up, as everywhere, and answers nothing
    await press(r, 'k');
    await wait(100);
    assert.notEqual(r.lastFrame(), f, 'the cursor moved');
    assert.match(r.lastFrame()!, /open 1/);
    await press(r, 'j');
    await press(r, 'a');
    f = await shows(r, 'Take the suggested answer for 1 open identifiers?');
    await press(r, 'y');
    f = await shows(r, 'open 0');
    const d = b.decisionsByStep.get('6.3')!;
    assert.equal(d.get('unknown:gone@example.org')?.value, 'keep');
    assert.equal(d.get('unknown:12')?.value, 'delete');
    assert.equal(d.get('unknown:old@example.org')?.value, 'delete');
    assert.equal(d.get('unknown:old@example.org')?.source, 'suggested');
    await press(r, KEY.esc);
    f = await shows(r, 'every one answered');
    await press(r, KEY.enter);
    await shows(r, '✓ done');
    assert.ok(b.calls.includes('run 6.3'));
  });
  test('a long list scrolls: moving back up keeps the window until the cursor reaches its top', async () => {
    const many = Array.from({ length: 40 }, (_, i) => ({ ...unknown[0]!, id: `u${String(i).padStart(2, '0')}@example.org` }));
    const b = fakeBackend({
      records: doneBefore('6.3'),
      plans: { '6.3': { findings: { summary: [], data: { mapped: { identifiers: 0, rows: {} }, alreadyUuid: 0, unknown: many } }, plan: { summary: [], changes: [], open: 40 } } },
    });
    const r = render(<App backend={b} size={SIZE} onExit={() => undefined} />);
    await shows(r, 'enter continue');
    await press(r, KEY.enter);
    await shows(r, 'Unknown to astakos: 40 identifiers');
    await press(r, KEY.enter);
    await shows(r, 'open 40');
    await press(r, ...Array<string>(30).fill(KEY.down));
    let f = await shows(r, 'u30@example.org');
    assertFits(f);
    assert.doesNotMatch(f, /u00@example\.org/);
    const window = f.match(/u\d\d@example\.org/g)!.join(' ');
    await press(r, KEY.up);
    await wait(50);
    f = r.lastFrame() ?? '';
    assert.equal(f.match(/u\d\d@example\.org/g)!.join(' '), window, 'one step up moves the cursor, not the window');
    await press(r, ...Array<string>(30).fill(KEY.up));
    f = await shows(r, 'u00@example.org');
    assertFits(f);
  });
});

describe('6.3: m maps an unknown identifier to an astakos user by hand', () => {
  const unknown = [
    { id: 'Gone@Example.org', kind: 'email', vms_live: 1, vms_deleted: 0, networks: 2, keys: 0, suggested: 'delete', reason: 'astakos has no account gone@example.org' },
    { id: '12', kind: 'numeric', vms_live: 0, vms_deleted: 0, networks: 0, keys: 1, suggested: 'keep', reason: 'an old numeric user id' },
  ];
  const kpap = { id: 31, email: 'kpap@grnet.gr', uuid: '0a1b2c3d-0000-4000-8000-00000000a031', active: true, verified: true };
  const plans = { '6.3': { findings: { summary: ['40 identifiers map'], data: { mapped: { identifiers: 40, rows: {} }, alreadyUuid: 0, unknown } }, plan: { summary: [], changes: [], open: 2 } } };

  test('type an email or a uuid; the wizard says who it is; enter again stores the uuid as the answer', async () => {
    const b = fakeBackend({ records: doneBefore('6.3'), plans, users: [kpap] });
    const r = render(<App backend={b} size={SIZE} onExit={() => undefined} />);
    await shows(r, 'enter continue');
    await press(r, KEY.enter);
    await shows(r, 'without an answer');
    await press(r, KEY.enter);
    let f = await shows(r, 'open 2');
    assert.match(f, /m map to user/);
    await press(r, 'm');
    f = await shows(r, 'uuid or email: ▏');
    assertFits(f);
    assert.match(f, /identifier +Gone@Example\.org/);
    assert.match(f, /owns +email · 1 VM, 2 networks/);
    // Not a uuid or an email: said at once, nothing stored.
    await press(r, 'n', 'o', 'b', 'o', 'd', 'y', KEY.enter);
    f = await shows(r, '"nobody" is neither a uuid nor an email');
    for (let i = 0; i < 6; i++) await press(r, '\u007F');
    // An email astakos does not know.
    await press(r, ...'who@x.org', KEY.enter);
    f = await shows(r, '✗ astakos has no user with the email who@x.org');
    assert.equal(b.decisionsByStep.get('6.3')?.size ?? 0, 0, 'nothing stored');
    for (let i = 0; i < 9; i++) await press(r, '\u007F');
    // Any case: astakos matches emails case-insensitively.
    await press(r, ...'KPap@grnet.gr', KEY.enter);
    f = await shows(r, '→ #31 kpap@grnet.gr');
    assertFits(f);
    assert.match(f, /uuid 0a1b2c3d-0000-4000-8000-00000000a031/);
    assert.match(f, /✓ active · ✓ email verified/);
    assert.match(f.replace(/\s+/g, ' '), /enter maps Gone@Example\.org to this user: its VMs, networks and keys become theirs when 6\.3 runs\./);
    assert.match(f, /enter map to #31/);
    assert.equal(b.decisionsByStep.get('6.3')?.size ?? 0, 0, 'not before the second enter');
    await press(r, KEY.enter);
    f = await shows(r, 'open 1');
    assert.match(f, /✓ Gone@Example\.org .*→ kpap@grnet\.gr$/m);
    const d = b.decisionsByStep.get('6.3')!.get('unknown:Gone@Example.org')!;
    assert.deepEqual([d.value, d.source], [kpap.uuid, 'operator'], 'the same answer as {"6.3": {"unknown": {"Gone@Example.org": "<uuid>"}}}');
    // esc leaves the m screen with nothing stored; a uuid works too.
    await press(r, 'm', 'x', KEY.esc);
    f = await shows(r, 'open 1');
    await press(r, 'm', ...kpap.uuid, KEY.enter);
    await shows(r, '→ #31 kpap@grnet.gr');
    await press(r, KEY.enter);
    f = await shows(r, 'open 0');
    assert.equal(b.decisionsByStep.get('6.3')!.get('unknown:12')!.value, kpap.uuid);
    await press(r, KEY.up);
    f = await shows(r, /mapped by hand to kpap@grnet\.gr \(uuid 0a1b2c3d/);
    await press(r, KEY.esc);
    f = await shows(r, 'every one answered');
  });

  test('the lookup against a real astakos: uuid or email (any case), users without a uuid never match', async () => {
    const urls = await emptyDatabases('wizfind');
    const db = await openDb('astakos', urls.astakos);
    try {
      await db.pool.query(`CREATE TABLE auth_user (id integer PRIMARY KEY, username varchar(75) NOT NULL, email varchar(75) NOT NULL, is_active boolean NOT NULL)`);
      await db.pool.query(`CREATE TABLE im_astakosuser (user_ptr_id integer PRIMARY KEY REFERENCES auth_user (id), uuid varchar(255), email_verified boolean NOT NULL)`);
      await db.pool.query(`INSERT INTO auth_user VALUES (31, 'kpap@grnet.gr', 'KPap@grnet.gr', true), (40, 'nouuid@x.org', 'nouuid@x.org', true)`);
      await db.pool.query(`INSERT INTO im_astakosuser VALUES (31, '0a1b2c3d-0000-4000-8000-00000000a031', false), (40, NULL, true)`);
      const want = { id: 31, email: 'KPap@grnet.gr', uuid: '0a1b2c3d-0000-4000-8000-00000000a031', active: true, verified: false };
      assert.deepEqual(await findAstakosUser(db.pool, ' kPAP@grnet.gr '), want);
      assert.deepEqual(await findAstakosUser(db.pool, '0A1B2C3D-0000-4000-8000-00000000A031'), want);
      assert.equal(await findAstakosUser(db.pool, 'nouuid@x.org'), undefined);
      assert.equal(await findAstakosUser(db.pool, '0a1b2c3d-0000-4000-8000-00000000ffff'), undefined);
      await assert.rejects(findAstakosUser(db.pool, '12'), (e: unknown) => e instanceof UserError && /"12" is neither a uuid nor an email/.test(e.message));
    } finally {
      await db.close();
      await cleanupAll();
    }
  });
});

describe('A: accept every suggestion of a step without a table', () => {
  test('6.4 with open decisions: A shows what accepting does, y runs the step accepting suggestions', async () => {
    const b = fakeBackend({
      records: doneBefore('6.4'),
      plans: { '6.4': { findings: { summary: ['statistics differ'] }, plan: { summary: ['statistics: recompute or keep? undecided'], changes: [], open: 2 } } },
      acceptedPlans: { '6.4': { findings: { summary: ['statistics differ'] }, plan: { summary: ['statistics are recomputed from versions [suggested]', '1 account kept'], changes: [], open: 0 } } },
    });
    const asker = new UiAsker();
    const r = render(<App backend={b} asker={asker} size={SIZE} onExit={() => undefined} />);
    await shows(r, 'enter continue');
    await press(r, KEY.enter);
    let f = await shows(r, 'A accepts every suggestion');
    assertFits(f);
    assert.match(f, /A accept all/);
    await press(r, 'A');
    f = await shows(r, 'Accept every suggestion of step 6.4');
    assertFits(f);
    assert.match(f, /statistics are recomputed from versions \[suggested\]/);
    await press(r, 'n');
    await shows(r, 'nothing accepted');
    assert.ok(!b.calls.some((c) => c.startsWith('run')));
    await press(r, 'A');
    await shows(r, 'Accept every suggestion of step 6.4');
    await press(r, 'y');
    await shows(r, '✓ done');
    assert.deepEqual(b.calls.filter((c) => c.startsWith('run') || c.includes('accept')), ['plan 6.4 accept', 'plan 6.4 accept', 'run 6.4 accept']);
  });

  test('UiAsker accepts suggestions only for the step it is told, and only while told', () => {
    const a = new UiAsker();
    assert.equal(a.acceptSuggestions, false);
    a.acceptingFor('6.4');
    assert.equal(a.acceptSuggestions, true);
    assert.equal(a.acceptingStep(), '6.4');
    a.acceptingFor(undefined);
    assert.equal(a.acceptSuggestions, false);
  });
});

void (0 as unknown as FakeBackendOptions);
