// The pure plans of the core modules: given findings and decisions (no database, no state
// file), each plan says what it changes, how many decisions are open and what to confirm.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DedupFindings, DedupPlanData, DuplicateUser, RemoveFindings } from '../../src/core/dedup/index.js';
import type { DuplicatesFindings, DuplicatesPlanData, MigrateInspection, MigratePlanData, SetMember } from '../../src/core/remap/cyclades/index.js';
import type {
  AccountHoldings, PithosDuplicatesFindings, PithosDuplicatesPlanData, PithosMigrateInspection, PithosMigratePlan,
} from '../../src/core/remap/pithos/index.js';
import type { DefinitionsFindings, InitialFindings, SyncFindings, UsageFindings } from '../../src/core/quota/index.js';
import type { Answers, DecisionSource, Findings, Plan, StepDecisions, StepModule } from '../../src/core/step.js';
import { CheckFailed, UserError } from '../../src/errors.js';
import { answerParser } from '../../src/runbook/answers.js';
import { findStep } from '../../src/runbook/steps.js';

/** Runbook step ID's plan, as the engine calls it: with the step's own id beside the decisions. */
function stepPlan<F, P>(id: string): { plan: (f: Findings<F>, d: Omit<StepDecisions, 'step'>) => Plan<P> } {
  const module = findStep(id)!.module as StepModule<F, P>;
  return { plan: (f, d) => module.plan!(f, { ...d, step: id }) };
}
const findDuplicates = stepPlan<DedupFindings, undefined>('2.1');
const removeDuplicates = stepPlan<RemoveFindings, DedupPlanData>('2.2');
const loadServiceResources = stepPlan<DefinitionsFindings, DefinitionsFindings>('5');
const cycladesDuplicates = stepPlan<DuplicatesFindings, DuplicatesPlanData>('6.1');
const pithosDuplicates = stepPlan<PithosDuplicatesFindings, PithosDuplicatesPlanData>('6.2');
const cycladesMigrate = stepPlan<MigrateInspection, MigratePlanData>('6.3');
const pithosMigrate = stepPlan<PithosMigrateInspection, PithosMigratePlan>('6.4');
const importPithosQuota = stepPlan<InitialFindings, InitialFindings>('7.1');
const syncQuota = stepPlan<SyncFindings, SyncFindings>('8');
const pithosUsageStep = stepPlan<UsageFindings, UsageFindings>('9.1');

/** An answers file as the headless asker gives it: each value parsed by its step's parser. */
const answers = (given: Record<string, Record<string, unknown>> = {}, acceptSuggestions = false): Answers => ({
  answer: (step, key) => {
    const value = given[step]?.[key];
    return value === undefined ? undefined : answerParser(step, key)!(value, { step, key });
  },
  acceptSuggestions,
});

const decisions = (stored: Record<string, unknown> = {}, a: Answers = answers(), source: DecisionSource = 'operator'): Omit<StepDecisions, 'step'> => ({
  stored: new Map(Object.entries(stored).map(([k, value]) => [k, { value, source }])),
  answers: a,
});

const findings = <D>(data: D): Findings<D> => ({ summary: [], data });

// ------------------------------------------------------------------ 2.1 / 2.2

function user(id: number, email: string): DuplicateUser {
  return {
    id, email, username: email.toLowerCase(), is_active: true, email_verified: true, date_joined: '2012-01-01T00:00:00Z',
    last_login: null, providers: ['local'], invitations: 0, additional_mails: 0,
    cyclades: { vms_live: 0, vms_deleted: 0, networks: 0, keys: 0 },
    pithos: { containers: 0, objects: 0, bytes: '0', groups: 0, permissions: 0 },
  };
}

function dedupFindings(): RemoveFindings {
  return {
    groups: [
      { key: 'foo@x.gr', users: [user(1, 'foo@x.gr'), user(2, 'Foo@x.gr')], suggested: 1, reasons: [] },
      { key: 'bar@x.gr', users: [user(3, 'bar@x.gr'), user(4, 'BAR@x.gr'), user(5, 'Bar@x.gr')], suggested: 4, reasons: [] },
    ],
    serviceOnly: { cyclades: [], pithos: [] },
    reach: [
      { table: 'auth_user', reach: [1, 2, 3, 4, 5].map((id) => ({ keys: [id], rows: 1 })) },
      { table: 'auth_message', reach: [{ keys: [2], rows: 7 }, { keys: [3], rows: 2 }] },
      // a row that both #3 and #5 reach (a local table with two user columns)
      { table: 'local_pair', reach: [{ keys: [3, 5], rows: 1 }, { keys: [5], rows: 4 }] },
    ],
  };
}

describe('plan of 2.1 and 2.2 (astakos duplicates)', () => {
  it('2.1 only lists the groups and changes nothing', () => {
    const none: DedupFindings = { groups: [], serviceOnly: { cyclades: [], pithos: [] } };
    assert.deepEqual(findDuplicates.plan!(findings(none), decisions()).summary, ['nothing to decide']);
    const plan = findDuplicates.plan!(findings(dedupFindings()), decisions());
    assert.deepEqual(plan.changes, []);
    assert.match(plan.summary[0]!, /^foo@x\.gr: #1 foo@x\.gr, #2 Foo@x\.gr — suggested #1$/);
  });

  it('2.2 with nothing decided has every group open and deletes nothing', () => {
    const plan = removeDuplicates.plan!(findings(dedupFindings()), decisions());
    assert.equal(plan.open, 2);
    assert.deepEqual(plan.changes, []);
    assert.equal(plan.destructive, undefined);
    assert.deepEqual(plan.data!.deleteIds, []);
  });

  it('2.2 deletes the non-survivors with their cascade, counted from the findings, and asks to type the count', () => {
    const plan = removeDuplicates.plan!(findings(dedupFindings()), decisions({ 'foo@x.gr': 1, 'bar@x.gr': 4 }));
    assert.equal(plan.open, undefined);
    assert.deepEqual(plan.data!.deleteIds, [2, 3, 5]);
    assert.deepEqual(plan.changes, [
      { service: 'astakos', table: 'auth_user', action: 'delete', rows: 3 },
      { service: 'astakos', table: 'auth_message', action: 'delete', rows: 9 },
      // the row both #3 and #5 reach is deleted once
      { service: 'astakos', table: 'local_pair', action: 'delete', rows: 5 },
    ]);
    assert.deepEqual(plan.destructive, { what: 'Delete 3 astakos users and every row that depends on them?', confirmWord: '3' });
    assert.deepEqual(plan.data!.decisions.map((d) => [d.key, d.survivor, d.source]), [['foo@x.gr', 1, 'operator'], ['bar@x.gr', 4, 'operator']]);
  });

  it('2.2 takes the answers file, then the suggestion when suggestions are accepted', () => {
    const plan = removeDuplicates.plan!(findings(dedupFindings()), decisions({}, answers({ '2.2': { survivors: { 'FOO@x.gr': 2 } } }, true)));
    assert.deepEqual(plan.data!.decisions.map((d) => [d.key, d.survivor, d.source]), [['foo@x.gr', 2, 'answers'], ['bar@x.gr', 4, 'suggested']]);
    assert.deepEqual(plan.data!.deleteIds, [1, 3, 5]);
    assert.equal(plan.destructive!.confirmWord, '3');
  });

  it('2.2 refuses an answered survivor that is not in its group', () => {
    assert.throws(() => removeDuplicates.plan!(findings(dedupFindings()), decisions({}, answers({ '2.2': { survivors: { 'foo@x.gr': 9 } } }))),
      (err: unknown) => err instanceof UserError && /survivor 9 for foo@x\.gr is not one of its users/.test(err.message));
  });

  it('2.2 says a stored decision that names no user of the group any more, and leaves the group open', () => {
    const plan = removeDuplicates.plan!(findings(dedupFindings()), decisions({ 'foo@x.gr': 77, 'bar@x.gr': 3 }));
    assert.equal(plan.open, 1);
    assert.ok(plan.summary.some((l) => l.includes('the stored decision (keep #77) names no user of this group any more')));
  });

  it('2.2 stops with the cascade refusal only once there are groups', () => {
    const refused = { ...dedupFindings(), reach: { refused: 'the tables referencing astakos users form a cycle (a, b)', next: 'by hand' } };
    assert.throws(() => removeDuplicates.plan!(findings(refused), decisions()), /form a cycle/);
    const none = removeDuplicates.plan!(findings({ ...refused, groups: [] }), decisions());
    assert.deepEqual(none.summary, ['no duplicate users: nothing to delete']);
  });
});

// ------------------------------------------------------------------ 6.1 / 6.3

const member = (id: string, vms: number, nets: number, keys: number): SetMember =>
  ({ id, vms_live: vms, vms_deleted: 0, networks: nets, keys, astakos: 'known' });

function cycladesSets(): DuplicatesFindings {
  return {
    sets: [{ key: 'foo@x.gr', identifiers: [member('Foo@x.gr', 2, 1, 1), member('foo@x.gr', 1, 0, 3)], suggested: { action: 'merge', into: 'foo@x.gr' }, reasons: [] }],
    notEmail: [], unknown: [],
    reach: [
      { table: 'db_network', reach: [{ keys: ['Foo@x.gr'], rows: 1 }] },
      { table: 'db_virtualmachine', reach: [{ keys: ['Foo@x.gr'], rows: 2 }, { keys: ['foo@x.gr'], rows: 1 }] },
      { table: 'db_networkinterface', reach: [{ keys: ['Foo@x.gr'], rows: 3 }] },
    ],
  };
}

describe('plan of 6.1 and 6.3 (cyclades owners)', () => {
  it('6.1 merging rewrites the owners of the members that move, with nothing to confirm', () => {
    const plan = cycladesDuplicates.plan!(findings(cycladesSets()), decisions({ 'foo@x.gr': { action: 'merge', into: 'foo@x.gr' } }));
    assert.equal(plan.open, 0);
    assert.equal(plan.destructive, undefined);
    assert.deepEqual(plan.changes, [
      { service: 'cyclades', table: 'db_virtualmachine', action: 'update', rows: 2 },
      { service: 'cyclades', table: 'db_network', action: 'update', rows: 1 },
      { service: 'cyclades', table: 'userdata_publickeypair', action: 'update', rows: 1 },
    ]);
    assert.deepEqual(plan.data!.sets, [{ key: 'foo@x.gr', action: 'merge', into: 'foo@x.gr', source: 'operator' }]);
  });

  it('6.1 deleting a member counts its cascade and asks to type "delete"', () => {
    const plan = cycladesDuplicates.plan!(findings(cycladesSets()), decisions({}, answers({ '6.1': { sets: { 'FOO@X.GR': { delete: ['Foo@x.gr'] } } } })));
    assert.deepEqual(plan.changes, [
      { service: 'cyclades', table: 'db_network', action: 'delete', rows: 1 },
      { service: 'cyclades', table: 'db_virtualmachine', action: 'delete', rows: 2 },
      { service: 'cyclades', table: 'db_networkinterface', action: 'delete', rows: 3 },
    ]);
    assert.equal(plan.destructive!.confirmWord, 'delete');
    assert.match(plan.destructive!.what, /^Step 6\.1 deletes the cyclades rows of 1 identifier\(s\) \(6 rows in all/);
    assert.equal(plan.data!.sets[0]!.source, 'answers');
  });

  it('6.1 leaves an undecided set open', () => {
    const plan = cycladesDuplicates.plan!(findings(cycladesSets()), decisions());
    assert.equal(plan.open, 1);
    assert.deepEqual(plan.data!.open, ['foo@x.gr']);
  });

  const uuid = '0b5e6c4e-51b5-4c1c-9b2a-6f3d8a1c2e4f';
  function unknownIds(): MigrateInspection {
    return {
      mapped: { identifiers: 3, rows: { db_virtualmachine: 4, db_network: 1, userdata_publickeypair: 2 } },
      alreadyUuid: 0,
      unknown: [
        { id: 'gone@x.gr', kind: 'email', vms_live: 1, vms_deleted: 1, networks: 1, keys: 0, suggested: 'delete', reason: '' },
        { id: 'lost@x.gr', kind: 'email', vms_live: 0, vms_deleted: 0, networks: 0, keys: 2, suggested: 'delete', reason: '' },
      ],
      reach: [
        { table: 'db_network', reach: [{ keys: ['gone@x.gr'], rows: 1 }] },
        { table: 'db_virtualmachine', reach: [{ keys: ['gone@x.gr'], rows: 2 }] },
        { table: 'userdata_publickeypair', reach: [{ keys: ['lost@x.gr'], rows: 2 }] },
      ],
      handUuids: [uuid],
    };
  }

  it('6.3 maps by hand to a known uuid and deletes what an unknown identifier owns', () => {
    const plan = cycladesMigrate.plan!(findings(unknownIds()), decisions({ 'unknown:gone@x.gr': 'delete', 'unknown:lost@x.gr': uuid }));
    assert.equal(plan.open, 0);
    assert.deepEqual(plan.changes, [
      { service: 'cyclades', table: 'db_network', action: 'delete', rows: 1 },
      { service: 'cyclades', table: 'db_virtualmachine', action: 'delete', rows: 2 },
      { service: 'cyclades', table: 'db_virtualmachine', action: 'update', rows: 4 },
      { service: 'cyclades', table: 'db_network', action: 'update', rows: 1 },
      { service: 'cyclades', table: 'userdata_publickeypair', action: 'update', rows: 4 },
    ]);
    assert.equal(plan.destructive!.confirmWord, 'delete');
    assert.deepEqual(plan.data!.decisions, [{ id: 'gone@x.gr', action: 'delete', source: 'operator' }, { id: 'lost@x.gr', action: uuid, source: 'operator' }]);
  });

  it('6.3 refuses an answered uuid astakos does not have, and keeps the undecided open', () => {
    const other = '11111111-2222-3333-4444-555555555555';
    assert.throws(() => cycladesMigrate.plan!(findings(unknownIds()), decisions({}, answers({ '6.3': { unknown: { 'lost@x.gr': other } } }))),
      (err: unknown) => err instanceof UserError && err.message.includes('is not the uuid of any astakos user'));
    const plan = cycladesMigrate.plan!(findings(unknownIds()), decisions({ 'unknown:gone@x.gr': 'keep' }));
    assert.equal(plan.open, 1);
    assert.equal(plan.destructive, undefined);
  });
});

// ------------------------------------------------------------------ 6.2 / 6.4

const account = (name: string, nodes: number, versions: number): AccountHoldings =>
  ({ name, containers: 1, objects: versions, bytes: '100', groups: 0, permissions: 0, astakos: 'known', nodes, versions });

function pithosSets(): PithosDuplicatesFindings {
  return {
    sets: [{ key: 'foo@x.gr', accounts: [account('Foo@x.gr', 5, 6), account('foo@x.gr', 3, 2)], suggested: { action: 'merge', into: 'foo@x.gr' }, reasons: [] }],
    unknown: ['ghost@x.gr'],
    memberCase: { groups: { rows: 0, examples: [] }, permissions: { rows: 0, examples: [] }, paths: { rows: 0, examples: [] } },
    unknownSizes: { 'ghost@x.gr': { nodes: 4, versions: 9 } },
    latestRepair: false,
  };
}

describe('plan of 6.2 and 6.4 (pithos accounts)', () => {
  it('6.2 merges a set and deletes an unknown account with its subtree, counted from the findings', () => {
    const plan = pithosDuplicates.plan!(findings(pithosSets()),
      decisions({ 'foo@x.gr': { action: 'merge', into: 'foo@x.gr' }, 'unknown:ghost@x.gr': 'delete' }));
    assert.equal(plan.open, 0);
    assert.deepEqual(plan.changes, [
      { service: 'pithos', table: 'nodes', action: 'update', rows: 4 },
      { service: 'pithos', table: 'nodes', action: 'delete', rows: 5 },
      { service: 'pithos', table: 'versions', action: 'delete', rows: 9 },
    ]);
    assert.equal(plan.destructive!.confirmWord, 'delete');
    assert.deepEqual(plan.data!.deleteUnknown, ['ghost@x.gr']);
  });

  it('6.2 with the unknown account kept only merges (confirm word "merge")', () => {
    const plan = pithosDuplicates.plan!(findings(pithosSets()), decisions({ 'foo@x.gr': { action: 'merge', into: 'foo@x.gr' } }, answers({ '6.2': { unknown: 'keep' } })));
    assert.equal(plan.destructive!.confirmWord, 'merge');
    assert.deepEqual(plan.data!.keepUnknown, ['ghost@x.gr']);
  });

  function migrateFindings(over: Partial<PithosMigrateInspection> = {}): PithosMigrateInspection {
    return {
      revision: { table: true, rows: ['3dd56e750a3'], urlColumn: false, urlUnique: false, latestRepair: false },
      names: { distinct: 3, resolved: 2, unknownAccounts: ['ghost@x.gr'], unknownOther: 0, unknownOtherSample: [] },
      rows: { nodes: 10, versions: 20, public: 1, xfeatures: 0, xfeaturevals: 0, groups: 0 },
      collisions: [], negativePopulation: 0, latestVersionBroken: 0, publicWithoutUrl: 1, publicInactive: 0,
      statisticsDrift: { size: 0, population: 0 }, maxNode: 10, maxSerial: 20, maxPublicId: 1, maxFeatureId: 0,
      map: { persistent: false, newPairs: 2 }, decidedInDuplicates: {}, running: false,
      ...over,
    };
  }

  it('6.4 keeps an account 6.2 decided to keep, and asks about statistics that drifted', () => {
    const keptInDuplicates = { 'unknown:ghost@x.gr': { value: 'keep', source: 'operator' as const } };
    const plan = pithosMigrate.plan!(findings(migrateFindings({ decidedInDuplicates: keptInDuplicates, statisticsDrift: { size: 2, population: 0 } })), decisions());
    assert.equal(plan.open, 1);
    assert.deepEqual(plan.data!.keepUnknown, ['ghost@x.gr']);
    assert.ok(plan.changes.some((c) => c.table === 'alembic_version' && c.rows === 1));
    const decided = pithosMigrate.plan!(findings(migrateFindings({ decidedInDuplicates: keptInDuplicates, statisticsDrift: { size: 2, population: 0 } })), decisions({ statistics: 'recompute' }));
    assert.equal(decided.open, 0);
    assert.equal(decided.data!.recomputeStatistics, true);
  });

  it('6.4 with collisions is blocked, and a run of it stops', () => {
    const collisions = [{ table: 'nodes', groups: 1, examples: [['a@x.gr/c', 'A@x.gr/c']] }];
    const plan = pithosMigrate.plan!(findings(migrateFindings({ collisions })), decisions({}, answers({}, true)));
    assert.equal(plan.open, 1);
    assert.match(plan.summary[0]!, /^blocked — nothing will be written/);
    assert.throws(() => pithosMigrate.plan!(findings(migrateFindings({ collisions, running: true })), decisions({}, answers({}, true))),
      (err: unknown) => err instanceof CheckFailed && err.message.startsWith('step 6.4 would make rows collide'));
  });
});

// ------------------------------------------------------------------ 5, 7, 8, 9

describe('plan of the quota steps', () => {
  it('5 renames and loads what inspect found to write', () => {
    const d: DefinitionsFindings = {
      source: 'the settings', problems: [], rename: true, plan: { blocking: [], warnings: [], skipped: [] }, defaults: {},
      headroom: { verified: 0, rows: [], warnings: [], notes: [] },
      load: { renameId: 7, lines: ['new resource cyclades.vm: default limit 2'], changes: [{ service: 'astakos', table: 'im_resource', action: 'insert', rows: 1 }] },
    };
    const plan = loadServiceResources.plan!(findings(d), decisions());
    assert.deepEqual(plan.summary, ['rename service "pithos" (id 7) to "pithos+" (keeps its id, url and token)', 'new resource cyclades.vm: default limit 2']);
    assert.deepEqual(plan.changes, d.load.changes);
    const loaded = loadServiceResources.plan!(findings({ ...d, rename: false, load: { lines: [], changes: [] } }), decisions());
    assert.deepEqual(loaded.summary, ['the definitions are loaded already; nothing to write']);
  });

  it('7.1 imports the inserts and updates it found', () => {
    const d: InitialFindings = {
      source: 'pithos', exportFile: '/b/quota/pithos.txt', extraFiles: [], exported: 3, rejected: [], notes: [], overridden: [],
      blocking: [], accepted: 3, inserts: 2, updates: 1, unchanged: 0,
    };
    const plan = importPithosQuota.plan!(findings(d), decisions());
    assert.deepEqual(plan.changes, [
      { service: 'astakos', table: 'im_astakosuserquota', action: 'insert', rows: 2 },
      { service: 'astakos', table: 'im_astakosuserquota', action: 'update', rows: 1 },
    ]);
    assert.equal(plan.summary[1], 'import it: 2 initial quota(s) added, 1 changed');
    assert.equal(plan.open, undefined);
  });

  it('8 syncs the differing users: entities, policies and holdings', () => {
    const f: SyncFindings = {
      verified: 10, resources: ['cyclades.vm'], notRegistered: 2, differing: 3, newHoldings: 2, replacedHoldings: 1, problems: [],
      samples: { notRegistered: [], differing: [] },
    };
    const plan = syncQuota.plan!(findings(f), decisions());
    assert.deepEqual(plan.changes.map((c) => `${c.table} ${c.action} ${c.rows}`), [
      'quotaholder_app_entity insert 2', 'quotaholder_app_policy insert 3', 'quotaholder_app_holding insert 2',
      'quotaholder_app_holding update 1', 'quotaholder_app_policy delete 1',
    ]);
    assert.equal(plan.destructive, undefined);
    assert.deepEqual(syncQuota.plan!(findings({ ...f, differing: 0, notRegistered: 0, newHoldings: 0, replacedHoldings: 0 }), decisions()).summary,
      ['every verified user is in sync; nothing to write']);
  });

  it('9.1 resets the holdings that differ', () => {
    const u: UsageFindings = { owners: 4, matched: 3, holdings: 2, zeroed: 1, unset: [], idle: 0, unregistered: [] };
    const plan = pithosUsageStep.plan!(findings(u), decisions());
    assert.deepEqual(plan.changes, [{ service: 'astakos', table: 'quotaholder_app_holding', action: 'update', rows: 3 }]);
    assert.deepEqual(pithosUsageStep.plan!(findings({ ...u, holdings: 0, zeroed: 0 }), decisions()).changes, []);
  });
});
