// The wizard's state: which screen shows, what runs, what each step's page has loaded and the
// operator's decisions as shown. A pure reducer (tested without Ink), the pure views App reads
// from it, and useWizard: the reducer plus the effects that feed it from the engine.
import { useEffect, useMemo, useReducer, useRef, useState } from 'react';
import type { Check, Decision, Decisions } from '../core/step.js';
import type { DeploymentInfo, EngineEvent, PlanView, StepView } from '../engine/index.js';
import type { Backend, DecisionInput, LockConflict } from '../engine/session.js';
import { describeError } from '../format.js';
import type { SnippetSet } from '../runbook/settings.js';
import { phaseBacksUp as runbookPhaseBacksUp } from '../runbook/steps.js';
import type { PendingQuestion, UiAsker } from './asker.js';
import type { StyledLine } from './components/common.js';
import type { Message } from './components/Home.js';
import { initialTable, type TableState } from './conflicts/model.js';
import { conflictData } from './conflicts/data.js';
import { remapConflicts, tableDecisions } from './conflicts/remap.js';
import { decisionStep, type ConflictData, type TableDecisions } from './conflicts/types.js';
import { unknownList, type UnknownList } from './conflicts/unknown.js';
import type { ScreenName } from './keys.js';
import { initialProgress, progressReducer, type ProgressState } from './progress-model.js';

export type Screen =
  | { kind: 'home' }
  | { kind: 'step'; id: string }
  | { kind: 'conflicts'; id: string }
  | { kind: 'unknown'; id: string }
  | { kind: 'report'; title?: string }
  | { kind: 'restore' }
  | { kind: 'result'; title: string; lines: StyledLine[]; back: Screen };

export interface Busy { kind: 'run' | 'backup' | 'simulate' | 'confirm' | 'undo'; id: string; title: string }

export interface PageData {
  plan?: PlanView;
  planError?: Message;
  loading?: boolean;
  checks?: Check[];
  checking?: boolean;
  /** Steps with settings snippets: the lines to paste (kept in memory only: they carry tokens). */
  snippets?: SnippetSet;
  snippetsError?: Message;
}

/** A question the wizard asks itself (accept all, take over, undo), shown like the engine's. */
export interface LocalQuestion { question: PendingQuestion['question']; onAnswer(ok: boolean): void }

export interface Interrupted { step: string; text: string }

export interface WizardState {
  screen: Screen;
  /** The step last looked at: home highlights it again. */
  lastStep?: string;
  help?: ScreenName;
  busy?: Busy;
  message?: Message;
  /** A phase just finished (one that does not end with its own backup): a fresh backup is offered. */
  phaseDone?: string;
  deployment?: DeploymentInfo[];
  lock?: string;
  /** Another runner held the lock at start: nothing but the take-over screen until it is resolved. */
  lockConflict?: LockConflict;
  /** What the last session left half done. */
  interrupted?: Interrupted;
  pages: Record<string, PageData>;
  /** The decisions shown, per step that stores them. */
  decisions: Record<string, Decisions>;
  tables: Record<string, TableState>;
  reportText?: string;
  localQuestion?: LocalQuestion;
  /** Bumped to read the steps anew (and reload the page shown). */
  tick: number;
}

export type WizardAction =
  /** Opens a screen: the message goes, a step is remembered for home. */
  | { type: 'go'; screen: Screen }
  /** Shows a screen as it is (a result, the report at the end). */
  | { type: 'show'; screen: Screen }
  | { type: 'message'; message?: Message }
  | { type: 'help'; screen?: ScreenName }
  | { type: 'deployment'; deployment: DeploymentInfo[] }
  | { type: 'lock'; line: string }
  | { type: 'lockConflict'; conflict?: LockConflict }
  /** What the last session left half done: its step opens, unless another screen already shows. */
  | { type: 'interrupted'; interrupted: Interrupted }
  | { type: 'phaseDone'; phase?: string }
  | { type: 'page'; id: string; data: Partial<PageData> }
  | { type: 'decisions'; step: string; decisions: Decisions }
  | { type: 'decided'; step: string; items: DecisionInput[] }
  | { type: 'table'; id: string; update(t: TableState): TableState }
  | { type: 'report'; text?: string }
  | { type: 'ask'; question?: LocalQuestion }
  /** Something starts running: the message goes. */
  | { type: 'busy'; busy: Busy }
  | { type: 'idle' }
  /** Step ID's action ended: the steps are read anew; every step done opens the report. */
  | { type: 'finished'; id: string; allDone: boolean; message?: Message }
  | { type: 'refresh' };

export function initialWizard(interrupted?: Interrupted | null, opening?: WizardOptions['opening']): WizardState {
  const start: Screen = interrupted ? { kind: 'step', id: interrupted.step } : { kind: 'home' };
  return {
    screen: opening ? { kind: 'result', title: opening.title, lines: opening.lines.map((text) => ({ text: ` ${text}` })), back: start } : start,
    interrupted: interrupted ?? undefined,
    pages: {}, decisions: {}, tables: {}, tick: 0,
  };
}

export function wizardReducer(s: WizardState, a: WizardAction): WizardState {
  switch (a.type) {
    case 'go': return { ...s, message: undefined, screen: a.screen, lastStep: a.screen.kind === 'step' ? a.screen.id : s.lastStep };
    case 'show': return { ...s, screen: a.screen };
    case 'message': return { ...s, message: a.message };
    case 'help': return { ...s, help: a.screen };
    case 'deployment': return { ...s, deployment: a.deployment };
    case 'lock': return { ...s, lock: a.line };
    case 'lockConflict': return { ...s, lockConflict: a.conflict };
    case 'interrupted':
      return { ...s, interrupted: a.interrupted, screen: s.screen.kind === 'home' ? { kind: 'step', id: a.interrupted.step } : s.screen };
    case 'phaseDone': return { ...s, phaseDone: a.phase };
    case 'page': return { ...s, pages: { ...s.pages, [a.id]: { ...s.pages[a.id], ...a.data } } };
    case 'decisions': return { ...s, decisions: { ...s.decisions, [a.step]: a.decisions } };
    case 'decided': {
      const next = new Map<string, Decision>(s.decisions[a.step] ?? []);
      for (const it of a.items) next.set(it.key, { value: it.value, source: it.source });
      return { ...s, decisions: { ...s.decisions, [a.step]: next } };
    }
    case 'table': return { ...s, tables: { ...s.tables, [a.id]: a.update(s.tables[a.id] ?? initialTable()) } };
    case 'report': return { ...s, reportText: a.text };
    case 'ask': return { ...s, localQuestion: a.question };
    case 'busy': return { ...s, message: undefined, busy: a.busy };
    case 'idle': return { ...s, busy: undefined };
    case 'finished': return {
      ...s,
      busy: undefined,
      tick: s.tick + 1,
      message: a.message,
      interrupted: s.interrupted?.step === a.id ? undefined : s.interrupted,
      screen: a.allDone ? { kind: 'report', title: 'Report · every step is done' } : s.screen,
    };
    case 'refresh': return { ...s, tick: s.tick + 1 };
  }
}

// ---------------------------------------------------------------------------- views of the state

const NO_DECISIONS: Decisions = new Map();

/** The decisions step ID reads (its decision table's step, else its own). */
export const storedOf = (s: WizardState, id: string): Decisions => s.decisions[decisionStep(id)] ?? NO_DECISIONS;

export interface ConflictsView { data: ConflictData; decisions: TableDecisions; remap: boolean }

/** Step VIEW's conflict table, when it has one and its plan carries the groups (users) or sets (sets). */
export function conflictsOf(s: WizardState, view: StepView | undefined): ConflictsView | undefined {
  const table = view?.def.decisions;
  if (!view || !table) return undefined;
  const id = view.def.id;
  const plan = s.pages[id]?.plan;
  if (table.kind === 'sets') {
    const remap = remapConflicts(id, plan);
    return remap && { data: remap, decisions: tableDecisions(remap.groups, storedOf(s, id)), remap: true };
  }
  const data = conflictData(plan);
  return data && { data, decisions: storedOf(s, id), remap: false };
}

/** Step ID's identifiers unknown to astakos, when its plan lists any. */
export function unknownOf(s: WizardState, id: string): { list: UnknownList; decisions: Decisions } | undefined {
  const list = unknownList(id, s.pages[id]?.plan);
  return list ? { list, decisions: storedOf(s, id) } : undefined;
}

/** Whether PHASE ends with a backup of its own (a second one is not offered then). */
export const phaseBacksUp = (steps: StepView[], phase: string): boolean => runbookPhaseBacksUp(phase, steps.map((v) => v.def));

/** An error as the operator sees it: the message and the next action, never a stack. */
export function errorMessage(err: unknown): Message {
  const e = describeError(err, 'nothing half-done was kept (each batch is one transaction); look at the report (r on home), and report this if it repeats');
  return { text: e.text, next: e.next, level: 'error', details: e.details.length ? e.details.slice(0, 5) : undefined };
}

// ---------------------------------------------------------------------------- the hook

/** Progress of what runs, redrawn at most every INTERVAL ms however fast the engine reports. */
export interface ProgressHandle {
  state?: ProgressState;
  start(id: string): void;
  stop(): void;
  /** Applies an event at once (ctrl-c: "stopping…" shows without waiting). */
  now(e: EngineEvent | { type: 'stop-requested' }): void;
}

function useProgress(backend: Backend, interval: number, onEvent: (e: EngineEvent) => void): ProgressHandle {
  const [state, setState] = useState<ProgressState | undefined>();
  const ref = useRef<ProgressState | undefined>(undefined);
  const timer = useRef<NodeJS.Timeout | undefined>(undefined);
  const handler = useRef(onEvent);
  handler.current = onEvent;
  useEffect(() => backend.on((e) => {
    handler.current(e);
    if (!ref.current) return;
    ref.current = progressReducer(ref.current, e);
    timer.current ??= setTimeout(() => { timer.current = undefined; setState(ref.current); }, interval);
  }), [backend]);
  useEffect(() => () => { if (timer.current) clearTimeout(timer.current); }, []);
  const set = (p: ProgressState | undefined) => { ref.current = p; setState(p); };
  return {
    state,
    start: (id) => set(initialProgress(id)),
    stop: () => set(undefined),
    now: (e) => { if (ref.current) set(progressReducer(ref.current, e)); },
  };
}

export interface WizardOptions {
  interrupted?: Interrupted | null;
  asker?: UiAsker;
  progressInterval?: number;
  /** A result shown first (what a restore before this session did). */
  opening?: { title: string; lines: string[] };
}

/** The wizard's state and what feeds it: the start-up reads, the engine's questions and events, each page's data. */
export function useWizard(backend: Backend, opts: WizardOptions) {
  const [state, dispatch] = useReducer(wizardReducer, opts, (o) => initialWizard(o.interrupted, o.opening));
  const [question, setQuestion] = useState<PendingQuestion | undefined>(opts.asker?.current());
  const steps = useMemo(() => backend.steps(), [backend, state.tick]);
  const current = useMemo(() => backend.current()?.def.id, [backend, state.tick]);
  const stepsRef = useRef(steps);
  stepsRef.current = steps;
  const progress = useProgress(backend, opts.progressInterval ?? 100, (e) => {
    if (e.type === 'phase-done' && !phaseBacksUp(stepsRef.current, e.phase)) dispatch({ type: 'phaseDone', phase: e.phase });
  });
  const [, setClock] = useState(0);

  // Start: the deployment, the lock, what happened last time.
  useEffect(() => {
    let live = true;
    const fail = (err: unknown) => live && dispatch({ type: 'message', message: errorMessage(err) });
    backend.deployment().then((deployment) => live && dispatch({ type: 'deployment', deployment }), fail);
    backend.lockLine().then((l) => live && dispatch({ type: 'lock', line: l }), () => live && dispatch({ type: 'lock', line: 'lock: unknown' }));
    backend.lockConflict().then((conflict) => live && dispatch({ type: 'lockConflict', conflict }), fail);
    if (opts.interrupted === undefined) {
      backend.interrupted().then((i) => { if (live && i) dispatch({ type: 'interrupted', interrupted: i }); }, () => undefined);
    }
    return () => { live = false; };
  }, [backend]);

  // The header follows what the steps did: each schema's release read again once a step ends.
  useEffect(() => {
    if (!state.tick || state.busy) return;
    let live = true;
    backend.deployment().then((deployment) => live && dispatch({ type: 'deployment', deployment }), () => undefined);
    return () => { live = false; };
  }, [backend, state.tick, state.busy]);

  useEffect(() => opts.asker?.subscribe((p) => setQuestion(p)), [opts.asker]);

  // While something runs, the elapsed time redraws every second.
  useEffect(() => {
    if (!state.busy) return;
    const t = setInterval(() => setClock((c) => c + 1), 1000);
    return () => clearInterval(t);
  }, [state.busy]);

  // A step's page data, loaded when its screen shows (again): coming back from the conflict
  // table, the plan is made anew from the decisions just taken.
  const stepId = state.screen.kind === 'step' ? state.screen.id : undefined;
  useEffect(() => {
    if (!stepId || state.busy) return;
    const view = stepsRef.current.find((s) => s.def.id === stepId);
    if (!view) return;
    let live = true;
    const set = (data: Partial<PageData>) => live && dispatch({ type: 'page', id: stepId, data });
    if (view.def.kind === 'manual') {
      set({ checking: true });
      backend.checks(stepId).then((checks) => set({ checks, checking: false, planError: undefined }),
        (err) => set({ checking: false, planError: errorMessage(err) }));
      if (view.def.snippets) {
        backend.snippets(stepId).then((snippets) => set({ snippets, snippetsError: undefined }),
          (err) => set({ snippetsError: errorMessage(err) }));
      }
    } else if (view.implemented) {
      set({ loading: true });
      backend.plan(stepId).then((plan) => set({ plan, loading: false, planError: undefined }),
        (err) => set({ loading: false, planError: errorMessage(err) }));
    }
    if (view.def.decisions || view.def.unknown) {
      const step = decisionStep(stepId);
      dispatch({ type: 'decisions', step, decisions: backend.decisions(step) });
    }
    return () => { live = false; };
  }, [stepId, state.tick, state.busy === undefined]);

  return { state, dispatch, steps, current, question, progress };
}
