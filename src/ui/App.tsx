// The wizard: which screen shows. Its state is the reducer of ./wizard.ts, what its keys set off
// in the engine is ./actions.ts; screens are thin components in ./components.
import { Box } from 'ink';
import { useEffect, useRef, type ReactElement } from 'react';
import type { RestorePlan } from '../engine/restore.js';
import type { Backend } from '../engine/session.js';
import { wizardActions } from './actions.js';
import type { UiAsker } from './asker.js';
import { Ask } from './components/Ask.js';
import { KeysProvider, line, useKeys, useTerminalSize, type Size } from './components/common.js';
import { Confirm } from './components/Confirm.js';
import { ConflictTable } from './components/ConflictTable.js';
import { Help } from './components/Help.js';
import { Home } from './components/Home.js';
import { LockScreen } from './components/LockScreen.js';
import { Pager } from './components/Pager.js';
import { Progress } from './components/Progress.js';
import { RestoreScreen } from './components/RestoreScreen.js';
import { StepScreen } from './components/StepScreen.js';
import { UnknownList } from './components/UnknownList.js';
import { initialTable } from './conflicts/model.js';
import { openCount } from './conflicts/unknown.js';
import { alignTables } from './format.js';
import type { ScreenName } from './keys.js';
import { conflictsOf, errorMessage, unknownOf, useWizard, type Interrupted } from './wizard.js';

export { errorMessage };
export type { Screen } from './wizard.js';

export interface AppProps {
  backend: Backend;
  asker?: UiAsker;
  /** A fixed terminal size (tests); otherwise the terminal's, following resizes. */
  size?: Size;
  /** What the last session left half done: undefined = ask the backend; null = nothing. */
  interrupted?: Interrupted | null;
  /** Called once when the operator quits; HARD when a step was still running (ctrl-c twice). */
  onExit(code: number, opts?: { hard?: boolean }): void;
  /** How often progress redraws at most (ms). */
  progressInterval?: number;
  /** The operator confirmed a restore: the front end closes this session, restores, and opens the wizard again. */
  onRestore?(plan: RestorePlan): void;
  /** A result to open on (what the restore before this session did). */
  opening?: { title: string; lines: string[] };
}

export function App(props: AppProps) {
  const { backend, asker } = props;
  const size = useTerminalSize(props.size);
  const { state, dispatch, steps, current, question, progress } = useWizard(backend, props);
  const ctrlC = useRef(0);
  const exited = useRef(false);
  const act = wizardActions({ backend, state, dispatch, steps, progress, onFinish: () => { ctrlC.current = 0; },
    onRestore: props.onRestore && ((plan) => { exited.current = true; props.onRestore!(plan); }) });
  const { screen, help, busy, message } = state;
  const stepOf = (id: string) => steps.find((s) => s.def.id === id);
  const nextOf = (id: string) => steps[steps.findIndex((s) => s.def.id === id) + 1]?.def.id;
  const go = (s: typeof screen) => dispatch({ type: 'go', screen: s });
  const setHelp = (s?: ScreenName) => dispatch({ type: 'help', screen: s });

  const exit = (code: number, opts?: { hard?: boolean }) => {
    if (exited.current) return;
    exited.current = true;
    asker?.cancel();
    props.onExit(code, opts);
  };

  // ctrl-c: quits when idle; while a step runs, asks it to stop between batches (twice: quits now).
  useKeys((input, key) => {
    if (key.ctrl && input === 'c') {
      if (!busy) return exit(0);
      ctrlC.current++;
      if (ctrlC.current >= 2) return exit(130, { hard: true });
      if (busy.kind === 'run') {
        backend.requestStop();
        asker?.cancel();
      }
      progress.now({ type: 'stop-requested' });
      return;
    }
    if (busy && !question && !help && input === '?') setHelp('progress');
  }, true);

  const active = !help;
  let body: ReactElement;
  const shown = question ?? state.localQuestion;
  if (question?.kind === 'text') {
    body = <Ask key={`${question.question.step}:${question.question.key}`} question={question.question} size={size} active={active}
      onReply={(text) => question.reply(text)} onHelp={() => setHelp('text')} />;
  } else if (shown) {
    const q = shown.question;
    const helpName: ScreenName = q.typeToConfirm !== undefined ? 'confirm' : 'question';
    body = <Confirm key={`${q.step}:${q.key}`} question={q} size={size} active={active}
      backupNote={q.dangerous ? backend.latestBackup() : undefined}
      undoNote={q.dangerous && backend.canUndo(q.step) ? `Before-images are kept: undo ${q.step} restores them (u on the step's screen).` : undefined}
      onAnswer={(ok) => (question ? question.answer(ok) : state.localQuestion?.onAnswer(ok))} onHelp={() => setHelp(helpName)} />;
  } else if (state.lockConflict) {
    const conflict = state.lockConflict;
    body = <LockScreen conflict={conflict} message={message} size={size} active={active}
      onTakeOver={() => act.takeOver(conflict)} onQuit={() => exit(1)} onHelp={() => setHelp('lock')} />;
  } else if (busy && progress.state) {
    body = <Progress title={busy.title} state={progress.state} size={size}
      hint={busy.kind === 'run' ? undefined : 'ctrl-c twice quits now (what is half done is discarded; nothing changes in the databases)'} />;
  } else if (screen.kind === 'home') {
    const last = state.lastStep;
    body = <Home statePath={backend.statePath} deployment={state.deployment} lock={state.lock} steps={steps} currentId={current}
      initialId={last && stepOf(last)?.record.status !== 'done' ? last : current}
      interrupted={state.interrupted?.text} message={message} size={size} active={active}
      onOpen={(id) => go({ kind: 'step', id })}
      onReport={() => { dispatch({ type: 'report', text: undefined }); go({ kind: 'report' }); }}
      onBackup={() => void act.backupNow({ kind: 'home' })}
      onVerify={() => void act.verifyNow({ kind: 'home' })}
      onRestore={() => go({ kind: 'restore' })} onFinish={() => void act.finishAsk()} finishedAt={backend.finishedAt()}
      onHelp={() => setHelp('home')} onQuit={() => exit(0)} />;
  } else if (screen.kind === 'step') {
    const id = screen.id;
    const view = stepOf(id)!;
    const page = state.pages[id] ?? {};
    const u = unknownOf(state, id);
    const stepName: ScreenName = view.def.kind === 'manual' ? 'manual' : 'step';
    body = <StepScreen key={id} view={view} plan={page.plan} loading={page.loading} planError={page.planError}
      checks={page.checks} checking={page.checking} snippets={page.snippets} snippetsError={page.snippetsError}
      conflicts={conflictsOf(state, view)}
      unknown={u ? { total: u.list.items.length, open: openCount(u.list, u.decisions), noun: u.list.noun } : undefined}
      unmet={view.def.needs.map((n) => stepOf(n)!).filter((s) => s.record.status !== 'done' && s.record.status !== 'skipped')
        .map((s) => `${s.def.id} (${s.def.title}) is ${s.record.status}`)}
      sandbox={backend.sandbox} canUndo={backend.canUndo(id)}
      notice={state.interrupted?.step === id ? state.interrupted.text : undefined}
      message={message} phaseDone={state.phaseDone} nextId={nextOf(id)} currentId={current} size={size} active={active}
      onUnknown={() => go({ kind: 'unknown', id })}
      onAcceptAll={() => void act.acceptAll(id)}
      onRun={() => void act.runStep(id)}
      onReview={() => go({ kind: 'conflicts', id })}
      onConfirm={() => void act.confirmStep(id)}
      onRecheck={() => { dispatch({ type: 'message', message: undefined }); dispatch({ type: 'refresh' }); }}
      onSimulate={() => void act.simulate(id)}
      onUndo={() => act.undoStep(id)}
      onNext={() => { const n = nextOf(id); dispatch({ type: 'phaseDone', phase: undefined }); if (n) go({ kind: 'step', id: n }); }}
      onBackup={() => void act.backupNow({ kind: 'step', id })} onWrite={() => void act.writeSnippets(id)}
      onVerify={view.def.verifiesDeployment ? () => void act.verifyNow({ kind: 'step', id }) : undefined}
      onBack={() => go({ kind: 'home' })}
      onHelp={() => setHelp(stepName)} />;
  } else if (screen.kind === 'conflicts') {
    const id = screen.id;
    const c = conflictsOf(state, stepOf(id));
    body = c ? (
      <ConflictTable stepId={id} groups={c.data.groups} decisions={c.decisions} state={state.tables[id] ?? initialTable()}
        setState={(update) => dispatch({ type: 'table', id, update })} size={size} active={active}
        onDecide={(items) => (c.remap ? act.decideRemap(id, items) : act.decide(id, items))}
        onDelete={c.remap ? (key, member) => act.deleteMember(id, key, member) : undefined}
        onBack={() => go({ kind: 'step', id })} onHelp={() => setHelp('conflicts')} />
    ) : (
      <Pager title={`${id} conflicts`} lines={[line(state.pages[id]?.loading ? ' looking at the databases…' : ' no conflict list for this step (yet)')]} size={size} active={active} onBack={() => go({ kind: 'step', id })} />
    );
  } else if (screen.kind === 'unknown') {
    const id = screen.id;
    const u = unknownOf(state, id);
    body = u ? (
      <UnknownList list={u.list} decisions={u.decisions} size={size} active={active}
        onFind={u.list.mapToUser ? (q) => backend.findUser(q) : undefined}
        onDecide={(items) => act.decide(id, items)} onBack={() => go({ kind: 'step', id })} onHelp={() => setHelp('unknown')} />
    ) : (
      <Pager title={`${id} unknown identifiers`} lines={[line(state.pages[id]?.loading ? ' looking at the databases…' : ' nothing unknown to astakos here')]} size={size} active={active} onBack={() => go({ kind: 'step', id })} />
    );
  } else if (screen.kind === 'restore') {
    body = <RestoreScreen choices={backend.restoreChoices()} message={message} size={size} active={active}
      onChoose={(label) => void act.restoreAsk(label)} onBack={() => go({ kind: 'home' })} onHelp={() => setHelp('restore')} />;
  } else if (screen.kind === 'report') {
    body = <ReportScreen backend={backend} title={screen.title ?? 'Report'} text={state.reportText} setText={(text) => dispatch({ type: 'report', text })}
      size={size} active={active} onBack={() => go({ kind: 'home' })} onHelp={() => setHelp('report')} />;
  } else {
    const back = screen.back;
    body = <Pager title={screen.title} lines={screen.lines} size={size} active={active} backLabel="continue" onBack={() => go(back)} />;
  }

  return (
    <KeysProvider>
      <Box flexDirection="column" width={size.columns}>
        {help && <Help screen={help} size={size} active={true} onClose={() => setHelp(undefined)} />}
        <Box display={help ? 'none' : 'flex'} flexDirection="column">{body}</Box>
      </Box>
    </KeysProvider>
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
