// Home (and what a resumed session opens on): the deployment, every step with its state,
// what happened last time; enter continues.
import { Box } from 'ink';
import { databaseLabel, type DeploymentInfo, type StepView } from '../../engine/index.js';
import { phaseTitle } from '../../runbook/steps.js';
import { STATUS_SYMBOL, zoneLabel } from '../format.js';
import { bytes, cell, cut, cutLeft, spread, when } from '../format.js';
import { useList } from '../list.js';
import { KeyBar, line, Lines, messageLines, Row, wrapLines, type Size, type StyledLine, useKeys } from './common.js';

export interface Message { text: string; next?: string; level?: 'error' | 'info' | 'warn'; details?: string[] }

export interface HomeProps {
  statePath: string;
  deployment?: DeploymentInfo[];
  lock?: string;
  steps: StepView[];
  currentId?: string;
  /** What the last session left half done. */
  interrupted?: string;
  message?: Message;
  size: Size;
  active: boolean;
  /** The step to highlight at first (default: the current one). */
  initialId?: string;
  onOpen(id: string): void;
  onReport(): void;
  onBackup(): void;
  /** `v`: the deployment checked as a whole. */
  onVerify(): void;
  /** `R`: pick a backup to restore. */
  onRestore(): void;
  /** `f`, once every step is done: finish (the tool's tables dropped). */
  onFinish(): void;
  /** When finish dropped the tool's tables (undefined: not yet). */
  finishedAt?: string;
  onHelp(): void;
  onQuit(): void;
}

export function stepSymbol(s: StepView, currentId: string | undefined): string {
  if (s.record.status === 'pending' && s.def.id === currentId) return '▶';
  return STATUS_SYMBOL[s.record.status] ?? '?';
}

const STATUS_COLOR: Record<string, string> = { done: 'green', running: 'cyan', failed: 'red', skipped: 'gray' };

const SIZE_UNITS: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4 };

/** A few words for home about what a finished step said ("3 backups, 22.9 MiB", "19 groups"). */
export function summaryText(summary: unknown): string {
  // A phase's backup, added at the end of the step that ends it, is not what the step itself said.
  const lines = (Array.isArray(summary) ? summary.map(String) : summary == null ? [] : [String(summary)]).filter((l) => !/^phase \d+ backup/.test(l));
  if (!lines.length) return '';
  const backups = lines.map((l) => /\(([\d.]+) (B|KiB|MiB|GiB|TiB), sha256 /.exec(l)).filter((m) => m);
  if (backups.length) {
    const total = backups.reduce((n, m) => n + Number(m![1]) * SIZE_UNITS[m![2]!]!, 0);
    return `${backups.length} backup${backups.length > 1 ? 's' : ''}, ${bytes(Math.round(total))}`;
  }
  const groups = lines.filter((l) => / — suggested #\d+$/.test(l)).length;
  if (groups) return `${groups} group${groups > 1 ? 's' : ''}`;
  return lines[0]!;
}

/** One step's line: symbol, id, title (and kind), when it finished and what it said. */
export function stepRow(s: StepView, currentId: string | undefined, width: number, cursor: boolean): StyledLine {
  const symbol = stepSymbol(s, currentId);
  const kind = s.def.kind === 'manual' ? ' (manual)' : s.implemented ? '' : ' (not implemented yet)';
  const titleWidth = Math.min(43, Math.max(20, width - 37));
  let tail = '';
  const r = s.record;
  if (r.status === 'done' || r.status === 'skipped') tail = `${when(r.finishedAt)} ${summaryText(r.status === 'done' ? r.summary : r.note)}`;
  else if (r.status === 'failed') tail = `failed ${when(r.finishedAt)}`.trim();
  else if (r.status === 'running') tail = 'interrupted';
  else if (s.def.id === currentId) tail = 'next';
  const color = symbol === '▶' ? 'cyan' : STATUS_COLOR[r.status];
  const lead = `${cursor ? '›' : ' '} ${symbol} ${cell(s.def.id, 4)} `;
  // Titles line up when there is something to show beside them, and may run on when not.
  const title = tail ? cell(s.def.title + kind, titleWidth) : s.def.title + kind;
  return line(cut(`${lead}${title}${tail ? `  ${tail}` : ''}`, width - 1), { color, bold: cursor });
}

export function Home(props: HomeProps) {
  const { steps, currentId, size } = props;
  const width = size.columns;
  const startId = props.initialId ?? currentId;
  const list = useList({ count: steps.length, height: steps.length, page: 10, keys: { space: false },
    initial: Math.max(0, steps.findIndex((s) => s.def.id === startId)) });
  const cursor = list.cursor;

  useKeys((input, key) => {
    if (list.onKey(input, key)) return;
    if (key.return) { const s = steps[list.now()]; if (s) props.onOpen(s.def.id); }
    else if (input === 'r') props.onReport();
    else if (input === 'b') props.onBackup();
    else if (input === 'v') props.onVerify();
    else if (input === 'R') props.onRestore();
    else if (input === 'f' && !currentId && !props.finishedAt) props.onFinish();
    else if (input === '?') props.onHelp();
    else if (input === 'q') props.onQuit();
  }, props.active);

  // Header: title and state file, one line per database, the lock.
  const header: StyledLine[] = [
    line(spread(' snf-upgrade · Synnefo 0.12.5 → 0.13', `state: ${cutLeft(props.statePath, Math.max(10, width - 46))}`, width), { bold: true }),
  ];
  if (!props.deployment) header.push(line(' looking at the databases…', { dim: true }), line(''), line(''));
  else {
    for (const d of props.deployment) {
      const version = d.error ? '✗ error' : d.version;
      const labelWidth = Math.max(20, width - 14 - version.length);
      header.push(line(` ${cell(d.service, 9)} ${cell(databaseLabel(d), labelWidth)} ${version}`, { color: d.error ? 'red' : undefined }));
    }
    const errors = props.deployment.filter((d) => d.error);
    if (errors.length) header.push(line(` ✗ ${errors[0]!.error}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}`, { color: 'red' }));
  }
  header.push(line(` ${props.lock ?? 'lock: …'} · times: local, ${zoneLabel()}`, { dim: true }));

  // Footer: the highlighted step's phase, what happened last time (or a message), the keys.
  const highlighted = steps[cursor];
  const notes: StyledLine[] = [];
  if (props.message) notes.push(...messageLines(props.message));
  else if (props.interrupted) notes.push(line(` ! ${props.interrupted}`, { color: 'yellow' }));
  else if (props.finishedAt) notes.push(line(` ✓ The upgrade ended ${when(props.finishedAt)}: the tool's tables are dropped. r shows the report.`, { color: 'green' }));
  else if (!currentId) notes.push(line(' ✓ Every step is done. r shows the report; f finishes: the report beside the state file, the tool\'s tables dropped.', { color: 'green' }));
  const noteLines = wrapLines(notes, width - 1).slice(0, 3);
  const phase = highlighted ? line(` phase ${highlighted.def.phase} · ${phaseTitle(highlighted.def.phase)}`, { dim: true }) : line('');
  const openWhat = highlighted && highlighted.def.id !== currentId ? `open ${highlighted.def.id}` : 'continue';
  // As many as fit, in this order ("? keys" kept): finish only once every step is done.
  const keys: [string, string][] = [['enter', openWhat], ['r', 'report'], ['v', 'verify'], ...(!currentId && !props.finishedAt ? [['f', 'finish'] as [string, string]] : []),
    ['R', 'restore'], ['q', 'quit'], ['b', 'backup now'], ['?', 'keys'], ['↑↓', 'pick a step']];

  const budget = size.rows - 1 - header.length - 1 - 1 - 1 - noteLines.length - 1;
  const listHeight = Math.max(3, budget);
  const rows = windowed(steps, cursor, listHeight).map((item) =>
    typeof item === 'string' ? line(`     ${item}`, { dim: true }) : stepRow(item.step, currentId, width, item.index === cursor));

  return (
    <Box flexDirection="column" width={width}>
      <Lines lines={header} width={width} />
      <Row text="" width={width} />
      <Lines lines={rows} width={width} />
      <Row text="" width={width} />
      <Lines lines={[phase, ...noteLines]} width={width} />
      <KeyBar keys={keys} width={width} />
    </Box>
  );
}

/** The steps to show in HEIGHT rows around CURSOR, with "↑ n more" / "↓ n more" where cut. */
export function windowed<T>(items: T[], cursor: number, height: number): ({ step: T; index: number } | string)[] {
  if (items.length <= height) return items.map((step, index) => ({ step, index }));
  const inner = Math.max(1, height - 2);
  let start = Math.max(0, Math.min(cursor - Math.floor(inner / 2), items.length - inner));
  const out: ({ step: T; index: number } | string)[] = [];
  let end = start + inner;
  if (start === 0) end = height - 1;
  if (end >= items.length) { end = items.length; start = Math.max(0, items.length - (height - 1)); }
  if (start > 0) out.push(`↑ ${start} more`);
  for (let i = start; i < end; i++) out.push({ step: items[i]!, index: i });
  if (end < items.length) out.push(`↓ ${items.length - end} more`);
  return out;
}
