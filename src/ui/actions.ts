// What the wizard's keys set off in the engine: run, confirm, simulate, back up, accept every
// suggestion, take the lock over, undo, decide. Each reports through the wizard's reducer.
import type { Dispatch } from 'react';
import { blocking, type Check } from '../core/step.js';
import type { PlanView, StepView } from '../engine/index.js';
import { restoreQuestion, type RestorePlan } from '../engine/restore.js';
import { verdictLines, writtenTarget, type Backend, type DecisionInput, type LockConflict } from '../engine/session.js';
import { line, messageLines, type StyledLine } from './components/common.js';
import { checklistLines } from './components/StepScreen.js';
import type { Message } from './components/Home.js';
import { summarize } from './conflicts/model.js';
import { deleteDecision, mergeDecision } from './conflicts/remap.js';
import { decisionStep } from './conflicts/types.js';
import { openCount } from './conflicts/unknown.js';
import { num, when } from './format.js';
import { conflictsOf, errorMessage, storedOf, unknownOf, type Busy, type ProgressHandle, type Screen, type WizardAction, type WizardState } from './wizard.js';

export interface ActionContext {
  backend: Backend;
  state: WizardState;
  dispatch: Dispatch<WizardAction>;
  steps: StepView[];
  progress: ProgressHandle;
  /** Called when an action ends (ctrl-c counts from zero again). */
  onFinish?(): void;
  /** The operator confirmed restoring PLAN: the front end closes this session and restores. */
  onRestore?(plan: RestorePlan): void;
}

export type WizardActions = ReturnType<typeof wizardActions>;

export function wizardActions(ctx: ActionContext) {
  const { backend, state, dispatch, progress } = ctx;
  const stepOf = (id: string): StepView | undefined => ctx.steps.find((s) => s.def.id === id);
  const say = (message?: Message) => dispatch({ type: 'message', message });

  const startBusy = (b: Busy) => {
    progress.start(b.id);
    dispatch({ type: 'busy', busy: b });
  };
  const finish = (id: string, message?: Message) => {
    progress.stop();
    ctx.onFinish?.();
    dispatch({ type: 'finished', id, allDone: !backend.current(), message });
  };

  const decide = (id: string, items: DecisionInput[]) => {
    const step = decisionStep(id);
    try {
      backend.decide(step, items);
    } catch (err) {
      return say(errorMessage(err));
    }
    dispatch({ type: 'decided', step, items });
  };

  /** Sets (6.1 / 6.2): the table's choices (member ids) become the modules' decisions. */
  const decideRemap = (id: string, items: DecisionInput[]) => {
    const c = conflictsOf(state, stepOf(id));
    if (!c) return;
    const out: DecisionInput[] = [];
    for (const it of items) {
      const g = c.data.groups.find((x) => x.key === it.key);
      const value = g && mergeDecision(g, Number(it.value));
      if (value) out.push({ key: it.key, value, source: it.source });
    }
    if (out.length) decide(id, out);
  };

  const deleteMember = (id: string, key: string, member: number) => {
    const g = conflictsOf(state, stepOf(id))?.data.groups.find((x) => x.key === key);
    if (!g) return;
    const value = deleteDecision(g, storedOf(state, id).get(key), member);
    if (!value) return say({ text: 'that would leave nothing in the set: at least one member stays (or owns nothing here)', level: 'warn' });
    decide(id, [{ key, value, source: 'operator' }]);
  };

  const runStep = async (id: string, opts: { acceptSuggestions?: boolean } = {}) => {
    const view = stepOf(id);
    if (!view) return;
    const c = conflictsOf(state, view);
    if (c && view.def.decisions?.beforeRun) {
      const open = summarize(c.data.groups, c.decisions).open;
      if (open > 0) {
        return say({ text: `${num(open)} group(s) are still undecided: nothing is deleted before every group has a survivor`, next: 'enter reviews them; in the table, a accepts every remaining suggestion after a summary', level: 'warn' });
      }
    }
    const u = unknownOf(state, id);
    if (u && !opts.acceptSuggestions) {
      const open = openCount(u.list, u.decisions);
      if (open > 0) {
        return say({ text: `${num(open)} ${u.list.noun} unknown to astakos have no answer yet`, next: 'l lists them (d / K answer one, a accepts every suggestion); A accepts every suggestion of the step', level: 'warn' });
      }
    }
    startBusy({ kind: 'run', id, title: `${id}  ${view.def.title}${opts.acceptSuggestions ? ' (accepting every suggestion)' : ''}` });
    let msg: Message | undefined;
    try {
      const out = await backend.run(id, opts.acceptSuggestions ? { acceptSuggestions: true } : undefined);
      if (out.status === 'stopped') msg = { text: `${id} stopped between batches: ${out.summary.join('; ') || 'nothing half-done'}`, next: 'enter runs it again; it continues after the last committed batch', level: 'warn' };
      else if (out.status === 'already-done') msg = { text: out.summary.join('; '), level: 'info' };
    } catch (err) {
      msg = errorMessage(err);
    }
    finish(id, msg);
  };

  /** Where a step's result screen leads: the step, or the report once every step is done. */
  const after = (id: string): Screen => (backend.current() ? { kind: 'step', id } : { kind: 'report', title: 'Report · every step is done' });

  /**
   * Re-checks, then confirms manual step ID; says why not when a check fails. A step with a
   * closing checklist then shows it, every item done, below FIRST (what s did in the sandbox).
   */
  const confirmStep = async (id: string, first?: StyledLine[]): Promise<Message | undefined> => {
    startBusy({ kind: 'confirm', id, title: `${id}  checking before confirming` });
    let msg: Message | undefined;
    let checks: Check[] = [];
    try {
      checks = await backend.checks(id);
      dispatch({ type: 'page', id, data: { checks } });
      const failing = blocking(checks);
      if (failing.length) {
        msg = { text: `${id} cannot be confirmed yet: ${failing.map((c) => c.label).join('; ')} (${failing.length} check(s) fail)`, next: 'do it on the hosts (the commands above), then enter re-checks', level: 'error' };
      } else {
        await backend.confirm(id);
      }
    } catch (err) {
      msg = errorMessage(err);
    }
    finish(id, msg);
    const word = stepOf(id)?.def.word;
    if (!msg && word) {
      const lines = [...(first?.length ? [...first, line('')] : []), ...checklistLines(checks, word, Infinity, when(new Date().toISOString()))] // confirmed: no check left with a command to break;
      dispatch({ type: 'show', screen: { kind: 'result', title: `${id} confirmed · closing checklist`, lines, back: after(id) } });
    }
    return msg;
  };

  /** Sandbox only: performs manual step ID on the data (where there is something to do), then confirms it. */
  const simulate = async (id: string) => {
    // Nothing to do on the data for this step: s is "confirm".
    if (!stepOf(id)?.def.simulate) return void confirmStep(id);
    startBusy({ kind: 'simulate', id, title: `${id}  performing the step in the sandbox` });
    let lines: string[];
    try {
      lines = await backend.simulate(id);
    } catch (err) {
      return finish(id, errorMessage(err));
    }
    dispatch({ type: 'idle' });
    const result: StyledLine[] = [line(` ${id} performed in the sandbox:`), ...lines.map((l) => line(` · ${l}`))];
    const failed = await confirmStep(id, result);
    if (!failed && stepOf(id)?.def.word) return;
    dispatch({ type: 'show', screen: failed
      ? { kind: 'result', title: `${id} performed in the sandbox, but not confirmed`, lines: [...result.slice(1), line(''), ...messageLines(failed)], back: after(id) }
      : { kind: 'result', title: `${id} performed in the sandbox and confirmed`, lines: result.slice(1), back: after(id) } });
  };

  const backupNow = async (back: Screen) => {
    startBusy({ kind: 'backup', id: 'backup', title: 'Backing up every database' });
    try {
      const lines = await backend.backup(state.phaseDone ? `phase${state.phaseDone}` : 'manual');
      dispatch({ type: 'phaseDone', phase: undefined });
      finish('backup');
      dispatch({ type: 'show', screen: { kind: 'result', title: 'Backup done', lines: lines.map((l) => line(` ✓ ${l}`)), back } });
    } catch (err) {
      finish('backup', errorMessage(err));
    }
  };

  /** `w` on a settings step: its lines written to a file per host and settings file; the result says where each goes. */
  const writeSnippets = async (id: string) => {
    say(undefined);
    try {
      const written = await backend.writeSnippets(id);
      dispatch({ type: 'show', screen: { kind: 'result', title: `${id}: settings written to files`, back: { kind: 'step', id }, lines: [
        ...written.flatMap((w) => [line(` ✓ ${writtenTarget(w)}:`), line(` ${w.path}`, { nowrap: true })]), line(''),
        line(' Copy each to its host and add its lines to the settings file it names (a later line wins). The files hold the tokens: remove them once copied.'),
      ] } });
    } catch (err) {
      say(errorMessage(err));
    }
  };

  /** `v`: the deployment checked as a whole (snf-upgrade verify), on a result screen that goes back to BACK. */
  const verifyNow = async (back: Screen) => {
    say({ text: 'verify: checking the deployment…', level: 'info' });
    try {
      const verdict = await backend.verify();
      say(undefined);
      const lines = verdictLines(verdict).map((l) => line(` ${l}`, l.startsWith('✗') ? { color: 'red' } : l.startsWith('✓') ? { color: 'green' } : l.startsWith('·') ? { dim: true } : { bold: true }));
      dispatch({ type: 'show', screen: { kind: 'result', title: verdict.findings.length ? `Verify: ${verdict.findings.length} to fix` : 'Verify: no findings', lines, back } });
    } catch (err) {
      say(errorMessage(err));
    }
  };

  /** `A`: shows what accepting every suggestion of ID would do, then (on y) runs it that way. */
  const acceptAll = async (id: string) => {
    say(undefined);
    let view: PlanView;
    try {
      view = await backend.plan(id, { acceptSuggestions: true });
    } catch (err) {
      return say(errorMessage(err));
    }
    if (view.plan.open) {
      return say({ text: `${id}: ${num(view.plan.open)} item(s) stay open even when every suggestion is taken`, next: `see snf-upgrade plan ${id}; answer them in --answers`, level: 'error' });
    }
    // The decisions no table shows come first: they are what accepting settles besides the tables.
    const questions = view.plan.questions ?? [];
    const lines = [...questions, ...view.plan.summary.filter((l) => !questions.includes(l))];
    const detail = [...lines.slice(0, 8), ...(lines.length > 8 ? [`… and ${lines.length - 8} more (snf-upgrade plan ${id})`] : [])];
    dispatch({ type: 'ask', question: {
      question: { step: id, key: 'accept-suggestions', message: `Accept every suggestion of step ${id} (${num(state.pages[id]?.plan?.plan.open ?? 0)} open) and run it?`, detail },
      onAnswer: (ok) => {
        dispatch({ type: 'ask', question: undefined });
        if (!ok) return say({ text: `${id}: nothing accepted; nothing changed`, level: 'info' });
        void runStep(id, { acceptSuggestions: true });
      },
    } });
  };

  /** t on the lock screen: confirm (typing "take over" when the holder looks alive), then take the lock. */
  const takeOver = (c: LockConflict) => {
    say(undefined);
    const holder = c.holders[0];
    dispatch({ type: 'ask', question: {
      question: {
        step: 'lock', key: 'take-over',
        message: `Take the lock over from ${holder ? `${holder.command} (pid ${holder.pid} on ${holder.host})` : 'its holder'}?`,
        detail: [c.verdict, 'its database sessions are ended: a batch it has open rolls back; its own state file lock is replaced'],
        typeToConfirm: c.stale ? undefined : 'take over',
      },
      onAnswer: (ok) => {
        dispatch({ type: 'ask', question: undefined });
        if (!ok) return say({ text: 'the lock was not taken over; nothing changed', level: 'info' });
        backend.takeOver().then(async () => {
          dispatch({ type: 'lockConflict', conflict: undefined });
          dispatch({ type: 'lock', line: await backend.lockLine().catch(() => 'lock: unknown') });
          say({ text: `took the lock over from ${holder ? `pid ${holder.pid} on ${holder.host}` : 'its holder'}`, level: 'info' });
          dispatch({ type: 'refresh' });
        }, (err) => say(errorMessage(err)));
      },
    } });
  };

  const undoStep = (id: string) => {
    dispatch({ type: 'ask', question: {
      question: { step: id, key: 'undo', message: `Undo step ${id}? The rows it deleted or rewrote are restored from their before-images.` },
      onAnswer: async (ok) => {
        dispatch({ type: 'ask', question: undefined });
        if (!ok) return say({ text: `${id} was not undone; nothing changed`, level: 'info' });
        startBusy({ kind: 'undo', id, title: `${id}  undo` });
        let msg: Message | undefined;
        try {
          const r = await backend.undo(id);
          msg = { text: `${id} undone: ${r.summary.join('; ')}`, level: 'info' };
        } catch (err) {
          msg = errorMessage(err);
        }
        finish(id, msg);
      },
    } });
  };

  /** R, then a backup chosen: its files checked, then "restore" typed; the front end restores with this session closed. */
  const restoreAsk = async (label: string) => {
    say(undefined);
    let plan: RestorePlan;
    try {
      plan = await backend.restorePlan([], label);
    } catch (err) {
      return say(errorMessage(err));
    }
    dispatch({ type: 'ask', question: {
      question: { ...restoreQuestion(plan), typeToConfirm: 'restore' },
      onAnswer: (ok) => {
        dispatch({ type: 'ask', question: undefined });
        if (!ok) return say({ text: 'nothing was restored', level: 'info' });
        if (!ctx.onRestore) return say({ text: 'this front end cannot restore', next: `run snf-upgrade restore --backup ${label}`, level: 'error' });
        ctx.onRestore(plan);
      },
    } });
  };

  /** f once every step is done: what finish drops, "finish" typed, then the report written and the tool's tables dropped. */
  const finishAsk = async () => {
    say(undefined);
    try {
      const plan = await backend.finishPlan();
      if (plan.refusal) return say({ text: `finish refused: ${plan.refusal}`, level: 'warn' });
      dispatch({ type: 'ask', question: {
        question: {
          step: 'finish', key: 'confirm', dangerous: true, typeToConfirm: 'finish',
          message: 'Finish the upgrade: write the report and drop the tool\'s tables from the databases?',
          detail: [`the report: ${plan.reportFile}`, ...plan.databases.map((d) => `${d.services.join(' and ')}: ${d.tables.join(', ') || 'no tool table'}`),
            'afterwards nothing can be undone or recovered from them (stashed secrets and before-images go); the backups stay'],
        },
        onAnswer: async (ok) => {
          dispatch({ type: 'ask', question: undefined });
          if (!ok) return say({ text: 'not finished; nothing was dropped', level: 'info' });
          try {
            const lines = await backend.finish();
            dispatch({ type: 'refresh' });
            dispatch({ type: 'show', screen: { kind: 'result', title: 'The upgrade is finished', lines: lines.map((l) => line(` ✓ ${l}`)), back: { kind: 'home' } } });
          } catch (err) {
            say(errorMessage(err));
          }
        },
      } });
    } catch (err) {
      say(errorMessage(err));
    }
  };

  return { decide, decideRemap, deleteMember, runStep, confirmStep, simulate, backupNow, verifyNow, acceptAll, takeOver, undoStep, restoreAsk, finishAsk, writeSnippets };
}
