// The wizard: which screen shows, what runs, and the engine's questions and events.
// Screens are thin components in ./components; their logic lives in pure modules.
import { Box } from 'ink';
import { useCallback, useEffect, useMemo, useRef, useState, type ReactElement } from 'react';
import { blocking, type Check } from '../core/step.js';
import { scrubSecrets } from '../secrets.js';
import type { DeploymentInfo, PlanView, StepView } from '../engine/index.js';
import { UserError } from '../errors.js';
import type { PendingQuestion, UiAsker } from './asker.js';
import { isSettingsStep, SIMULATED_STEPS, type Backend, type DecisionInput, type LockConflict } from '../engine/session.js';
import type { SnippetSet } from '../core/settings/snippets.js';
import { initialTable, summarize, type TableState } from './conflicts/model.js';
import { conflictData, CONFLICT_STEPS, decisionStep, type DecisionLike, type Decisions } from './conflicts/types.js';
import { deleteDecision, mergeDecision, remapConflicts, tableDecisions } from './conflicts/remap.js';
import { openCount, unknownList } from './conflicts/unknown.js';
import { UnknownList } from './components/UnknownList.js';
import { line, messageLines as messageLinesOf, useTerminalSize, type Size, type StyledLine, useKeys } from './components/common.js';
import { ConflictTable } from './components/ConflictTable.js';
import { Ask } from './components/Ask.js';
import { Confirm } from './components/Confirm.js';
import { Help } from './components/Help.js';
import { Home, type Message } from './components/Home.js';
import { LockScreen } from './components/LockScreen.js';
import { Pager } from './components/Pager.js';
import { Progress } from './components/Progress.js';
import { decidesBeforeRun, StepScreen } from './components/StepScreen.js';
import { alignTables, num } from './format.js';
import type { ScreenName } from './keys.js';
import { initialProgress, progressReducer, type ProgressState } from './progress-model.js';

export type Screen =
  | { kind: 'home' }
  | { kind: 'step'; id: string }
  | { kind: 'conflicts'; id: string }
  | { kind: 'unknown'; id: string }
  | { kind: 'report'; title?: string }
  | { kind: 'result'; title: string; lines: StyledLine[]; back: Screen };

interface Busy { kind: 'run' | 'backup' | 'simulate' | 'confirm' | 'undo'; id: string; title: string }

interface PageData {
  plan?: PlanView;
  planError?: Message;
  loading?: boolean;
  checks?: Check[];
  checking?: boolean;
  /** Steps 3.3–3.6: the settings to paste (kept in memory only: they carry tokens). */
  snippets?: SnippetSet;
  snippetsError?: Message;
}

export interface AppProps {
  backend: Backend;
  asker?: UiAsker;
  /** A fixed terminal size (tests); otherwise the terminal's, following resizes. */
  size?: Size;
  /** What the last session left half done: undefined = ask the backend; null = nothing. */
  interrupted?: { step: string; text: string } | null;
  /** Called once when the operator quits; HARD when a step was still running (ctrl-c twice). */
  onExit(code: number, opts?: { hard?: boolean }): void;
  /** How often progress redraws at most (ms). */
  progressInterval?: number;
}

/** An error as the operator sees it: the message and the next action, never a stack. */
export function errorMessage(err: unknown): Message {
  if (err instanceof UserError) {
    const details = (err as UserError & { details?: string[] }).details;
    return { text: scrubSecrets(err.message), next: err.next, level: 'error', details: details?.length ? details.slice(0, 5).map((d) => scrubSecrets(d)) : undefined };
  }
  const text = scrubSecrets((err as Error)?.message ?? String(err)).split('\n')[0]!;
  return {
    text: `unexpected error: ${text}`,
    next: 'nothing half-done was kept (each batch is one transaction); look at the report (r on home), and report this if it repeats',
    level: 'error',
  };
}

const NO_DECISIONS: Decisions = new Map();

const UNDO_QUESTION = (id: string) => ({
  step: id, key: 'undo', message: `Undo step ${id}? The rows it deleted or rewrote are restored from their before-images.`,
});

export function App(props: AppProps) {
  const { backend, asker } = props;
  const size = useTerminalSize(props.size);
  const [screen, setScreen] = useState<Screen>({ kind: 'home' });
  const [tick, setTick] = useState(0);
  const refresh = useCallback(() => setTick((t) => t + 1), []);
  const [help, setHelp] = useState<ScreenName | undefined>();
  const [busy, setBusy] = useState<Busy | undefined>();
  const [question, setQuestion] = useState<PendingQuestion | undefined>(asker?.current());
  const [localQuestion, setLocalQuestion] = useState<{ question: PendingQuestion['question']; onAnswer(ok: boolean): void } | undefined>();
  const [message, setMessage] = useState<Message | undefined>();
  const [phaseDone, setPhaseDone] = useState<string | undefined>();
  const [deployment, setDeployment] = useState<DeploymentInfo[] | undefined>();
  const [lock, setLock] = useState<string | undefined>();
  /** Another runner held the lock at start: nothing but the take-over screen until it is resolved. */
  const [lockConflict, setLockConflict] = useState<LockConflict | undefined>();
  const [interrupted, setInterrupted] = useState<{ step: string; text: string } | undefined>(props.interrupted ?? undefined);
  const [pages, setPages] = useState<Record<string, PageData>>({});
  const [decisions, setDecisions] = useState<Record<string, Decisions>>({});
  const [tables, setTables] = useState<Record<string, TableState>>({});
  const [reportText, setReportText] = useState<string | undefined>();
  /** The step last looked at: home highlights it again. */
  const [lastStep, setLastStep] = useState<string | undefined>();
  const [progress, setProgress] = useState<ProgressState | undefined>();
  const progressRef = useRef<ProgressState | undefined>(undefined);
  const flushTimer = useRef<NodeJS.Timeout | undefined>(undefined);
  const ctrlC = useRef(0);
  const exited = useRef(false);
  const [, setClock] = useState(0);

  const steps = useMemo(() => backend.steps(), [backend, tick]);
  const current = useMemo(() => backend.current()?.def.id, [backend, tick]);
  const stepOf = (id: string): StepView | undefined => steps.find((s) => s.def.id === id);
  const nextOf = (id: string): string | undefined => steps[steps.findIndex((s) => s.def.id === id) + 1]?.def.id;

  const exit = useCallback((code: number, opts?: { hard?: boolean }) => {
    if (exited.current) return;
    exited.current = true;
    asker?.cancel();
    props.onExit(code, opts);
  }, [asker, props.onExit]);

  // ------------------------------------------------------------------ start: deployment, lock, what happened last time
  useEffect(() => {
    let live = true;
    backend.deployment().then((d) => live && setDeployment(d), (err) => live && setMessage(errorMessage(err)));
    backend.lockLine().then((l) => live && setLock(l), () => live && setLock('lock: unknown'));
    backend.lockConflict().then((c) => live && setLockConflict(c), (err) => live && setMessage(errorMessage(err)));
    if (props.interrupted === undefined) {
      backend.interrupted().then((i) => {
        if (!live || !i) return;
        setInterrupted(i);
        setScreen((s) => (s.kind === 'home' ? { kind: 'step', id: i.step } : s));
      }, () => undefined);
    } else if (props.interrupted) {
      setScreen({ kind: 'step', id: props.interrupted.step });
    }
    return () => { live = false; };
  }, [backend]);

  // ------------------------------------------------------------------ questions and events
  useEffect(() => asker?.subscribe((p) => setQuestion(p)), [asker]);

  const flush = useCallback(() => {
    flushTimer.current = undefined;
    setProgress(progressRef.current);
  }, []);
  useEffect(() => backend.on((e) => {
    // Phase 1 ends with a backup: offering another one then would be noise.
    if (e.type === 'phase-done' && e.phase !== '1') setPhaseDone(e.phase);
    if (!progressRef.current) return;
    progressRef.current = progressReducer(progressRef.current, e);
    if (!flushTimer.current) flushTimer.current = setTimeout(flush, props.progressInterval ?? 100);
  }), [backend, flush]);
  useEffect(() => () => { if (flushTimer.current) clearTimeout(flushTimer.current); }, []);
  useEffect(() => {
    if (!busy) return;
    const t = setInterval(() => setClock((c) => c + 1), 1000);
    return () => clearInterval(t);
  }, [busy]);

  // ------------------------------------------------------------------ page data: plan, checks, decisions
  // Loaded when a step's screen shows (again): coming back from the conflict table, the plan
  // is made anew from the decisions just taken.
  const stepId = screen.kind === 'step' ? screen.id : undefined;
  useEffect(() => {
    if (!stepId || busy) return;
    const view = stepOf(stepId);
    if (!view) return;
    let live = true;
    const set = (d: Partial<PageData>) => live && setPages((p) => ({ ...p, [stepId]: { ...p[stepId], ...d } }));
    if (view.def.kind === 'manual') {
      set({ checking: true });
      backend.checks(stepId).then((checks) => set({ checks, checking: false, planError: undefined }),
        (err) => set({ checking: false, planError: errorMessage(err) }));
      if (isSettingsStep(stepId)) {
        backend.snippets(stepId).then((snippets) => set({ snippets, snippetsError: undefined }),
          (err) => set({ snippetsError: errorMessage(err) }));
      }
    } else if (view.implemented) {
      set({ loading: true });
      backend.plan(stepId).then((plan) => set({ plan, loading: false, planError: undefined }),
        (err) => set({ loading: false, planError: errorMessage(err) }));
    }
    if (CONFLICT_STEPS.has(stepId) || stepId === '6.3') {
      const ds = decisionStep(stepId);
      setDecisions((d) => ({ ...d, [ds]: backend.decisions(ds) }));
    }
    return () => { live = false; };
  }, [stepId, tick, busy === undefined]);

  const storedOf = (id: string): Decisions => decisions[decisionStep(id)] ?? NO_DECISIONS;
  const conflictsOf = (id: string) => {
    const remap = remapConflicts(id, pages[id]?.plan);
    if (remap) return { data: remap, decisions: tableDecisions(remap.groups, storedOf(id)), remap: true };
    const data = conflictData(pages[id]?.plan);
    return data ? { data, decisions: storedOf(id), remap: false } : undefined;
  };
  const unknownOf = (id: string) => {
    const list = unknownList(id, pages[id]?.plan);
    return list ? { list, decisions: storedOf(id) } : undefined;
  };

  /** Steps 6.1 / 6.2: the table's choices (member ids) become the modules' decisions. */
  const decideRemap = (id: string, items: DecisionInput[]) => {
    const c = conflictsOf(id);
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
    const c = conflictsOf(id);
    const g = c?.data.groups.find((x) => x.key === key);
    if (!g) return;
    const value = deleteDecision(g, storedOf(id).get(key), member);
    if (!value) {
      setMessage({ text: 'that would leave nothing in the set: at least one member stays (or owns nothing here)', level: 'warn' });
      return;
    }
    decide(id, [{ key, value, source: 'operator' }]);
  };

  const decide = useCallback((id: string, items: DecisionInput[]) => {
    const ds = decisionStep(id);
    try {
      backend.decide(ds, items);
    } catch (err) {
      setMessage(errorMessage(err));
      return;
    }
    setDecisions((d) => {
      const next = new Map<string, DecisionLike>(d[ds] ?? []);
      for (const it of items) next.set(it.key, { value: it.value, source: it.source });
      return { ...d, [ds]: next };
    });
  }, [backend]);

  // ------------------------------------------------------------------ actions
  const go = (s: Screen) => {
    setMessage(undefined);
    if (s.kind === 'step') setLastStep(s.id);
    setScreen(s);
  };

  const finishAction = (id: string) => {
    setBusy(undefined);
    progressRef.current = undefined;
    setProgress(undefined);
    ctrlC.current = 0;
    refresh();
    if (interrupted?.step === id) setInterrupted(undefined);
    if (!backend.current()) setScreen({ kind: 'report', title: 'Report · every step is done' });
  };

  const startBusy = (b: Busy) => {
    setMessage(undefined);
    progressRef.current = initialProgress(b.id);
    setProgress(progressRef.current);
    setBusy(b);
  };

  const runStep = async (id: string, opts: { acceptSuggestions?: boolean } = {}) => {
    const view = stepOf(id);
    if (!view) return;
    const c = conflictsOf(id);
    if (c && decidesBeforeRun(id)) {
      const open = summarize(c.data.groups, c.decisions).open;
      if (open > 0) {
        setMessage({ text: `${num(open)} group(s) are still undecided: nothing is deleted before every group has a survivor`, next: 'enter reviews them; in the table, a accepts every remaining suggestion after a summary', level: 'warn' });
        return;
      }
    }
    const u = unknownOf(id);
    if (u && !opts.acceptSuggestions) {
      const open = openCount(u.list, u.decisions);
      if (open > 0) {
        setMessage({ text: `${num(open)} ${u.list.noun} unknown to astakos have no answer yet`, next: 'l lists them (d / k answer one, a accepts every suggestion); A accepts every suggestion of the step', level: 'warn' });
        return;
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
    finishAction(id);
    setMessage(msg);
  };

  /** Re-checks, then confirms a manual step; says why not when a check fails. */
  const confirmStep = async (id: string): Promise<Message | undefined> => {
    startBusy({ kind: 'confirm', id, title: `${id}  checking before confirming` });
    let msg: Message | undefined;
    try {
      const checks = await backend.checks(id);
      setPages((p) => ({ ...p, [id]: { ...p[id], checks } }));
      const failing = blocking(checks);
      if (failing.length) {
        msg = { text: `${id} cannot be confirmed yet: ${failing.map((c) => c.label).join('; ')} (${failing.length} check(s) fail)`, next: 'do it on the hosts (the commands above), then enter re-checks', level: 'error' };
      } else {
        await backend.confirm(id);
      }
    } catch (err) {
      msg = errorMessage(err);
    }
    finishAction(id);
    setMessage(msg);
    return msg;
  };

  /** Sandbox only: performs manual step ID on the data (where there is something to do), then confirms it. */
  const simulate = async (id: string) => {
    // Nothing to do on the data for this step: s is "confirm".
    if (!SIMULATED_STEPS.has(id)) return void confirmStep(id);
    startBusy({ kind: 'simulate', id, title: `${id}  performing the step in the sandbox` });
    let lines: string[] = [];
    try {
      lines = await backend.simulate(id);
    } catch (err) {
      finishAction(id);
      setMessage(errorMessage(err));
      return;
    }
    setBusy(undefined);
    const failed = await confirmStep(id);
    const result = lines.map((l) => line(` · ${l}`));
    if (failed) {
      setScreen({ kind: 'result', title: `${id} performed in the sandbox, but not confirmed`, lines: [...result, line(''), ...messageLinesOf(failed)], back: { kind: 'step', id } });
    } else {
      setScreen({ kind: 'result', title: `${id} performed in the sandbox and confirmed`, lines: result, back: { kind: 'step', id } });
    }
  };

  const backupNow = async (back: Screen) => {
    startBusy({ kind: 'backup', id: 'backup', title: 'Backing up every database' });
    try {
      const lines = await backend.backup(phaseDone ? `phase${phaseDone}` : 'manual');
      setPhaseDone(undefined);
      finishAction('backup');
      setScreen({ kind: 'result', title: 'Backup done', lines: lines.map((l) => line(` ✓ ${l}`)), back });
    } catch (err) {
      finishAction('backup');
      setMessage(errorMessage(err));
    }
  };

  /** `A`: shows what accepting every suggestion of ID would do, then (on y) runs it that way. */
  const acceptAll = async (id: string) => {
    setMessage(undefined);
    let view: PlanView;
    try {
      view = await backend.plan(id, { acceptSuggestions: true });
    } catch (err) {
      setMessage(errorMessage(err));
      return;
    }
    if (view.plan.open) {
      setMessage({ text: `${id}: ${num(view.plan.open)} item(s) stay open even when every suggestion is taken`, next: `see snf-upgrade plan ${id}; answer them in --answers`, level: 'error' });
      return;
    }
    const detail = [...view.plan.summary.slice(0, 8), ...(view.plan.summary.length > 8 ? [`… and ${view.plan.summary.length - 8} more (snf-upgrade plan ${id})`] : [])];
    setLocalQuestion({
      question: { step: id, key: 'accept-suggestions', message: `Accept every suggestion of step ${id} (${num(pages[id]?.plan?.plan.open ?? 0)} open) and run it?`, detail },
      onAnswer: (ok) => {
        setLocalQuestion(undefined);
        if (!ok) { setMessage({ text: `${id}: nothing accepted; nothing changed`, level: 'info' }); return; }
        void runStep(id, { acceptSuggestions: true });
      },
    });
  };

  /** t on the lock screen: confirm (typing "take over" when the holder looks alive), then take the lock. */
  const takeOver = (c: LockConflict) => {
    setMessage(undefined);
    const holder = c.holders[0];
    setLocalQuestion({
      question: {
        step: 'lock', key: 'take-over',
        message: `Take the lock over from ${holder ? `${holder.command} (pid ${holder.pid} on ${holder.host})` : 'its holder'}?`,
        detail: [c.verdict, 'its database sessions are ended: a batch it has open rolls back; its own state file lock is replaced'],
        typeToConfirm: c.stale ? undefined : 'take over',
      },
      onAnswer: (ok) => {
        setLocalQuestion(undefined);
        if (!ok) { setMessage({ text: 'the lock was not taken over; nothing changed', level: 'info' }); return; }
        backend.takeOver().then(async () => {
          setLockConflict(undefined);
          setLock(await backend.lockLine().catch(() => 'lock: unknown'));
          setMessage({ text: `took the lock over from ${holder ? `pid ${holder.pid} on ${holder.host}` : 'its holder'}`, level: 'info' });
          refresh();
        }, (err) => setMessage(errorMessage(err)));
      },
    });
  };

  const undoStep = (id: string) => {
    setLocalQuestion({
      question: UNDO_QUESTION(id),
      onAnswer: async (ok) => {
        setLocalQuestion(undefined);
        if (!ok) { setMessage({ text: `${id} was not undone; nothing changed`, level: 'info' }); return; }
        startBusy({ kind: 'undo', id, title: `${id}  undo` });
        let msg: Message | undefined;
        try {
          const r = await backend.undo(id);
          msg = { text: `${id} undone: ${r.summary.join('; ')}`, level: 'info' };
        } catch (err) {
          msg = errorMessage(err);
        }
        finishAction(id);
        setMessage(msg);
      },
    });
  };

  // ------------------------------------------------------------------ ctrl-c, and ? while busy
  useKeys((input, key) => {
    if (key.ctrl && input === 'c') {
      if (!busy) return exit(0);
      ctrlC.current++;
      if (ctrlC.current >= 2) return exit(130, { hard: true });
      if (busy.kind === 'run') {
        backend.requestStop();
        asker?.cancel();
      }
      if (progressRef.current) {
        progressRef.current = progressReducer(progressRef.current, { type: 'stop-requested' });
        setProgress(progressRef.current);
      }
      return;
    }
    if (busy && !question && !help && input === '?') setHelp('progress');
  }, true);

  // ------------------------------------------------------------------ render
  const overlay = !!help;
  const active = !overlay;
  let body: ReactElement;
  let name: ScreenName = 'home';
  const shownQuestion = question ?? localQuestion;
  if (question?.kind === 'text') {
    name = 'text';
    body = (
      <Ask key={`${question.question.step}:${question.question.key}`} question={question.question} size={size} active={active}
        onReply={(text) => question.reply(text)} onHelp={() => setHelp('text')} />
    );
  } else if (shownQuestion) {
    name = shownQuestion.question.typeToConfirm !== undefined ? 'confirm' : 'question';
    body = (
      <Confirm
        key={`${shownQuestion.question.step}:${shownQuestion.question.key}`}
        question={shownQuestion.question}
        backupNote={shownQuestion.question.dangerous ? backend.latestBackup() : undefined}
        undoNote={shownQuestion.question.dangerous && backend.canUndo(shownQuestion.question.step) ? `Before-images are kept: undo ${shownQuestion.question.step} restores them (u on the step's screen).` : undefined}
        size={size}
        active={active}
        onAnswer={(ok) => (question ? question.answer(ok) : localQuestion?.onAnswer(ok))}
        onHelp={() => setHelp(name)}
      />
    );
  } else if (lockConflict) {
    name = 'lock';
    body = <LockScreen conflict={lockConflict} message={message} size={size} active={active}
      onTakeOver={() => takeOver(lockConflict)} onQuit={() => exit(1)} onHelp={() => setHelp('lock')} />;
  } else if (busy && progress) {
    name = 'progress';
    body = <Progress title={busy.title} state={progress} size={size}
      hint={busy.kind === 'run' ? undefined : 'ctrl-c twice quits now (what is half done is discarded; nothing changes in the databases)'} />;
  } else if (screen.kind === 'home') {
    name = 'home';
    body = (
      <Home
        statePath={backend.statePath} deployment={deployment} lock={lock} steps={steps} currentId={current}
        initialId={lastStep && stepOf(lastStep)?.record.status !== 'done' ? lastStep : current}
        interrupted={interrupted?.text} message={message} size={size} active={active}
        onOpen={(id) => go({ kind: 'step', id })}
        onReport={() => { setReportText(undefined); go({ kind: 'report' }); }}
        onBackup={() => void backupNow({ kind: 'home' })}
        onHelp={() => setHelp('home')}
        onQuit={() => exit(0)}
      />
    );
  } else if (screen.kind === 'step') {
    const view = stepOf(screen.id)!;
    const page = pages[screen.id] ?? {};
    const id = screen.id;
    name = view.def.kind === 'manual' ? 'manual' : 'step';
    body = (
      <StepScreen
        key={id}
        view={view} plan={page.plan} loading={page.loading} planError={page.planError}
        checks={page.checks} checking={page.checking} snippets={page.snippets} snippetsError={page.snippetsError} conflicts={conflictsOf(id)}
        unknown={(() => { const u = unknownOf(id); return u ? { total: u.list.items.length, open: openCount(u.list, u.decisions), noun: u.list.noun } : undefined; })()}
        onUnknown={() => go({ kind: 'unknown', id })}
        onAcceptAll={() => void acceptAll(id)}
        unmet={view.def.needs.map((n) => stepOf(n)!).filter((s) => s.record.status !== 'done' && s.record.status !== 'skipped')
          .map((s) => `${s.def.id} (${s.def.title}) is ${s.record.status}`)}
        sandbox={backend.sandbox} canUndo={backend.canUndo(id)}
        notice={interrupted?.step === id ? interrupted.text : undefined}
        message={message} phaseDone={phaseDone} nextId={nextOf(id)} currentId={current} size={size} active={active}
        onRun={() => void runStep(id)}
        onReview={() => go({ kind: 'conflicts', id })}
        onConfirm={() => void confirmStep(id)}
        onRecheck={() => { setMessage(undefined); refresh(); }}
        onSimulate={() => void simulate(id)}
        onUndo={() => undoStep(id)}
        onNext={() => { const n = nextOf(id); setPhaseDone(undefined); if (n) go({ kind: 'step', id: n }); }}
        onBackup={() => void backupNow({ kind: 'step', id })}
        onBack={() => go({ kind: 'home' })}
        onHelp={() => setHelp(name)}
      />
    );
  } else if (screen.kind === 'conflicts') {
    const id = screen.id;
    const c = conflictsOf(id);
    name = 'conflicts';
    body = c ? (
      <ConflictTable
        stepId={id} groups={c.data.groups} decisions={c.decisions}
        state={tables[id] ?? initialTable()}
        setState={(update) => setTables((t) => ({ ...t, [id]: update(t[id] ?? initialTable()) }))}
        size={size} active={active}
        onDecide={(items) => (c.remap ? decideRemap(id, items) : decide(id, items))}
        onDelete={c.remap ? (key, member) => deleteMember(id, key, member) : undefined}
        onBack={() => go({ kind: 'step', id })}
        onHelp={() => setHelp('conflicts')}
      />
    ) : (
      <Pager title={`${id} conflicts`} lines={[line(pages[id]?.loading ? ' looking at the databases…' : ' no conflict list for this step (yet)')]} size={size} active={active} onBack={() => go({ kind: 'step', id })} />
    );
  } else if (screen.kind === 'unknown') {
    const id = screen.id;
    const u = unknownOf(id);
    name = 'unknown';
    body = u ? (
      <UnknownList list={u.list} decisions={u.decisions} size={size} active={active}
        onFind={id === '6.3' ? (q) => backend.findUser(q) : undefined}
        onDecide={(items) => decide(id, items)} onBack={() => go({ kind: 'step', id })} onHelp={() => setHelp('unknown')} />
    ) : (
      <Pager title={`${id} unknown identifiers`} lines={[line(pages[id]?.loading ? ' looking at the databases…' : ' nothing unknown to astakos here')]} size={size} active={active} onBack={() => go({ kind: 'step', id })} />
    );
  } else if (screen.kind === 'report') {
    name = 'report';
    body = <ReportScreen backend={backend} title={screen.title ?? 'Report'} text={reportText} setText={setReportText} size={size} active={active}
      onBack={() => go({ kind: 'home' })} onHelp={() => setHelp('report')} />;
  } else {
    name = 'result';
    const back = screen.back;
    body = <Pager title={screen.title} lines={screen.lines} size={size} active={active} backLabel="continue" onBack={() => go(back)} />;
  }

  return (
    <Box flexDirection="column" width={size.columns}>
      {help && <Help screen={help} size={size} active={true} onClose={() => setHelp(undefined)} />}
      <Box display={overlay ? 'none' : 'flex'} flexDirection="column">{body}</Box>
    </Box>
  );
}

function ReportScreen(p: { backend: Backend; title: string; text?: string; setText(t: string): void; size: Size; active: boolean; onBack(): void; onHelp(): void }) {
  useEffect(() => {
    if (p.text !== undefined) return;
    p.backend.report().then((t) => p.setText(alignTables(t, p.size.columns - 2)), (err) => {
      const m = errorMessage(err);
      p.setText(`✗ ${m.text}\n  next: ${m.next ?? ''}`);
    });
  }, [p.backend, p.text]);
  return <Pager title={p.title} text={p.text} size={p.size} active={p.active} onBack={p.onBack} onHelp={p.onHelp} />;
}
