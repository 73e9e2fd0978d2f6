// One screen per step: what it does and why, what the tool found and would change, the
// errata, then the action. Manual steps show the commands per host and their checks.
import { Box } from 'ink';
import { useMemo, useState } from 'react';
import { blocking, type Check, type TableChange } from '../../core/step.js';
import { checkLine } from '../../format.js';
import type { PlanView, StepView } from '../../engine/index.js';
import type { SnippetSet } from '../../runbook/settings.js';
import { phaseTitle, type DecisionTable } from '../../runbook/steps.js';
import { summarize } from '../conflicts/model.js';
import type { ConflictData, TableDecisions } from '../conflicts/types.js';
import { num, spread, when } from '../format.js';
import { listHandle, useListState } from '../list.js';
import { snippetLines } from '../snippets.js';
import { KeyBar, line, Lines, messageLines, wrapLines, type Size, type StyledLine, useKeys } from './common.js';
import type { Message } from './Home.js';

export interface StepScreenProps {
  view: StepView;
  /** `v` on the step that ends the upgrade: the deployment checked as a whole. */
  onVerify?(): void;
  plan?: PlanView;
  loading?: boolean;
  /** Why the plan could not be made. */
  planError?: Message;
  /** Manual steps: the checks that gate confirm (undefined while checking). */
  checks?: Check[];
  checking?: boolean;
  /** Steps 3.3–3.6: the settings to paste (undefined while loading), or why they are missing. */
  snippets?: SnippetSet;
  snippetsError?: Message;
  conflicts?: { data: ConflictData; decisions: TableDecisions };
  /** Steps 6.2 / 6.3: identifiers astakos does not know, and how many have no answer yet. */
  unknown?: { total: number; open: number; noun: string };
  /** Earlier steps this one waits for ("2.1 (Find users…) is pending"). */
  unmet?: string[];
  sandbox?: boolean;
  canUndo?: boolean;
  /** What happened to this step last time (a resumed session lands here). */
  notice?: string;
  message?: Message;
  /** A phase just finished: offer a fresh backup. */
  phaseDone?: string;
  nextId?: string;
  /** The first step not done yet. */
  currentId?: string;
  size: Size;
  active: boolean;
  onRun(): void;
  onReview(): void;
  /** Opens the list of unknown identifiers (l). */
  onUnknown?(): void;
  /** `A`: accept every suggestion of this step (after a summary), then run it. */
  onAcceptAll?(): void;
  onConfirm(): void;
  onRecheck(): void;
  onSimulate(): void;
  onUndo(): void;
  onNext(): void;
  onBackup(): void;
  /** Settings steps: `w` writes the lines to files per host and file. */
  onWrite?(): void;
  onBack(): void;
  onHelp(): void;
}

const ACTION_SIGN: Record<TableChange['action'], string> = { delete: '−', update: '~', insert: '+' };

/** "Will change (astakos): auth_user −39 · im_astakosuser −39", one entry per service, packed to WIDTH. */
export function changeLines(changes: TableChange[], width = 80): StyledLine[] {
  const byService = new Map<string, TableChange[]>();
  for (const c of changes) byService.set(c.service, [...(byService.get(c.service) ?? []), c]);
  const out: StyledLine[] = [];
  for (const [service, list] of byService) {
    const label = ` Will change (${service}): `;
    let cur = label;
    for (const [i, c] of list.entries()) {
      const item = `${c.table} ${ACTION_SIGN[c.action]}${num(c.rows)}`;
      const sep = i === 0 ? '' : ' · ';
      if (i > 0 && (cur + sep + item).length > width - 1) {
        out.push(line(cur + ' ·'));
        cur = ' '.repeat(label.length) + item;
      } else cur += sep + item;
    }
    out.push(line(cur));
  }
  return out;
}

const checkColor = (c: Check): string => (c.ok ? 'green' : c.advisory ? 'yellow' : 'red');

/** A check's fixing command at column 0, never wrapped: broken at spaces with " \\" where wider than WIDTH, so that it pastes as one command. */
function commandLines(c: Check, width: number): StyledLine[] {
  const parts = c.command ? breakCommand(c.command, width - 3) : [];
  return parts.map((part, k) => line(`${k > 0 ? '  ' : ''}${part}${k < parts.length - 1 ? ' \\' : ''}`, { nowrap: true }));
}

export function checkLines(checks: Check[], width: number): StyledLine[] {
  return checks.flatMap((c, i) => [line(`${i === 0 ? ' Checks:  ' : '          '}${checkLine(c, 'screen')}`,
    { color: checkColor(c), hang: ' '.repeat(12) }), ...commandLines(c, width)]);
}

/**
 * A closing checklist as one list: what the checks read, then what only the operator's word
 * vouches for (open until the step is confirmed, CONFIRMED its time).
 */
export function checklistLines(checks: Check[], word: readonly string[], width: number, confirmed?: string): StyledLine[] {
  const hang = ' '.repeat(5);
  return [
    line(' Closing checklist:', { bold: true }),
    // A check that could not read (ok, advisory: "your word counts") is an item of the operator's word too.
    ...checks.flatMap((c) => [c.ok && c.advisory
      ? line(`   ${confirmed ? '✓' : '☐'} ${c.label} (${c.detail}${confirmed ? `; confirmed ${confirmed}` : ''})`, { color: confirmed ? 'green' : 'yellow', hang })
      : line(`   ${checkLine(c, 'screen')}`, { color: checkColor(c), hang }), ...commandLines(c, width)]),
    ...word.map((w) => (confirmed
      ? line(`   ✓ ${w} (your word, confirmed ${confirmed})`, { color: 'green', hang })
      : line(`   ☐ ${w} (your word: c confirms it)`, { color: 'yellow', hang }))),
  ];
}

/** What a conflict step's screen says about the groups. */
export function conflictLines(table: DecisionTable, data: ConflictData, decisions: TableDecisions): StyledLine[] {
  const s = summarize(data.groups, decisions);
  const remap = table.kind === 'sets';
  const what = table.noun ?? 'identifiers';
  if (s.groups === 0) {
    return [line(remap ? ` Found: no ${what} that differ only in case: nothing to merge.` : ' Found: no users whose emails differ only in case: nothing to decide.', { color: 'green' })];
  }
  const out = [
    line(remap ? ` Found: ${num(s.groups)} sets of ${what} that differ only in case, ${num(s.users)} in all.`
      : ` Found: ${num(s.groups)} groups of users whose emails differ only in case, ${num(s.users)} users.`),
    line(` Decided: ${num(s.decided)} (${num(s.bySuggestion)} as suggested, ${num(s.byOperator)} by hand).   Open: ${num(s.open)}${s.open ? `, each with a suggestion  (${table.beforeRun ? 'enter' : 'v'} reviews them)` : ''}`,
      { bold: s.open > 0, color: s.open > 0 ? 'yellow' : 'green' }),
  ];
  if (table.kind === 'users') {
    out.push(line(` Each group keeps one user: ${num(s.toDelete)} astakos user(s) are deleted.`));
    if (s.cycladesMerges || s.pithosMerges) {
      out.push(line(` Then in 6.1/6.2: ${num(s.cycladesMerges)} cyclades owner(s) and ${num(s.pithosMerges)} pithos account(s) merge into survivors.`));
    }
  }
  return out;
}

/**
 * The commands of a manual step per host. A command too long for the screen is broken at
 * spaces with a trailing " \\", so that pasting it into a shell still runs one command.
 */
export function manualCommandLines(view: StepView, width: number): StyledLine[] {
  const out: StyledLine[] = [];
  const commands = view.def.commands ?? [];
  const labelWidth = Math.max(0, ...commands.map((c) => `On the ${c.host} host:`.length)) + 2;
  const room = Math.max(20, width - 2 - labelWidth - 2);
  for (const c of commands) {
    const label = `On the ${c.host} host:`;
    c.lines.forEach((cmd, i) => {
      const parts = breakCommand(cmd, room);
      parts.forEach((part, k) => out.push(line(` ${(i === 0 && k === 0 ? label : '').padEnd(labelWidth)}${k > 0 ? '  ' : ''}${part}${k < parts.length - 1 ? ' \\' : ''}`)));
    });
  }
  return out;
}

/** Splits CMD at spaces into pieces of at most WIDTH characters (continuations are indented by the caller). */
export function breakCommand(cmd: string, width: number): string[] {
  if (cmd.length <= width) return [cmd];
  const out: string[] = [];
  let cur = '';
  for (const word of cmd.split(' ')) {
    const limit = out.length ? width - 2 : width;
    if (cur && (cur + ' ' + word).length > limit) { out.push(cur); cur = word; } else cur = cur ? `${cur} ${word}` : word;
  }
  if (cur) out.push(cur);
  return out;
}

function unknownLine(u: { total: number; open: number; noun: string }): StyledLine {
  return line(` Unknown to astakos: ${num(u.total)} ${u.noun}, ${u.open ? `${num(u.open)} without an answer  (l lists them)` : 'every one answered'}.`,
    { bold: u.open > 0, color: u.open > 0 ? 'yellow' : 'green' });
}

function statusLine(view: StepView, currentId: string | undefined): StyledLine {
  const r = view.record;
  switch (r.status) {
    case 'done': return line(`✓ done ${when(r.finishedAt)}`, { color: 'green' });
    case 'failed': return line(`✗ failed ${when(r.finishedAt)}`, { color: 'red' });
    case 'running': return line('▶ interrupted', { color: 'yellow' });
    case 'skipped': return line('- skipped');
    default: return line(view.def.id === currentId ? '▶ next' : '· pending');
  }
}

/** Whether a step's run needs every group of its conflict table decided (2.1 only finds them). */
export const decidesBeforeRun = (def: StepView['def']): boolean => def.decisions?.beforeRun ?? false;

/** At most this many lines of a step's findings or plan are shown (the report has them all). */
export const SUMMARY_LINES = 400;

function summaryLines(label: string, lines: string[]): StyledLine[] {
  const hang = ' '.repeat(label.length + 2);
  const shown = lines.slice(0, SUMMARY_LINES).map((s, i) => line(`${i === 0 ? label : ' '.repeat(label.length)}${s}`, { hang }));
  if (lines.length > SUMMARY_LINES) shown.push(line(`${' '.repeat(label.length)}… and ${num(lines.length - SUMMARY_LINES)} more (r on home: the report)`, { dim: true }));
  return shown;
}

/** Everything the step screen says about the step, before wrapping. Pure. REVEAL shows the snippets' secrets. */
export function stepBody(p: StepScreenProps, width: number, reveal = false): StyledLine[] {
  const { view } = p;
  const def = view.def;
  const manual = def.kind === 'manual';
  const status = view.record.status;
  const done = status === 'done' || status === 'skipped';
  const checksFail = blocking(p.checks ?? []);
  const body: StyledLine[] = [line(` Why: ${def.why}`), line('')];
  if (p.notice) body.push(line(` ! ${p.notice}`, { color: 'yellow' }), line(''));
  if (p.unmet?.length && !done) body.push(line(` Waits for: ${p.unmet.join('; ')}`, { color: 'yellow' }));
  if (!view.implemented) {
    body.push(line(' ✗ Not implemented yet in this version of snf-upgrade.', { bold: true, color: 'red' }),
      line('   Perform it with the upstream commands of the guide (spec/upgrade-0.13-guide.txt), then continue here with the next step once it is available.'));
  } else if (manual) {
    const cmds = manualCommandLines(view, width);
    if (cmds.length) body.push(...cmds);
    else if (!p.snippets && !p.snippetsError) body.push(line(' Nothing to run: make the change described above on the hosts.'));
    if (p.snippets) body.push(...(cmds.length ? [line('')] : []), ...snippetLines(p.snippets, { reveal, width, step: view.def.id }));
    if (p.snippetsError) body.push(...messageLines({ ...p.snippetsError, text: `settings snippets: ${p.snippetsError.text}` }));
  } else if (def.commands?.length && !done) {
    body.push(line(' First, on the hosts:'), ...manualCommandLines(view, width), line(''));
  }
  const errata = (def.errata ?? []).map((e) => line(` ! ${manual ? '' : 'Erratum: '}${e}`, { color: 'yellow' }));
  if (manual) {
    body.push(...errata, line(''));
    if (p.checking && !p.checks) body.push(line(' Checks:  looking…', { dim: true }));
    else if (p.checks && def.word) body.push(...checklistLines(p.checks, def.word, width, done ? when(view.record.finishedAt) : undefined));
    else if (p.checks && p.checks.length) {
      body.push(...checkLines(p.checks, width));
      if (checksFail.length && !done) body.push(line(`          c confirms once every check passes (${checksFail.length} fail${checksFail.length === 1 ? 's' : ''} now)`, { dim: true }));
    } else if (p.checks) body.push(line(` Checks:  none: ${def.verifiedBy}`));
    if (p.sandbox && !done) {
      body.push(line(def.simulate
        ? ' Sandbox: s performs this step on the sandbox\'s data (as the commands above would), then confirms it.'
        : ' Sandbox: this step changes nothing in the databases; s confirms it.', { dim: true }));
    }
  } else if (view.implemented) {
    if (p.loading) body.push(line(' Looking at the databases…', { dim: true }));
    // Decisions no table shows (limits 0.13 would set otherwise than 0.12), right under the tables' counts, each with both values.
    const tableOpen = (p.conflicts && def.decisions ? summarize(p.conflicts.data.groups, p.conflicts.decisions).open : 0) + (p.unknown?.open ?? 0);
    const other = (p.plan?.plan.open ?? 0) - tableOpen;
    const decide = (): StyledLine[] => (p.plan?.plan.questions?.length ? [
      ...(!done && other > 0 ? [line(` Open: ${num(other)} more decision(s) below: A accepts every suggestion of this step (after a summary), or give them in --answers.`, { bold: true, color: 'yellow' })] : []),
      ...summaryLines(' Decide: ', p.plan.plan.questions),
    ] : []);
    if (p.conflicts && def.decisions) {
      // The per-group lines of the findings and plan are what the conflict table shows.
      body.push(...conflictLines(def.decisions, p.conflicts.data, p.conflicts.decisions));
      if (p.unknown) body.push(unknownLine(p.unknown));
      body.push(...decide());
      // Sets (6.1 / 6.2): what else the module found (the first line is the sets, shown above).
      const notes = def.decisions.kind === 'sets' ? (p.plan?.findings.summary ?? []).slice(1) : [];
      if (notes.length) body.push(...summaryLines(' Also:  ', notes));
    } else if (p.unknown) {
      // What is still to answer first: the findings can run to many screens.
      body.push(unknownLine(p.unknown), ...decide());
      if (p.plan?.findings.summary.length) body.push(...summaryLines(' Found: ', p.plan.findings.summary));
    } else {
      if (!done && (p.plan?.plan.open ?? 0) > 0) {
        body.push(line(` Open: ${num(p.plan!.plan.open!)} decision(s) this screen has no table for: A accepts every suggestion of this step (after a summary), or give them in --answers.`, { bold: true, color: 'yellow' }));
      }
      if (p.plan?.findings.summary.length) body.push(...summaryLines(' Found: ', p.plan.findings.summary));
      if (p.plan?.plan.summary.length) body.push(...summaryLines(' Plan:  ', p.plan.plan.summary));
    }
    if (p.plan?.plan.changes.length) body.push(...changeLines(p.plan.plan.changes, width));
    if (p.plan?.plan.destructive && !done) body.push(line(` ${p.plan.plan.destructive.what.replace(/\?$/, '')}: you will be asked to type ${p.plan.plan.destructive.confirmWord}.`));
    body.push(...errata);
    body.push(line(` Verified by: ${def.verifiedBy}`, { dim: true }));
  } else body.push(...errata);
  if (p.planError) body.push(line(''), ...messageLines(p.planError));
  if (status === 'done' && def.word) body.push(line(''), line(` ✓ Done ${when(view.record.finishedAt)}: the upgrade is over (the report records this checklist as confirmed)`, { color: 'green' }));
  else if (status === 'done' && Array.isArray(view.record.summary) && view.record.summary.length) {
    body.push(line(''), line(` ✓ Done ${when(view.record.finishedAt)}:`, { color: 'green' }), ...summaryLines('   ', view.record.summary.map(String)));
  }
  if (status === 'failed' && view.record.lastError) body.push(line(''), line(` ✗ Last attempt failed: ${view.record.lastError}`, { color: 'red' }));
  return body;
}

export function StepScreen(p: StepScreenProps) {
  const { view, size } = p;
  const def = view.def;
  const width = size.columns;
  const manual = def.kind === 'manual';
  const status = view.record.status;
  const done = status === 'done' || status === 'skipped';
  const conflictSummary = p.conflicts ? summarize(p.conflicts.data.groups, p.conflicts.decisions) : undefined;
  const open = conflictSummary?.open ?? 0;
  const unknownOpen = p.unknown?.open ?? 0;
  const planOpen = p.plan?.plan.open ?? 0;
  // Users' tables (2.x) have the table's `a` (their decisions carry into 6.1/6.2): no step-wide A there.
  const canAccept = !!p.onAcceptAll && planOpen > 0 && !done && view.implemented && !manual && def.decisions?.kind !== 'users';
  // The body's first line shown (the list's cursor: the length is known further down).
  const scrollStore = useListState();
  // The snippets' secrets show only while the operator asks (t), on this screen.
  const [reveal, setReveal] = useState(false);
  const secrets = (p.snippets?.secrets.length ?? 0) > 0;

  const body = useMemo(() => stepBody(p, width, reveal), [view, p.plan, p.loading, p.planError, p.checks, p.checking, p.conflicts?.data,
    p.conflicts?.decisions, p.unknown?.open, p.unknown?.total, p.unmet?.join(), p.sandbox, p.notice, p.snippets, p.snippetsError, reveal, width]);

  // ------------------------------------------------------------------ bottom: message, phase banner, keys
  const bottom: StyledLine[] = [];
  if (p.message) bottom.push(...messageLines(p.message));
  if (p.phaseDone) {
    bottom.push(line(` ✓ Phase ${p.phaseDone} (${phaseTitle(p.phaseDone)}) is done. A fresh backup is advised: b backs up now, n continues.`, { color: 'green', bold: true }));
  }
  const keys: [string, string][] = [];
  if (p.phaseDone) keys.push(['b', 'backup now']);
  if (done) {
    if (p.nextId) keys.push(['n', `next step (${p.nextId})`]);
    if (p.conflicts?.data.groups.length) keys.push(['v', 'review conflicts']);
    if (p.canUndo && status === 'done') keys.push(['u', 'undo']);
  } else if (!view.implemented) {
    // nothing to do here
  } else if (manual) {
    keys.push(['enter', 're-check'], ['c', 'confirm']);
    if (p.onVerify) keys.push(['v', 'verify']);
    if (p.sandbox) keys.push(['s', 'do it in the sandbox']);
  } else if (p.conflicts && !decidesBeforeRun(def)) {
    keys.push(['enter', 'run (records the findings)'], ['v', 'review conflicts']);
  } else if (p.conflicts) {
    const verb = def.decisions?.verb ?? 'run';
    if (open > 0) keys.push(['enter', 'review conflicts'], ['d', `${verb} (after review)`]);
    else if (unknownOpen > 0) keys.push(['enter', 'answer unknowns'], ['v', 'review conflicts']);
    else keys.push(['enter', verb], ['v', 'review conflicts']);
    if (p.unknown) keys.push(['l', 'unknowns']);
  } else if (p.unknown) {
    keys.push(['enter', unknownOpen > 0 ? 'answer unknowns' : status === 'failed' ? 'run again' : 'run'], ['l', 'unknowns']);
  } else {
    keys.push(['enter', status === 'failed' ? 'run again' : 'run']);
  }
  if (canAccept) keys.push(['A', 'accept all']);
  if (secrets) keys.push(['t', reveal ? 'hide token' : 'show token']);
  if (p.snippets && p.onWrite) keys.push(['w', 'write to files']);
  keys.push(['?', 'keys'], ['esc', 'back']);

  const head = [line(spread(` ${def.id}  ${def.title}${manual ? ' (manual)' : ''}`, statusLine(view, p.currentId).text, width), { bold: true }),
    line(` phase ${def.phase} · ${phaseTitle(def.phase)}`, { dim: true })];
  const wrappedBody = useMemo(() => wrapLines(body, width - 1), [body, width]);
  // A manual step's checks below the window: their verdict stays in sight.
  const checksAt = manual ? wrappedBody.findIndex((l) => l.text.startsWith(' Checks:')) : -1;
  const bottomHeight = (extra: number) => Math.max(3, size.rows - 1 - head.length - Math.min(8, wrapLines(bottom, width - 1).length + extra) - 1);
  const checksHidden = checksAt >= 0 && (p.checks?.length !== 0) && checksAt >= Math.min(scrollStore[0].cursor, Math.max(0, wrappedBody.length - bottomHeight(1))) + bottomHeight(1);
  if (checksHidden) {
    const failing = blocking(p.checks ?? []).length;
    bottom.unshift(p.checks
      ? line(` Checks: ${failing ? `✗ ${failing} of ${p.checks.length} fail` : `✓ ${p.checks.length} pass`} (below: G shows them)`, { color: failing ? 'red' : 'green' })
      : line(' Checks:  looking…', { dim: true }));
  }
  const wrappedBottom = wrapLines(bottom, width - 1).slice(0, 8);
  const height = Math.max(3, size.rows - 1 - head.length - wrappedBottom.length - 1);
  const maxScroll = Math.max(0, wrappedBody.length - height);
  // The "cursor" of the scrolling body is its first line shown.
  const scroll = listHandle(scrollStore, { count: maxScroll + 1, height: 1, page: height - 1 });
  const top = scroll.cursor;
  let shown = wrappedBody.slice(top, top + height);
  if (maxScroll > 0) {
    if (top > 0) shown = [line(`   ↑ ${top} more line(s) (k)`, { dim: true }), ...shown.slice(1)];
    if (top < maxScroll) shown = [...shown.slice(0, -1), line(`   ↓ ${wrappedBody.length - top - height + 1} more line(s) (j)`, { dim: true })];
  }

  useKeys((input, key) => {
    if (key.escape || input === 'q') return p.onBack();
    if (input === '?') return p.onHelp();
    if (scroll.onKey(input, key)) return;
    if (input === 'b' && p.phaseDone) return p.onBackup();
    if (input === 't' && secrets) return setReveal((r) => !r);
    if (input === 'w' && p.snippets && p.onWrite) return p.onWrite();
    if (done) {
      if (input === 'v' && p.conflicts) return p.onReview();
      if ((input === 'n' || key.return) && p.nextId) return p.onNext();
      if (input === 'u' && p.canUndo && status === 'done') return p.onUndo();
      return;
    }
    if (input === 'n' && p.phaseDone && p.nextId) return p.onNext();
    if (!view.implemented) return;
    if (manual) {
      if (input === 'v' && p.onVerify) return p.onVerify();
      if (key.return) return p.onRecheck();
      if (input === 'c') return p.onConfirm();
      if (input === 's' && p.sandbox) return p.onSimulate();
      return;
    }
    // Until the first plan is on screen, enter could run a step whose open items are not known yet.
    if ((key.return || input === 'd') && p.loading && !p.plan) return;
    if (input === 'A' && canAccept) return p.onAcceptAll!();
    if (input === 'l' && p.unknown && p.onUnknown) return p.onUnknown();
    if (p.conflicts) {
      if (input === 'v') return p.onReview();
      if (!decidesBeforeRun(def)) { if (key.return) p.onRun(); return; }
      if (key.return && open > 0) return p.onReview();
      if (key.return && unknownOpen > 0 && p.onUnknown) return p.onUnknown();
      if (input === 'd' || key.return) return p.onRun();
      return;
    }
    if (key.return && unknownOpen > 0 && p.onUnknown) return p.onUnknown();
    if (key.return) return p.onRun();
    if (input === 'u' && p.canUndo) return p.onUndo();
  }, p.active);

  return (
    <Box flexDirection="column" width={width}>
      <Lines lines={head} width={width} />
      <Lines lines={shown} width={width} />
      <Lines lines={wrappedBottom} width={width} />
      <KeyBar keys={keys} width={width} />
    </Box>
  );
}
