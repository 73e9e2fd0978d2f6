// The deployment checked as a whole (`snf-upgrade verify`, the wizard's `v`, the gate of the
// step that restarts the services): every done step that changed data is verified again, the
// promises done steps made are read again, and each migrated schema must be at the 0.13 head.
// Nothing here queries a table itself: the steps' own verify and promise checks do that.
import { blocking, type Check, type StepContext } from '../core/step.js';
import { describeVersion, detectSchema } from '../db/detect.js';
import { SERVICES } from '../db/connection.js';
import type { StepDef } from '../runbook/steps.js';
import { compareStepIds, type StateFile } from '../state/index.js';

/** One thing the deployment breaks: what, where, and the step that fixes it. */
export interface VerifyFinding {
  step: string;
  what: string;
  where: string;
  fix: string;
}

export interface DeploymentVerdict {
  /** What held, by the step that promises it. */
  checked: { step: string; what: string; detail?: string }[];
  findings: VerifyFinding[];
  /** Invariants of steps not done yet: not checked, and no failure. */
  notChecked: { step: string; what: string }[];
}

type Context = (def: StepDef) => StepContext;

const isDone = (state: StateFile, id: string): boolean => state.getStep(id).status === 'done';

/** How a finding of DEF is fixed: a step that writes runs again; a manual one is done again on the hosts. */
function fixOf(def: StepDef): string {
  return def.kind === 'manual'
    ? `do step ${def.id} again on the hosts (snf-upgrade plan ${def.id} shows the commands)`
    : `run ${def.id} again: snf-upgrade run ${def.id}`;
}

/** The steps whose invariants the deployment keeps: the ones that changed data (not the moment's checks of manual steps). */
const verifiable = (def: StepDef): boolean => def.kind === 'migrate' && !!def.module?.verify;

/** Whether DEF's promise still reaches the end of the upgrade (2.2's ends at 3.2's migrate, which keeps it from then on). */
const promiseOpen = (state: StateFile, def: StepDef): boolean => !!def.promise && (def.promise.through === undefined || !isDone(state, def.promise.through));

/**
 * Checks the deployment: each done step that changed data verifies again, each open promise
 * is read again, each schema a done step migrated is at 0.13. Steps not done yet are listed
 * as not checked. Reads only.
 */
export async function verifyDeployment(runbook: readonly StepDef[], state: StateFile, context: Context): Promise<DeploymentVerdict> {
  const verdict: DeploymentVerdict = { checked: [], findings: [], notChecked: [] };
  for (const def of runbook) {
    if (!verifiable(def) && !def.promise) continue;
    if (!isDone(state, def.id)) {
      verdict.notChecked.push({ step: def.id, what: def.verifiedBy });
      continue;
    }
    const ctx = context(def);
    if (promiseOpen(state, def)) {
      const broken = await def.promise!.check.broken(ctx);
      if (broken) {
        verdict.findings.push({ step: def.id, what: `${broken.what} since step ${def.id} was done`, where: `${broken.examples.join('; ')}${broken.complete ? '' : '; …'}`, fix: `${fixOf(def)} (it ${broken.fix})` });
      }
    }
    if (!verifiable(def)) continue;
    const checks: Check[] = await def.module!.verify!(ctx);
    for (const c of checks) {
      if (blocking([c]).length) verdict.findings.push({ step: def.id, what: c.label, where: [c.where, c.detail].filter(Boolean).join(': '), fix: fixOf(def) });
      else verdict.checked.push({ step: def.id, what: c.label, ...(c.detail ? { detail: c.detail } : {}) });
    }
  }
  for (const service of SERVICES) {
    const migrating = runbook.find((d) => d.migrates?.includes(service));
    if (!migrating) continue;
    const what = `the ${service} schema is at the 0.13 head`;
    if (!isDone(state, migrating.id)) { verdict.notChecked.push({ step: migrating.id, what }); continue; }
    const db = await context(migrating).db(service);
    const version = describeVersion(service, await detectSchema(db.pool, service));
    if (version === '0.13') verdict.checked.push({ step: migrating.id, what, detail: db.label });
    else verdict.findings.push({ step: migrating.id, what, where: `${db.label}: ${version}`, fix: fixOf(migrating) });
  }
  return verdict;
}

/** One line per finding: what, where, and which step fixes it. */
export const findingLine = (f: VerifyFinding): string => `✗ ${f.what}${f.where ? ` (${f.where})` : ''} — ${f.fix}`;

/** The verdict as the operator reads it: findings first, then what held, then what is not checked yet. */
export function verdictLines(v: DeploymentVerdict): string[] {
  const notYet = [...new Set(v.notChecked.map((n) => n.step))].sort(compareStepIds);
  return [
    v.findings.length ? `verify: ${v.findings.length} finding${v.findings.length === 1 ? '' : 's'}` : `verify: no findings (${v.checked.length} checks held)`,
    ...v.findings.map(findingLine),
    ...v.checked.map((c) => `✓ ${c.step}: ${c.what}${c.detail ? ` (${c.detail})` : ''}`),
    ...notYet.map((id) => `· not checked yet: step ${id} is not done`),
  ];
}

/** The check of the step that ends the upgrade: `snf-upgrade verify` finds nothing (each finding named in the detail). */
export async function deploymentCheck(runbook: readonly StepDef[], state: StateFile, context: Context): Promise<Check> {
  const { findings, checked } = await verifyDeployment(runbook, state, context);
  return {
    label: 'snf-upgrade verify finds nothing', ok: !findings.length,
    detail: findings.length ? `${findings.length} finding${findings.length === 1 ? '' : 's'}: ${findings.map((f) => findingLine(f).slice(2)).join('; ')}` : `${checked.length} checks held`,
  };
}
