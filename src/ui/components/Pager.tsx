// A scrollable text screen: the report (`r`), and results such as a backup's.
import { Box } from 'ink';
import { useMemo } from 'react';
import { spread } from '../format.js';
import { useList } from '../list.js';
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
  // The "cursor" of a scrolling text is its first line shown.
  const scroll = useList({ count: max + 1, height: 1, page: height - 1, keys: { b: true } });
  const t = scroll.cursor;

  useKeys((input, key) => {
    if (key.escape || input === 'q' || key.return) return p.onBack();
    if (input === '?') return p.onHelp?.();
    scroll.onKey(input, key);
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
