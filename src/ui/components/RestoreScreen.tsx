// Home's R: the backups recorded in the state file, one line per label; enter on one asks the
// destructive confirmation (the files and their databases, typed "restore") before anything is replaced.
import { Box } from 'ink';
import type { RestoreChoice } from '../../engine/restore.js';
import { phaseTitle } from '../../runbook/steps.js';
import { when } from '../format.js';
import { KeyBar, line, Lines, messageLines, Row, wrapLines, type Size, type StyledLine, useKeys } from './common.js';
import type { Message } from './Home.js';
import { Menu } from './Menu.js';

export interface RestoreScreenProps {
  choices: RestoreChoice[];
  message?: Message;
  size: Size;
  active: boolean;
  onChoose(label: string): void;
  onBack(): void;
  onHelp(): void;
}

/** What a backup label is, in the operator's words. */
export function backupName(label: string): string {
  if (label === '1') return 'step 1 backup (before any change)';
  const phase = /^phase(\d+)$/.exec(label)?.[1];
  if (phase) return `phase ${phase} backup (after: ${phaseTitle(phase)})`;
  return `${label} backup`;
}

export function RestoreScreen(p: RestoreScreenProps) {
  const width = p.size.columns;
  useKeys((input, key) => {
    if (key.escape || input === 'q') return p.onBack();
    if (input === '?') return p.onHelp();
  }, p.active);
  const intro: StyledLine[] = wrapLines([
    line(' Every database gets the chosen backup back: everything written to it since is lost. The state file then follows the databases: the steps after the backup are pending again, decisions are kept for review. Stop every service first.'),
  ], width - 1);
  const items = p.choices.map((c) => ({
    value: c.label,
    label: `${backupName(c.label)} · ${when(c.createdAt)} · ${c.databases} database${c.databases === 1 ? '' : 's'}${c.unchecked ? ` (${c.unchecked} never checked)` : ''}`,
  }));
  const notes = p.message ? wrapLines(messageLines(p.message), width - 1) : !items.length ? [line(' No backup is recorded in the state file: step 1 takes the first.', { color: 'yellow' })] : [];
  return (
    <Box flexDirection="column" width={width}>
      <Row text=" Restore a backup" width={width} bold />
      <Row text="" width={width} />
      <Lines lines={intro} width={width} />
      <Row text="" width={width} />
      {items.length > 0 && <Menu items={[...items, { value: '', label: 'back' }]} width={width} active={p.active} numbers={false}
        onSelect={(v) => (v ? p.onChoose(v) : p.onBack())} />}
      <Row text="" width={width} />
      <Lines lines={notes} width={width} />
      <KeyBar keys={[['↑↓', 'pick'], ['enter', 'restore it (asks first)'], ['?', 'keys'], ['esc', 'back']]} width={width} />
    </Box>
  );
}
