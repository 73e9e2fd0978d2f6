// The engine's questions. A destructive one shows what will be deleted or merged (rows per
// table), then wants its number or word typed exactly; Esc cancels with nothing changed.
// Other questions are yes / no: y / n, or a menu (no first; its number keys off when destructive).
import { Box } from 'ink';
import { useState } from 'react';
import type { Question } from '../../core/step.js';
import { cell, num, rcell } from '../format.js';
import { CARET, textEdit, useTextEntry } from '../text-entry.js';
import { KeyBar, line, Lines, Row, wrapLines, type Size, type StyledLine, useKeys } from './common.js';
import { Menu } from './Menu.js';

export interface ConfirmProps {
  question: Question;
  /** "A backup from 21:04 exists (…)". */
  backupNote?: string;
  /** Whether the step can be undone afterwards (and until when), for the reassurance line. */
  undoNote?: string;
  size: Size;
  active: boolean;
  onAnswer(ok: boolean): void;
  onHelp?(): void;
}

const CHANGE = /^(\w+)\.(\S+) (delete|update|insert) (\d+)$/;
const VERB: Record<string, string> = { delete: 'delete', update: 'rewrite', insert: 'insert' };

/** Question.detail as rows per table when it has the engine's "service.table action rows" form. */
export function detailLines(detail: string[], width: number): StyledLine[] {
  const parsed = detail.map((d) => CHANGE.exec(d));
  if (parsed.length && parsed.every((m) => m)) {
    const tableWidth = Math.max(12, Math.min(32, width - 39));
    return parsed.map((m) => line(`   ${cell(m![1]!, 9)} ${cell(m![2]!, tableWidth)} ${cell(VERB[m![3]!]!, 8)} ${rcell(num(m![4]!), 10)} rows`));
  }
  return detail.map((d) => line(`   ${d}`));
}

export function Confirm(p: ConfirmProps) {
  const q = p.question;
  const width = p.size.columns;
  const word = q.typeToConfirm;
  const entry = useTextEntry(80);
  const [wrong, setWrong] = useState<string | undefined>();

  useKeys((input, key) => {
    if (key.escape) return p.onAnswer(false);
    if (word === undefined) {
      if (input === 'y' || input === 'Y') return p.onAnswer(true);
      if (input === 'n' || input === 'N' || input === 'q') return p.onAnswer(false);
      if (input === '?') return p.onHelp?.();
      return;
    }
    if (key.return) {
      if (entry.now() === word) return p.onAnswer(true);
      setWrong(entry.now());
      entry.set('');
      return;
    }
    if (textEdit(input, key)?.type === 'type') setWrong(undefined);
    entry.onKey(input, key);
  }, p.active);

  const body: StyledLine[] = [
    line(` ${q.dangerous ? '! ' : ''}${q.message}${word !== undefined && !/[?.]$/.test(q.message) ? '?' : ''}`, { bold: true, color: q.dangerous ? 'yellow' : undefined }),
    // A runbook step's question names the step; the wizard's own (taking the lock over) does not.
    line(/^\d/.test(q.step) ? ` step ${q.step}` : '', { dim: true }),
    line(''),
    ...detailLines(q.detail ?? [], width),
  ];
  if (q.detail?.length) body.push(line(''));
  if (p.undoNote) body.push(line(` ${p.undoNote}`));
  if (p.backupNote) body.push(line(` ${p.backupNote}`));
  else if (q.dangerous) body.push(line(' ! No backup is recorded in the state file.', { color: 'yellow' }));
  const wrapped = wrapLines(body, width - 1);

  const prompt = word !== undefined ? ` Type ${word} to confirm: ${entry.text}${CARET}` : ' Go on? y yes · n no';
  const bottom: StyledLine[] = [];
  if (wrong !== undefined) bottom.push(line(` ✗ "${wrong}" is not ${word}: type exactly ${word}, or esc to cancel.`, { color: 'red' }));
  // A yes / no question has its menu (two rows) where the key bar is.
  const room = Math.max(1, p.size.rows - 1 - 2 - bottom.length - (word !== undefined ? 1 : 2));
  return (
    <Box flexDirection="column" width={width}>
      <Lines lines={wrapped.slice(0, room)} width={width} />
      <Row text="" width={width} />
      <Lines lines={bottom} width={width} />
      <Row text={prompt} width={width} bold />
      {word !== undefined
        ? <KeyBar keys={[['enter', 'confirm'], ['esc', 'cancel: nothing changes']]} width={width} />
        : <Menu items={[{ value: 'no', label: 'no: nothing changes (n, esc)' }, { value: 'yes', label: 'yes (y)' }]} width={width} active={p.active}
          numbers={!q.dangerous} onSelect={(v) => p.onAnswer(v === 'yes')} />}
    </Box>
  );
}
