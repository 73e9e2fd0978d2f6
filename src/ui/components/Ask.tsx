// A question the engine wants free text for (step 1: where an external backup is). Enter
// answers (not when empty), Esc leaves it unanswered: the step stops with nothing changed.
import { Box } from 'ink';
import { useState } from 'react';
import type { Question } from '../../core/step.js';
import { CARET, textEdit, useTextEntry } from '../text-entry.js';
import { KeyBar, line, Lines, Row, wrapLines, type Size, type StyledLine, useKeys } from './common.js';

export interface AskProps {
  question: Question;
  size: Size;
  active: boolean;
  /** The text typed (trimmed), or undefined: esc. */
  onReply(text: string | undefined): void;
  onHelp?(): void;
}

export function Ask(p: AskProps) {
  const q = p.question;
  const width = p.size.columns;
  const entry = useTextEntry(500);
  const [empty, setEmpty] = useState(false);

  useKeys((input, key) => {
    if (key.escape) return p.onReply(undefined);
    if (key.return) {
      if (entry.now().trim()) return p.onReply(entry.now().trim());
      return setEmpty(true);
    }
    if (input === '?' && entry.now() === '' && !key.backspace && !key.delete) return p.onHelp?.();
    if (textEdit(input, key)?.type === 'type') setEmpty(false);
    entry.onKey(input, key);
  }, p.active);

  const body: StyledLine[] = [
    line(` ${q.message}`, { bold: true }),
    line(` step ${q.step}`, { dim: true }),
    line(''),
    ...(q.detail ?? []).map((d) => line(`   ${d}`)),
  ];
  // The answer wraps onto as many rows as it needs (a long path stays readable whole).
  const answer = wrapLines([line(` > ${entry.text}${CARET}`, { bold: true, hang: '   ' })], width - 1);
  const bottom: StyledLine[] = empty ? [line(' ✗ nothing typed: type the answer, or esc to leave it unanswered', { color: 'red' })] : [];
  const room = Math.max(1, p.size.rows - 1 - 1 - answer.length - bottom.length - 1);
  return (
    <Box flexDirection="column" width={width}>
      <Lines lines={wrapLines(body, width - 1).slice(0, room)} width={width} />
      <Row text="" width={width} />
      <Lines lines={answer} width={width} />
      <Lines lines={bottom} width={width} />
      <KeyBar keys={[['type', 'the answer'], ['enter', 'answer'], ['?', 'keys'], ['esc', 'leave unanswered: nothing changes']]} width={width} />
    </Box>
  );
}
