// A scrollable text screen: the report (`r`), and results such as a backup's.
import { Box } from 'ink';
import { useMemo, useState } from 'react';
import { spread } from '../format.js';
import { KeyBar, line, Lines, Row, wrapLines, type Size, type StyledLine, useKeys } from './common.js';

export interface PagerProps {
  title: string;
  /** The text; undefined while it loads. */
  text?: string;
  lines?: StyledLine[];
  size: Size;
  active: boolean;
  onBack(): void;
  onHelp?(): void;
  /** The key bar's back label ("back", "continue"). */
  backLabel?: string;
}

export function Pager(p: PagerProps) {
  const width = p.size.columns;
  const wrapped = useMemo(() => {
    const source = p.lines ?? (p.text === undefined ? [line(' loading…', { dim: true })] : p.text.split('\n').map((t) => line(` ${t}`)));
    return wrapLines(source, width - 1, '  ');
  }, [p.text, p.lines, width]);
  const height = Math.max(1, p.size.rows - 1 - 3);
  const max = Math.max(0, wrapped.length - height);
  const [top, setTop] = useState(0);
  const t = Math.min(top, max);

  useKeys((input, key) => {
    if (key.escape || input === 'q' || key.return) return p.onBack();
    if (input === '?') return p.onHelp?.();
    const by = (d: number) => setTop((x) => Math.max(0, Math.min(max, Math.min(x, max) + d)));
    if (key.downArrow || input === 'j') by(1);
    else if (key.upArrow || input === 'k') by(-1);
    else if (key.pageDown || input === ' ') by(height - 1);
    else if (key.pageUp || input === 'b') by(-(height - 1));
    else if (input === 'g' || key.home) setTop(0);
    else if (input === 'G' || key.end) setTop(max);
  }, p.active);

  const where = wrapped.length > height ? `lines ${t + 1}–${Math.min(wrapped.length, t + height)} of ${wrapped.length}` : '';
  const shown = wrapped.slice(t, t + height);
  return (
    <Box flexDirection="column" width={width}>
      <Row text={spread(` ${p.title}`, where, width - 1)} width={width} bold />
      <Row text="" width={width} />
      <Lines lines={shown} width={width} />
      {Array.from({ length: Math.max(0, height - shown.length) }, (_, i) => <Row key={`pad${i}`} text="" width={width} />)}
      <KeyBar keys={max > 0 ? [['↑↓ j k', 'scroll'], ['space', 'page'], ['g G', 'top/bottom'], ['?', 'keys'], ['enter esc', p.backLabel ?? 'back']] : [['enter esc', p.backLabel ?? 'back']]} width={width} />
    </Box>
  );
}
