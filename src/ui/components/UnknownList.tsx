// Identifiers astakos does not know (step 6.3's cyclades owners, step 6.2's pithos
// accounts): one row each with the suggestion and the answer given; d / k answer the
// highlighted one, a takes every open suggestion after a summary.
import { Box } from 'ink';
import { useState } from 'react';
import type { DecisionInput } from '../backend.js';
import type { Decisions } from '../conflicts/types.js';
import { answerOf, openCount, UNKNOWN_PREFIX, type UnknownList as List } from '../conflicts/unknown.js';
import { cell, cut, num, spread } from '../format.js';
import { KeyBar, line, Lines, wrapLines, Row as TextRow, type Size, type StyledLine, useKeys } from './common.js';

export interface UnknownListProps {
  list: List;
  decisions: Decisions;
  size: Size;
  active: boolean;
  onDecide(items: DecisionInput[]): void;
  onBack(): void;
  onHelp(): void;
}

export function UnknownList(p: UnknownListProps) {
  const { list, decisions, size } = p;
  const width = size.columns;
  const [cursor, setCursor] = useState(0);
  const [top, setTop] = useState(0);
  const [asking, setAsking] = useState(false);
  const height = Math.max(3, size.rows - 1 - 6);
  const n = list.items.length;
  const cur = Math.min(cursor, Math.max(0, n - 1));
  let t = top;
  if (cur < t) t = cur;
  if (cur > t + height - 1) t = cur - height + 1;
  const open = openCount(list, decisions);
  const pending = list.items.filter((it) => answerOf(list, decisions, it.id) === undefined);

  const move = (to: number) => setCursor(Math.max(0, Math.min(n - 1, to)));
  useKeys((input, key) => {
    if (asking) {
      if (input === 'y' || key.return) {
        if (pending.length) p.onDecide(pending.map((it) => ({ key: UNKNOWN_PREFIX + it.id, value: it.suggested, source: 'suggested' })));
        setAsking(false);
      } else if (input === 'n' || key.escape || input === 'q') setAsking(false);
      return;
    }
    if (key.downArrow || input === 'j') return move(cur + 1);
    if (key.upArrow) return move(cur - 1);
    if (key.pageDown || input === ' ') return move(cur + height - 1);
    if (key.pageUp) return move(cur - height + 1);
    if (input === 'g' || key.home) return move(0);
    if (input === 'G' || key.end) return move(n - 1);
    if (input === '?') return p.onHelp();
    if (key.escape || input === 'q') return p.onBack();
    if (input === 'a') return setAsking(true);
    const answer = list.answers.find((a) => a.key === input);
    const it = list.items[cur];
    if (answer && it) {
      p.onDecide([{ key: UNKNOWN_PREFIX + it.id, value: answer.value, source: 'operator' }]);
      move(cur + 1);
    }
  }, p.active);

  const header = line(spread(` Unknown to astakos: ${num(n)} ${list.noun} · open ${num(open)}`, `step ${list.step}`, width - 1), { bold: true });
  let body: StyledLine[];
  let keys: [string, string][];
  if (asking) {
    body = pending.length
      ? [line(` Take the suggested answer for ${num(pending.length)} open ${list.noun}?`, { bold: true }),
        ...list.answers.map((a) => line(`   ${a.value}: ${num(pending.filter((it) => it.suggested === a.value).length)}`)), line(''),
        ...pending.slice(0, Math.max(1, height - 4)).map((it) => line(`   ${cell(it.id, Math.max(12, width - 20))} ${it.suggested}`))]
      : [line(' Every one is already answered: nothing to accept.')];
    keys = pending.length ? [['y', `accept ${num(pending.length)}`], ['n esc', 'cancel']] : [['esc', 'back']];
  } else {
    const idw = Math.min(38, Math.max(16, width - 44));
    body = [line(`     ${cell(list.noun.replace(/s$/, ''), idw)} ${cell('what', width - idw - 24)} answer`, { dim: true })];
    for (let i = t; i < Math.min(n, t + height); i++) {
      const it = list.items[i]!;
      const a = answerOf(list, decisions, it.id);
      const src = a !== undefined && decisions.get(UNKNOWN_PREFIX + it.id)?.source === 'operator' ? ' (you)' : '';
      const ans = a !== undefined ? `${a}${src}` : `${it.suggested}?`;
      body.push(line(` ${i === cur ? '▶' : ' '} ${a !== undefined ? '✓' : '·'} ${cell(it.id, idw)} ${cell(it.detail, width - idw - 24)} ${cut(ans, 16)}`,
        { bold: i === cur, color: a !== undefined ? 'green' : 'yellow' }));
    }
    const it = list.items[cur];
    if (it) body.push(line(''), ...wrapLines([line(` why ${it.suggested}: ${it.reason}`, { dim: true })], width - 1).slice(0, 3));
    keys = [...list.answers.map((a) => [a.key, a.value] as [string, string]), ['a', 'accept suggestions'], ['↑↓ j', 'move'], ['?', 'keys'], ['esc', 'back']];
  }
  return (
    <Box flexDirection="column" width={width}>
      <TextRow width={width} {...header} />
      <Lines lines={body.slice(0, height + 3)} width={width} />
      {Array.from({ length: Math.max(0, height + 3 - body.length) }, (_, i) => <TextRow key={`pad${i}`} text="" width={width} />)}
      <KeyBar keys={keys} width={width} />
    </Box>
  );
}
