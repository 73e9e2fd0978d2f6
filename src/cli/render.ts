// Plain-text views shared by the headless commands (and the README's captures).
import { databaseLabel, type DeploymentInfo, type PlanView, type StepView } from '../engine/index.js';
import type { LockHolderView } from '../engine/session.js';
import type { StepDef } from '../runbook/steps.js';
import type { SnippetSet } from '../runbook/settings.js';
import { fingerprint, hideSecrets } from '../secrets.js';
import { shortTime, STATUS_SYMBOL, zoneLabel } from '../format.js';

export function stepLine(s: StepView, current: string | undefined): string {
  const symbol = s.def.id === current && s.record.status === 'pending' ? '▶' : STATUS_SYMBOL[s.record.status] ?? '?';
  const kind = s.def.kind === 'manual' ? ' (manual)' : s.implemented ? '' : ' (not implemented yet)';
  const title = `${s.def.title}${kind}`;
  const when = s.record.status === 'done' ? shortTime(s.record.finishedAt) : s.record.status === 'failed' ? 'failed' : '';
  return `  ${symbol} ${s.def.id.padEnd(4)} ${title.padEnd(56).slice(0, 56)} ${when}`.trimEnd();
}

export function renderStatus(statePath: string, deployment: DeploymentInfo[], steps: StepView[], current: string | undefined,
  interrupted: string | undefined, locks: LockHolderView[], finishedAt?: string): string {
  const out = [`snf-upgrade · Synnefo 0.12.5 → 0.13    state: ${statePath}`, `  times: local, ${zoneLabel()}`];
  for (const d of deployment) out.push(`  ${d.service.padEnd(9)} ${databaseLabel(d).padEnd(40)} ${d.error ?? d.version}`);
  const held = locks.find((h) => h.alive);
  if (held) out.push(`  lock: held by ${held.host} pid ${held.pid} (${held.command}) since ${shortTime(held.at)}`);
  else if (locks.length) out.push('  lock: stale (no holder is running; the next writing command takes it)');
  for (const h of locks) {
    out.push(`    ${h.where.padEnd(10)} ${h.host} pid ${h.pid} (${h.command}) since ${shortTime(h.at)}: ${h.alive ? 'alive' : 'stale'}, ${h.why}`);
  }
  out.push('');
  for (const s of steps) {
    out.push(stepLine(s, current));
    if (s.record.status === 'failed' && s.record.lastError) out.push(`         last error: ${s.record.lastError}`);
  }
  out.push('');
  if (interrupted) out.push(interrupted);
  out.push(current ? `next: ${current} — snf-upgrade plan ${current}` : 'every step is done');
  if (!current) {
    out.push(finishedAt ? `the tool's tables were dropped from the databases at ${shortTime(finishedAt)} (snf-upgrade finish)`
      : 'the tool\'s tables (journal, lock, secrets, steps, decisions) are still in the databases until: snf-upgrade finish --yes');
  }
  return out.join('\n');
}

export function renderPlan(def: StepDef, view: PlanView): string {
  const out = [`${def.id}  ${def.title}${def.kind === 'manual' ? ' (manual)' : ''}`, `Why: ${def.why}`];
  if (def.commands?.length) {
    out.push('Commands:');
    for (const c of def.commands) for (const l of c.lines) out.push(`  ${`on ${c.host}:`.padEnd(14)} ${l}`);
  }
  if (view.findings.summary.length) out.push('Found:', ...view.findings.summary.map((l) => `  ${l}`));
  if (view.plan.summary.length) out.push('Plan:', ...view.plan.summary.map((l) => `  ${l}`));
  if (view.plan.changes.length) {
    out.push('Will change:', ...view.plan.changes.map((c) => `  ${c.service}.${c.table}  ${c.action} ${c.rows}`));
  }
  for (const e of def.errata ?? []) out.push(`! Erratum: ${e}`);
  out.push(`Verified by: ${def.verifiedBy}`);
  return out.join('\n');
}

/** The one way the headless commands show a secret. */
export const revealCommand = (step: string): string => `snf-upgrade snippets ${step} --reveal`;

/** A settings step's snippets as `plan` and `snippets` print them (text and --json). */
export interface SnippetView {
  step: string;
  revealed: boolean;
  /** Each secret the lines carry: its fingerprint and what it is (never its value). */
  secrets: { fingerprint: string; what: string }[];
  files: { host: string; file: string; lines: string[] }[];
  notes: string[];
}

/** SET's lines with secrets hidden (unless REVEAL) and a token not generated yet named as such. */
export function snippetView(step: string, set: SnippetSet, reveal: boolean): SnippetView {
  const how = revealCommand(step);
  const show = (code: string): string => {
    const c = reveal ? code : hideSecrets(code, set.secrets, how);
    return set.pending ? c.split(set.pending.literal).join(`<not generated yet: snf-upgrade snippets ${step} makes it>`) : c;
  };
  const pending = set.pending
    ? [`${set.pending.what} is not generated yet: snf-upgrade snippets ${step} generates it once (kept in astakos); add --reveal to print it`]
    : [];
  return {
    step, revealed: reveal && set.secrets.length > 0,
    secrets: set.secrets.map((x) => ({ fingerprint: fingerprint(x.value), what: x.what })),
    files: set.snippets.map((x) => ({ host: x.host, file: x.file, lines: x.lines.map(show) })),
    notes: [...pending, ...set.notes],
  };
}

/** The text block (Python lines unindented, so a file's section can be copied as it is). */
export function renderSnippets(v: SnippetView): string {
  const tokens = v.secrets.length === 1 ? 'the token' : 'the tokens';
  const state = !v.secrets.length ? ''
    : v.revealed ? `; ${tokens} ${v.secrets.length === 1 ? 'is' : 'are'} shown: keep this output out of logs and change records`
      : `; ${tokens} ${v.secrets.length === 1 ? 'is' : 'are'} hidden: ${revealCommand(v.step)} prints ${v.secrets.length === 1 ? 'it' : 'them'}`;
  const out = [`Settings to add, per host and file (Python lines${state}):`];
  for (const s of v.secrets) out.push(`  ${s.fingerprint}: ${s.what}`);
  for (const f of v.files) out.push('', `On the ${f.host} host, ${f.file}:`, ...f.lines);
  if (v.notes.length) out.push('', ...v.notes.map((n) => `! ${n}`));
  return out.join('\n');
}
