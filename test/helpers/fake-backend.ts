// Plain-data stand-ins for the wizard's tests and screen previews: an in-memory Backend
// over the real runbook, and generated conflict groups of any size.
import type { Check, Decision, DuplicateGroup, DuplicateUser, Question } from '../../src/core/step.js';
import type { DeploymentInfo, EngineEvent, PlanView, RunOutcome, StepView } from '../../src/engine/index.js';
import { isImplemented } from '../../src/engine/index.js';
import { STEPS } from '../../src/runbook/steps.js';
import type { StepRecord } from '../../src/state/index.js';
import { isSettingsStep, settingsSnippets } from '../../src/runbook/settings.js';
import { CheckFailed, UserError } from '../../src/errors.js';
import type { AstakosUser, Backend, DecisionInput } from '../../src/engine/session.js';

/** A deterministic pseudo-random generator (tests want the same data every time). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const NAMES = ['kpap', 'spapagian', 'vkoukis', 'iliastsi', 'chazapis', 'gtsouk', 'mpastyl', 'okonst', 'skalkoto', 'apollon'];
const DOMAINS = ['grnet.gr', 'noc.grnet.gr', 'example.org', 'uni.example.edu'];

/** N groups of 2–4 users whose emails differ only in case, with everything they own (as 2.1 finds them). */
export function syntheticGroups(n: number, seed = 1): DuplicateGroup[] {
  const r = rng(seed);
  const groups: DuplicateGroup[] = [];
  let id = 1;
  for (let g = 0; g < n; g++) {
    const base = `${NAMES[g % NAMES.length]}${g >= NAMES.length ? g : ''}@${DOMAINS[Math.floor(g / NAMES.length) % DOMAINS.length]}`;
    const count = 2 + Math.floor(r() * 3);
    const users: DuplicateUser[] = [];
    for (let k = 0; k < count; k++) {
      const email = k === 0 ? base : base.replace(/[a-z]/g, (ch) => (r() < 0.4 ? ch.toUpperCase() : ch));
      const active = r() < 0.7;
      const login = r() < 0.8 ? new Date(Date.UTC(2012, Math.floor(r() * 12), 1 + Math.floor(r() * 27))).toISOString() : null;
      users.push({
        id: id++, email, username: k === 0 ? base : `${email}${k}`, is_active: active, email_verified: active && r() < 0.8,
        date_joined: new Date(Date.UTC(2011, Math.floor(r() * 12), 1 + Math.floor(r() * 27))).toISOString(),
        last_login: login, providers: r() < 0.3 ? ['local', 'shibboleth'] : ['local'],
        invitations: Math.floor(r() * 3), additional_mails: Math.floor(r() * 2),
        cyclades: { vms_live: Math.floor(r() * 5), vms_deleted: Math.floor(r() * 3), networks: Math.floor(r() * 2), keys: Math.floor(r() * 3) },
        pithos: { containers: Math.floor(r() * 4), objects: Math.floor(r() * 2000), bytes: String(Math.floor(r() * 2 ** 40)), groups: 0, permissions: Math.floor(r() * 2) },
      });
    }
    const best = users.reduce((a, b) => (Number(b.is_active && b.email_verified) > Number(a.is_active && a.email_verified)
      || (b.last_login ?? '') > (a.last_login ?? '') && Number(b.is_active && b.email_verified) === Number(a.is_active && a.email_verified) ? b : a));
    const reasons = [best.is_active && best.email_verified ? 'active and verified' : 'no user is active and verified'];
    if (best.last_login) reasons.push('most recent login');
    groups.push({ key: base.toLowerCase(), users, suggested: best.id, reasons });
  }
  return groups;
}

export interface FakeBackendOptions {
  records?: Partial<Record<string, Partial<StepRecord>>>;
  plans?: Record<string, Partial<PlanView>>;
  /** What plan(id, {acceptSuggestions}) returns (default: plans[id]). */
  acceptedPlans?: Record<string, Partial<PlanView>>;
  checks?: Record<string, Check[]>;
  interrupted?: { step: string; text: string };
  sandbox?: boolean;
  /** Steps to present as not implemented (default: as the runbook says). */
  unimplemented?: string[];
  /** A runner lock held by another session at start (takeOver() clears it). */
  lockConflict?: import('../../src/engine/session.js').LockConflict;
  /** The astakos users findUser knows (by uuid or lower-case email). */
  users?: AstakosUser[];
  /** The token the settings snippets of 3.3 carry (default: a fixed one). */
  token?: string;
  /** What verify() finds (default: nothing, and nothing checked). */
  verdict?: import('../../src/engine/session.js').DeploymentVerdict;
  /** The backup labels restore offers (default: none). */
  backups?: import('../../src/engine/restore.js').RestoreChoice[];
  /** What run(id) does; default: marks the step done. */
  run?: (id: string, b: FakeBackend) => Promise<RunOutcome>;
}

export interface FakeBackend extends Backend {
  calls: string[];
  records: Map<string, StepRecord>;
  decisionsByStep: Map<string, Map<string, Decision>>;
  checksByStep: Record<string, Check[]>;
  emit(e: EngineEvent): void;
  /** Set by the wizard's Asker in tests that wire one. */
  ask?: (q: Question) => Promise<boolean>;
}

const blank = (id: string): StepRecord => ({
  id, status: 'pending', attempts: 0, startedAt: null, finishedAt: null, durationMs: null, lastError: null, summary: null, note: null, runId: null,
});

export function fakeBackend(opts: FakeBackendOptions = {}): FakeBackend {
  const records = new Map<string, StepRecord>();
  for (const def of STEPS) records.set(def.id, { ...blank(def.id), ...(opts.records?.[def.id] ?? {}) });
  const listeners = new Set<(e: EngineEvent) => void>();
  const decisionsByStep = new Map<string, Map<string, Decision>>();
  const checksByStep: Record<string, Check[]> = { ...(opts.checks ?? {}) };
  const implemented = (id: string) => !opts.unimplemented?.includes(id) && isImplemented(STEPS.find((s) => s.id === id)!);
  const views = (): StepView[] => STEPS.map((def) => ({ def, record: records.get(def.id)!, implemented: implemented(def.id) }));
  const done = (id: string, summary: string[]) => {
    records.set(id, { ...records.get(id)!, status: 'done', finishedAt: new Date().toISOString(), summary });
    b.emit({ type: 'step-done', step: id, summary });
    const i = STEPS.findIndex((s) => s.id === id);
    const next = STEPS[i + 1];
    if (!next || next.phase !== STEPS[i]!.phase) b.emit({ type: 'phase-done', phase: STEPS[i]!.phase });
  };
  let conflict = opts.lockConflict;
  let finishedAt: string | undefined;
  const b: FakeBackend = {
    calls: [], records, decisionsByStep, checksByStep,
    statePath: '/var/lib/snf-upgrade/state/upgrade.db',
    sandbox: opts.sandbox ?? false,
    steps: views,
    current: () => views().find((s) => s.record.status !== 'done' && s.record.status !== 'skipped'),
    async deployment(): Promise<DeploymentInfo[]> {
      // A schema is at 0.13 once the step that migrates it is done, as the databases would say.
      const version = (service: 'astakos' | 'cyclades' | 'pithos') => (records.get(STEPS.find((s) => s.migrates?.includes(service))!.id)!.status === 'done' ? '0.13' : '0.12.5');
      return [
        { service: 'astakos', label: 'db1:5432/snf_apps', version: version('astakos') },
        { service: 'cyclades', label: 'db1:5432/snf_apps', version: version('cyclades') },
        { service: 'pithos', label: 'db2:5432/snf_pithos', version: version('pithos') },
      ];
    },
    interrupted: async () => opts.interrupted,
    finishedAt: () => finishedAt,
    disagreements: async () => [],
    requireAgreement: async () => undefined,
    recoveryPlan: async () => ({ steps: [], batches: [], decisions: new Map(), lost: [] }),
    async restorePlan(_services, label) {
      const c = opts.backups?.find((x) => x.label === label);
      if (!c) throw new CheckFailed(`no backup "${label}" is recorded`, 'choose another');
      return { label, targets: [{ service: 'astakos', services: ['astakos', 'cyclades'], url: 'postgres://db1/snf_apps', where: 'db1:5432/snf_apps',
        path: `/var/backups/snf-upgrade/step${label}-astakos+cyclades.dump`, sha256: null, kind: 'pg_dump', createdAt: c.createdAt }] };
    },
    restoreChoices: () => opts.backups ?? [],
    async finishPlan() {
      const last = views().at(-1)!;
      return { refusal: last.record.status === 'done' ? undefined : `step ${last.def.id} is not done yet`, reportFile: '/var/lib/snf-upgrade/state/snf-upgrade-report.md',
        databases: [{ services: ['astakos', 'cyclades'], tables: ['snf_upgrade_journal', 'snf_upgrade_lock'] }, { services: ['pithos'], tables: ['snf_upgrade_journal'] }] };
    },
    async finish() {
      b.calls.push('finish');
      finishedAt = new Date().toISOString();
      return ['report written to /var/lib/snf-upgrade/state/snf-upgrade-report.md', 'astakos and cyclades: dropped snf_upgrade_journal, snf_upgrade_lock'];
    },
    lockLine: async () => (conflict ? `lock: ${conflict.problem}` : 'lock: held by this session'),
    lockConflict: async () => conflict,
    async takeOver() { b.calls.push('take over'); conflict = undefined; },
    async plan(id, o) {
      b.calls.push(`plan ${id}${o?.acceptSuggestions ? ' accept' : ''}`);
      const def = STEPS.find((s) => s.id === id)!;
      const p = (o?.acceptSuggestions ? opts.acceptedPlans?.[id] : undefined) ?? opts.plans?.[id] ?? {};
      return {
        step: id, title: def.title, kind: def.kind,
        findings: p.findings ?? { summary: implemented(id) ? [] : ['not implemented yet'] },
        plan: p.plan ?? { summary: [], changes: [] },
        checks: p.checks,
      };
    },
    async run(id, o) {
      b.calls.push(`run ${id}${o?.acceptSuggestions ? ' accept' : ''}`);
      if (opts.run) return opts.run(id, b);
      done(id, [`${id} ran`]);
      return { step: id, status: 'done', summary: [`${id} ran`] };
    },
    async confirm(id) {
      b.calls.push(`confirm ${id}`);
      const checks = checksByStep[id] ?? [];
      if (checks.some((c) => !c.ok && !c.advisory)) throw new Error('confirm called with failing checks');
      done(id, checks.length ? checks.map((c) => `✓ ${c.label}`) : ['confirmed by the operator']);
      return checks;
    },
    async checks(id) {
      b.calls.push(`checks ${id}`);
      return checksByStep[id] ?? [];
    },
    async verify() {
      b.calls.push('verify');
      return opts.verdict ?? { checked: [], findings: [], notChecked: [] };
    },
    canUndo: (id) => id === '2.2',
    async undo(id) {
      b.calls.push(`undo ${id}`);
      records.set(id, blank(id));
      return { summary: ['restored 3 rows'], rows: 3 };
    },
    async backup(label) {
      b.calls.push(`backup ${label}`);
      return ['astakos: /backups/astakos.dump (1.2 MiB, sha256 9f2c…)'];
    },
    latestBackup: () => 'A backup from Tue 21:04 exists (3 of 3 databases, sha256 9f2c…).',
    requestStop() { b.calls.push('stop'); },
    on(l) { listeners.add(l); return () => listeners.delete(l); },
    emit(e) { for (const l of listeners) l(e); },
    decisions: (step) => new Map(decisionsByStep.get(step) ?? []),
    decide(step: string, items: DecisionInput[]) {
      const m = decisionsByStep.get(step) ?? new Map<string, Decision>();
      for (const d of items) m.set(d.key, { value: d.value, source: d.source, decidedAt: new Date().toISOString() });
      decisionsByStep.set(step, m);
      b.calls.push(`decide ${step} ${items.length}`);
    },
    report: async () => ['# snf-upgrade report: Synnefo 0.12.5 → 0.13', '', ...Array.from({ length: 60 }, (_, i) => `line ${i + 1}`)].join('\n'),
    async findUser(query) {
      b.calls.push(`find ${query}`);
      const q = query.trim().toLowerCase();
      if (!q.includes('@') && !/^[0-9a-f-]{36}$/.test(q)) throw new UserError(`"${query.trim()}" is neither a uuid nor an email`, 'type the uuid or the email of an astakos user');
      return opts.users?.find((u) => u.uuid === q || u.email.toLowerCase() === q);
    },
    async snippets(id) {
      if (!isSettingsStep(id)) return undefined;
      const token = id === '3.3' ? opts.token ?? 'fixtureQuotaholderToken0123456789' : '';
      return {
        snippets: settingsSnippets(id, token, { astakosUrl: 'https://accounts.grnet.example' }),
        secrets: token ? [{ value: token, what: 'quotaholder token, generated once, kept in astakos' }] : [],
        notes: id === '3.5' ? ['the cyclades service token is not in astakos\' im_service yet: fill in its auth_token from snf-manage service-list'] : [],
      };
    },
    async writeSnippets(id) {
      b.calls.push(`write ${id}`);
      return [{ path: `/var/lib/snf-upgrade/settings/step${id}/astakos-20-snf-astakos-app-settings.conf`, host: 'astakos', file: '/etc/synnefo/20-snf-astakos-app-settings.conf', placeholder: false }];
    },
    async simulate(id) { b.calls.push(`simulate ${id}`); checksByStep[id] = (checksByStep[id] ?? []).map((c) => ({ ...c, ok: true })); return [`${id} simulated`]; },
  };
  return b;
}
