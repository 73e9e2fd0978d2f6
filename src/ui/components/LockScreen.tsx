// Another runner holds the lock: who (host, pid, since, command, per state file and database),
// whether it looks stale, and the choice: take it over (after a confirmation) or quit and wait.
import { Box } from 'ink';
import type { LockConflict } from '../../engine/session.js';
import { cell, cut } from '../format.js';
import { KeyBar, line, Lines, messageLines, Row, wrapLines, type Size, type StyledLine, useKeys } from './common.js';
import type { Message } from './Home.js';
import { Menu } from './Menu.js';

export interface LockScreenProps {
  conflict: LockConflict;
  message?: Message;
  size: Size;
  active: boolean;
  onTakeOver(): void;
  onQuit(): void;
  onHelp(): void;
}

export function lockLines(c: LockConflict, width: number): StyledLine[] {
  const out: StyledLine[] = [
    line(' ! Another snf-upgrade holds the lock on this deployment.', { bold: true, color: 'yellow' }),
    line(''),
    line(cut(`   ${cell('where', 10)} ${cell('host', 10)} ${cell('pid', 7)} ${cell('since', 9)} ${cell('status', 10)} command`, width - 1), { dim: true }),
  ];
  for (const h of c.holders) {
    out.push(line(cut(`   ${cell(h.where, 10)} ${cell(h.host, 10)} ${cell(String(h.pid), 7)} ${cell(h.since, 9)} ${cell(h.status, 10)} ${h.command}`, width - 1)));
  }
  if (!c.holders.length) out.push(line('   no holder is recorded'));
  out.push(line(''),
    line(` ${c.stale ? '·' : '!'} ${c.verdict.replace(/^./, (ch) => ch.toUpperCase())}.`, { bold: true, color: c.stale ? undefined : 'yellow' }),
    line(''),
    line(c.stale
      ? ' t takes the lock over (after a confirmation). Nothing it left half done is kept: an open batch rolled back with its session.'
      : ' Wait for it to finish (q quits; nothing changed). If that process is hung or dead, t takes the lock over after a confirmation: its database sessions are ended and its open batch rolls back.'),
    line(''),
    line(` ${c.problem}`, { dim: true }));
  return wrapLines(out, width - 1);
}

export function LockScreen(p: LockScreenProps) {
  const width = p.size.columns;
  useKeys((input, key) => {
    if (input === 't') return p.onTakeOver();
    if (input === 'q' || key.escape) return p.onQuit();
    if (input === '?') return p.onHelp();
  }, p.active);
  const body = lockLines(p.conflict, width);
  const bottom = p.message ? wrapLines(messageLines(p.message), width - 1) : [];
  const room = Math.max(1, p.size.rows - 1 - 2 - bottom.length - 2 - 1);
  return (
    <Box flexDirection="column" width={width}>
      <Row text=" snf-upgrade · the deployment is in use" width={width} bold />
      <Row text="" width={width} />
      <Lines lines={body.slice(0, room)} width={width} />
      <Lines lines={bottom} width={width} />
      <Menu items={[{ value: 'quit', label: p.conflict.stale ? 'quit (q)' : 'quit and wait (q)' }, { value: 'take', label: 'take the lock over, after a confirmation (t)' }]}
        width={width} active={p.active} numbers={true} onSelect={(v) => (v === 'take' ? p.onTakeOver() : p.onQuit())} />
      <KeyBar keys={[['t', 'take over'], ['q', p.conflict.stale ? 'quit' : 'quit and wait'], ['?', 'keys']]} width={width} />
    </Box>
  );
}
