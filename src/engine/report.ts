// The change record: everything found, decided and changed, as JSON or Markdown. It stands
// alone: who was kept, deleted or merged and who decided, every session and what it committed
// (a kill and its resume included), every file written and whether it is installed, every event.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Config } from '../config.js';
import type { DecisionSource } from '../core/step.js';
import { NEW_SETTINGS_SUFFIX } from '../core/guide/checks.js';
import { pyLower } from '../core/fold.js';
import { decidedBy } from '../format.js';
import { STEPS } from '../runbook/steps.js';
import type { StateFile } from '../state/index.js';
import type { BatchRecord, RunRecord } from '../state/types.js';
import { databaseLabel, type DeploymentInfo } from './types.js';

/** A file the upgrade wrote outside the databases, and whether it is installed where it goes. */
export interface WrittenFile { path: string; what: string; installed: string }

/** A group of case-duplicate users as 2.2 left it. */
export interface UserGroupRecord { group: string; kept: string; deleted: string[]; source: DecisionSource; decidedAt?: string }

/** A session (one run of the tool) and the batches it committed, by step. */
export interface SessionRecord extends RunRecord { committed: { step: string; batches: number; rows: number }[] }

export interface Report {
  generatedAt: string;
  stateFile: string;
  deployment: DeploymentInfo[];
  steps: {
    id: string; title: string; kind: string; status: string; attempts: number;
    startedAt: string | null; finishedAt: string | null; durationMs: number | null;
    lastError: string | null; summary: unknown; findings: unknown;
    /** Lists a step keeps beside its summary (e.g. step 8's users whose limits changed), by kind. */
    details: Record<string, unknown[]>;
    decisions: Record<string, { value: unknown; source: DecisionSource; decidedAt?: string }>;
    batches: number; rows: number; beforeImages: number;
  }[];
  backups: ReturnType<StateFile['listBackups']>;
  /** Each group of case-duplicate users (2.2): who was kept and who deleted, as the before-images record them. */
  userGroups: UserGroupRecord[];
  sessions: SessionRecord[];
  files: WrittenFile[];
  /** Every event, oldest first. */
  events: ReturnType<StateFile['recentEvents']>;
}

export function buildReport(state: StateFile, deployment: DeploymentInfo[], config?: Config): Report {
  const batches = state.allBatches();
  return {
    generatedAt: new Date().toISOString(),
    stateFile: state.path,
    deployment,
    steps: STEPS.map((def) => {
      const r = state.getStep(def.id);
      const all = state.getFindings(def.id);
      const findings = all.find((f) => f.kind === 'summary')?.data ?? null;
      const details: Record<string, unknown[]> = {};
      for (const f of all) if (f.kind !== 'summary') (details[f.kind] ??= []).push(f.data);
      return {
        id: def.id, title: def.title, kind: def.kind, status: r.status, attempts: r.attempts,
        startedAt: r.startedAt, finishedAt: r.finishedAt, durationMs: r.durationMs, lastError: r.lastError,
        summary: r.summary, findings, details,
        decisions: Object.fromEntries([...state.getDecisions(def.id)].map(([k, d]) => [k, { value: d.value, source: d.source, decidedAt: d.decidedAt }])),
        batches: batches.filter((b) => b.step === def.id).length,
        rows: batches.filter((b) => b.step === def.id).reduce((n, b) => n + b.rows, 0),
        beforeImages: state.countBeforeImages(def.id),
      };
    }),
    backups: state.listBackups(),
    userGroups: userGroups(state),
    sessions: sessions(state.listRuns(), batches),
    files: config ? writtenFiles(config) : [],
    events: state.allEvents(),
  };
}

/** The step that deletes duplicate users, on its own table's decisions. */
const USERS_STEP = STEPS.find((d) => d.decisions?.kind === 'users' && d.decisions.step === d.id);

/**
 * The groups of the users step: the survivor each decision keeps, and the users its before-images
 * show deleted (id and email, grouped by their folded email as the step grouped them).
 */
function userGroups(state: StateFile): UserGroupRecord[] {
  const def = USERS_STEP;
  if (!def) return [];
  const deleted = new Map<string, { id: string; email: string }[]>();
  for (const image of state.beforeImages(def.id)) {
    if (image.table !== 'auth_user' || image.action !== 'delete' || !image.row) continue;
    const row = image.row as { id?: unknown; email?: unknown };
    const email = String(row.email ?? '');
    const list = deleted.get(pyLower(email)) ?? [];
    list.push({ id: String(row.id), email });
    deleted.set(pyLower(email), list);
  }
  const decisions = state.getDecisions(def.id);
  const intoOf = new Map<string, string>();
  for (const [key, d] of decisions) {
    const m = d.value as { group?: string; into?: string };
    if (key.startsWith('merge:') && m.group && m.into) intoOf.set(m.group, m.into);
  }
  return [...decisions].filter(([key]) => !key.includes(':')).map(([group, d]) => {
    const gone = (deleted.get(group) ?? []).filter((u) => u.id !== String(d.value));
    // Without a merge record every member's email was the same: the survivor's is theirs.
    const email = intoOf.get(group) ?? gone[0]?.email ?? '';
    return { group, kept: `#${d.value}${email ? ` ${email}` : ''}`, deleted: gone.map((u) => `#${u.id} ${u.email}`), source: d.source, ...(d.decidedAt ? { decidedAt: d.decidedAt } : {}) };
  });
}

/** The report as JSON lines to write one after another: the events, last, one line each. */
export function* reportJsonLines(r: Report): Generator<string> {
  const marker = '"events": []';
  const bigints = (_k: string, x: unknown) => (typeof x === 'bigint' ? x.toString() : x);
  const whole = JSON.stringify({ ...r, events: [] }, bigints, 2);
  const at = whole.lastIndexOf(marker);
  yield `${whole.slice(0, at)}"events": [`;
  for (let i = 0; i < r.events.length; i++) yield `    ${JSON.stringify(r.events[i])}${i < r.events.length - 1 ? ',' : ''}`;
  yield `  ]${whole.slice(at + marker.length)}`;
}

/** Each run with what it committed: a batch belongs to the run that was going when it committed. */
function sessions(runs: RunRecord[], batches: BatchRecord[]): SessionRecord[] {
  return runs.map((run, i) => {
    const until = run.endedAt ?? runs[i + 1]?.startedAt ?? '9999';
    const byStep = new Map<string, { step: string; batches: number; rows: number }>();
    for (const b of batches) {
      if (b.committedAt < run.startedAt || b.committedAt > until) continue;
      const c = byStep.get(b.step) ?? { step: b.step, batches: 0, rows: 0 };
      c.batches++;
      c.rows += b.rows;
      byStep.set(b.step, c);
    }
    return { ...run, committed: [...byStep.values()] };
  });
}

const filesIn = (dir: string): string[] => {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).sort().flatMap((n) => {
    const path = join(dir, n);
    return statSync(path).isDirectory() ? filesIn(path) : [path];
  });
};

/** The files the steps wrote, found where they write them: rewritten settings (6.3), settings lines (3.3–3.6), quota lists (7.1 / 7.2). */
export function writtenFiles(config: Config): WrittenFile[] {
  const out: WrittenFile[] = [];
  for (const host of ['astakos', 'cyclades', 'pithos'] as const) {
    const dir = config[host].settings;
    if (!dir) continue;
    for (const path of filesIn(dir).filter((p) => p.endsWith(NEW_SETTINGS_SUFFIX))) {
      const original = path.slice(0, -NEW_SETTINGS_SUFFIX.length);
      const same = existsSync(original) && readFileSync(original, 'utf8') === readFileSync(path, 'utf8');
      out.push({ path, what: `${host} settings rewritten by 6.3`, installed: same ? `yes: ${original} matches it` : `no: ${original} differs` });
    }
  }
  for (const path of filesIn(join(dirname(config.state), 'settings'))) out.push({ path, what: 'settings lines to install (3.3–3.6, 5)', installed: 'by hand on the host it names' });
  for (const path of filesIn(join(config.backups, 'quota'))) out.push({ path, what: 'per-user limits (7.1 / 7.2), already loaded into astakos', installed: 'only for the upstream snf-manage path' });
  return out;
}

/** A stored decision as the record reads it. */
function decisionText(key: string, value: unknown): string {
  if (key.startsWith('merge:')) {
    const m = value as { into?: string; survivorId?: number; deletedIds?: number[] };
    return `${(m.deletedIds ?? []).map((id) => `#${id}`).join(', ')} ${key.slice(6)} deleted; what it owns in cyclades and pithos merges into #${m.survivorId} ${m.into}`;
  }
  if (key.startsWith('limit:')) return `${String(value)} (per-user limit ${key.slice(6)})`;
  if (key.startsWith('unknown:')) return `${typeof value === 'string' ? value : JSON.stringify(value)} (${key.slice(8)} is unknown to astakos)`;
  if (typeof value === 'number' || (typeof value === 'string' && /^\d+$/.test(value))) return `keep #${value}, delete the others`;
  const v = value as { action?: string; into?: string } | null;
  if (v && typeof v === 'object' && v.action === 'merge') return `merge into ${v.into}`;
  if (v && typeof v === 'object' && v.action) return v.action;
  return typeof value === 'string' ? value : JSON.stringify(value);
}


const lines = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : v == null ? [] : [String(v)]);

export function reportMarkdown(r: Report): string {
  const out: string[] = [
    '# snf-upgrade report: Synnefo 0.12.5 → 0.13', '',
    `Generated ${r.generatedAt} from ${r.stateFile}.`, '',
    '## Deployment', '', '| service | database | schema |', '|---|---|---|',
    ...r.deployment.map((d) => `| ${d.service} | ${databaseLabel(d)} | ${d.error ?? d.version} |`), '',
    '## Steps', '', '| step | title | status | finished | attempts |', '|---|---|---|---|---|',
    ...r.steps.map((s) => `| ${s.id} | ${s.title} | ${s.status} | ${s.finishedAt ?? ''} | ${s.attempts} |`), '',
  ];
  for (const s of r.steps.filter((x) => x.status !== 'pending' || x.lastError)) {
    out.push(`### ${s.id} ${s.title}`, '');
    const findings = (s.findings as { summary?: unknown } | null)?.summary;
    for (const l of lines(findings)) out.push(`- found: ${l}`);
    for (const l of lines(s.summary)) out.push(`- ${l}`);
    for (const [kind, items] of Object.entries(s.details)) {
      out.push(`- ${kind} (${items.length}):`, ...items.map((x) => `  - ${String(x)}`));
    }
    if (s.lastError) out.push(`- last error: ${s.lastError}`);
    const decided = Object.keys(s.decisions).length;
    if (decided) out.push(`- decisions: ${decided} (listed under Decisions)`);
    if (s.batches) out.push(`- committed in all: ${s.rows} row(s) in ${s.batches} batch(es) over ${s.attempts} attempt(s)`);
    if (s.beforeImages) out.push(`- before-images kept: ${s.beforeImages}`);
    out.push('');
  }
  out.push('## Decisions', '');
  const withDecisions = r.steps.filter((x) => Object.keys(x.decisions).length);
  if (!withDecisions.length) out.push('none recorded', '');
  if (r.userGroups.length) {
    // Lists, not tables: an entry wraps on a screen instead of being cut where the names are.
    out.push(`### Who was kept and who deleted (${USERS_STEP?.id})`, '');
    for (const g of r.userGroups) out.push(`- ${g.group}: kept ${g.kept}; deleted ${g.deleted.join(', ') || 'not yet'} (${decidedBy(g.source)}, ${g.decidedAt ?? ''})`);
    out.push('');
  }
  for (const s of withDecisions.filter((x) => !(r.userGroups.length && x.id === USERS_STEP?.id))) {
    out.push(`### ${s.id} ${s.title}`, '');
    for (const [key, d] of Object.entries(s.decisions)) {
      out.push(`- ${key.replace(/^(merge|unknown|limit):/, '')}: ${decisionText(key, d.value)} (${decidedBy(d.source)}, ${d.decidedAt ?? ''})`);
    }
    out.push('');
  }
  out.push('## Sessions', '', 'Every run of the tool on this state file, and the batches it committed. A run that never ended was killed or crashed; the next run of its step continued after the batches it had committed.', '');
  const last = r.sessions.length - 1;
  r.sessions.forEach((x, i) => {
    const outcome = x.outcome ?? (i === last ? 'this session, or running' : 'never ended: killed or crashed');
    const committed = x.committed.map((c) => `${c.step}: ${c.rows} row(s) in ${c.batches} batch(es)`).join('; ') || 'nothing';
    out.push(`- #${x.id} ${x.command} (${x.host}, pid ${x.pid}), ${x.startedAt} → ${x.endedAt ?? '…'}: ${outcome}; committed ${committed}`);
  });
  out.push('', '## Files written', '');
  if (!r.files.length) out.push('none found', '');
  else out.push(...r.files.map((f) => `- ${f.path}: ${f.what}; installed: ${f.installed}`), '');
  out.push('## Backups', '');
  if (!r.backups.length) out.push('none recorded', '');
  else {
    out.push('| when | step | service | kind | file | bytes | sha256 |', '|---|---|---|---|---|---|---|');
    // A shared database's one file is recorded for each of its services: listed once, naming them all.
    const byFile = new Map<string, { backup: (typeof r.backups)[number]; services: string[] }>();
    for (const b of r.backups) {
      const key = `${b.step ?? ''}\u0000${b.path}`;
      const seen = byFile.get(key);
      if (seen) seen.services.push(b.service);
      else byFile.set(key, { backup: b, services: [b.service] });
    }
    for (const { backup: b, services } of byFile.values()) {
      out.push(`| ${b.createdAt} | ${b.step ?? ''} | ${services.join(', ')} | ${b.kind} | ${b.path} | ${b.bytes ?? ''} | ${b.sha256 ?? ''} |`);
    }
    out.push('');
  }
  out.push('## Log', '', `Every event, oldest first (${r.events.length}).`, '');
  for (const e of r.events) out.push(`- ${e.at} ${e.step ? `[${e.step}] ` : ''}${e.level === 'info' ? '' : `${e.level}: `}${e.message}`);
  out.push('');
  return out.join('\n');
}
