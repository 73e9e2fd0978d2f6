// The change record: everything found, decided and changed, as JSON or Markdown.
import { STEPS } from '../runbook/steps.js';
import type { StateFile } from '../state/index.js';
import { databaseLabel, type DeploymentInfo } from './types.js';

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
    decisions: Record<string, unknown>; batches: number; beforeImages: number;
  }[];
  backups: ReturnType<StateFile['listBackups']>;
  events: ReturnType<StateFile['recentEvents']>;
}

export function buildReport(state: StateFile, deployment: DeploymentInfo[]): Report {
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
        decisions: Object.fromEntries([...state.getDecisions(def.id)].map(([k, d]) => [k, { value: d.value, source: d.source }])),
        batches: state.batchesFor(def.id).length,
        beforeImages: state.countBeforeImages(def.id),
      };
    }),
    backups: state.listBackups(),
    events: state.recentEvents(200),
  };
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
    if (decided) out.push(`- decisions: ${decided}`);
    if (s.batches) out.push(`- batches committed: ${s.batches}`);
    if (s.beforeImages) out.push(`- before-images kept: ${s.beforeImages}`);
    out.push('');
  }
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
  return out.join('\n');
}
