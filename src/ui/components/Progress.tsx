// Progress of a long step: per table a bar, rows done / total, rate, ETA; the batch; what
// ctrl-c does. Pure presentation of a ProgressState (see ../progress-model.ts).
import { Box } from 'ink';
import { formatEta } from '../format.js';
import { bar, num, percent, rate, spread } from '../format.js';
import { currentTable, workingMs, type ProgressState, type TableProgress } from '../progress-model.js';
import { KeyBar, line, Lines, Row, wrapLines, type Size, type StyledLine } from './common.js';

export interface ProgressProps {
  title: string;
  state: ProgressState;
  size: Size;
  now?: number;
  /** What ctrl-c does, when it is not "stop after the current batch". */
  hint?: string;
}


function tableLines(t: TableProgress, current: boolean, width: number): StyledLine[] {
  if (!current) {
    const what = t.finished ? '✓' : '·';
    // Counts per table; databases backed up are one counter shared by the entries.
    const counts = t.unit !== 'databases' ? `  ${num(t.done)}${t.total !== undefined ? ` / ${num(t.total)}` : ''} ${t.unit}` : '';
    return [line(` ${what} ${t.table}${counts}`, { dim: !t.finished })];
  }
  const batch = t.batch !== undefined ? `batch ${num(t.batch)}${t.batches !== undefined ? `/${num(t.batches)}` : ''}` : '';
  const pct = percent(t.done, t.total);
  const barWidth = Math.max(10, width - 10);
  const counts = [
    `${num(t.done)}${t.total !== undefined ? ` / ${num(t.total)}` : ''} ${t.unit}`,
    t.rate !== undefined ? `${rate(t.rate).replace('/s', ` ${t.unit}/s`)}` : '',
    t.etaSeconds !== undefined ? `ETA ${formatEta(t.etaSeconds)}` : '',
  ].filter(Boolean).join(' · ');
  return [
    line(spread(` ▶ ${t.table}`, batch, width - 1), { bold: true, color: 'cyan' }),
    line(`   ${bar(t.done, t.total, barWidth - 6)} ${pct.padStart(4)}`),
    line(`   ${counts}`),
  ];
}

export function Progress({ title, state, size, now = Date.now(), hint }: ProgressProps) {
  const width = size.columns;
  const elapsed = formatEta(workingMs(state, now) / 1000);
  const cur = currentTable(state);
  const head = [line(spread(` ${title}`, `running ${elapsed}`, width - 1), { bold: true }), line('')];
  const body: StyledLine[] = [];
  if (!state.tables.length) body.push(line(' starting…', { dim: true }));
  for (const t of state.tables) body.push(...tableLines(t, t === cur && !t.finished, width));
  const logs = state.logs.filter((l) => l.level !== 'info' || state.logs.length < 4).slice(-4);
  if (logs.length) {
    body.push(line(''));
    for (const l of logs) body.push(line(` ${l.level === 'error' ? '✗' : l.level === 'warn' ? '!' : '·'} ${l.message}`, { color: l.level === 'error' ? 'red' : l.level === 'warn' ? 'yellow' : undefined }));
  }
  const b = cur?.batch;
  const foot: StyledLine[] = [];
  if (hint) {
    foot.push(line(state.stopping ? ' ■ ctrl-c again quits now.' : ` ${hint}`, { bold: state.stopping, color: state.stopping ? 'yellow' : undefined }));
  } else if (state.stopping) {
    foot.push(line(` ■ Stop requested: the step stops once the current batch${b !== undefined ? ` (${num(b)})` : ''} has committed.`, { color: 'yellow', bold: true }),
      line('   ctrl-c again quits at once (the open batch rolls back; nothing half-done is kept).'));
  } else if (b !== undefined) {
    foot.push(line(` batch ${num(b)}${cur?.batches !== undefined ? `/${num(cur.batches)}` : ''} in progress · ctrl-c stops after this batch · resume continues after the last committed batch`));
  } else {
    foot.push(line(' ctrl-c stops after the current batch; running the step again resumes it'));
  }
  const wrappedFoot = wrapLines(foot, width - 1);
  const room = Math.max(1, size.rows - 1 - head.length - wrappedFoot.length - 2);
  const wrapped = wrapLines(body, width - 1);
  // Keep the current table in view: drop finished tables from the top first.
  const shown = wrapped.length > room ? wrapped.slice(wrapped.length - room) : wrapped;
  return (
    <Box flexDirection="column" width={width}>
      <Lines lines={head} width={width} />
      <Lines lines={shown} width={width} />
      <Row text="" width={width} />
      <Lines lines={wrappedFoot} width={width} />
      <KeyBar keys={[['ctrl-c', state.stopping || hint ? 'quit now' : 'stop after this batch'], ['?', 'keys']]} width={width} />
    </Box>
  );
}
