// Identifiers astakos does not know (step 6.3's cyclades owners, step 6.2's pithos
// accounts): one row each with the suggestion and the answer given; d / K answer the
// highlighted one, a takes every open suggestion after a summary; where identifiers map to
// users (cyclades owners), m maps the
// highlighted identifier to an astakos user typed as a uuid or an email (shown before it is taken).
import { Box } from 'ink';
import { useState } from 'react';
import { UUID_SHAPE, type AstakosUser, type DecisionInput } from '../../engine/session.js';
import type { Decisions } from '../../core/step.js';
import { answerOf, openCount, UNKNOWN_PREFIX, type UnknownList as List } from '../conflicts/unknown.js';
import { cell, cut, num, spread } from '../format.js';
import { useList } from '../list.js';
import { applyEdit, CARET, textEdit } from '../text-entry.js';
import { KeyBar, line, Lines, wrapLines, Row as TextRow, type Size, type StyledLine, useKeys, useLatest } from './common.js';

export interface UnknownListProps {
  list: List;
  decisions: Decisions;
  size: Size;
  active: boolean;
  onDecide(items: DecisionInput[]): void;
  /** Where identifiers map to users: looks up the astakos user a uuid or email names (m maps to it). */
  onFind?(query: string): Promise<AstakosUser | undefined>;
  onBack(): void;
  onHelp(): void;
}

export function UnknownList(p: UnknownListProps) {
  const { list, decisions, size } = p;
  const width = size.columns;
  const [asking, setAsking] = useState(false);
  // m: the identifier being mapped by hand, what is typed, and what the lookup said.
  const [mapping, setMapping, mappingNow] = useLatest<Mapping | undefined>(undefined);
  /** Emails of the users mapped to in this visit, to show instead of their uuids. */
  const [names, setNames] = useState<ReadonlyMap<string, string>>(new Map());
  const height = Math.max(3, size.rows - 1 - 6);
  const n = list.items.length;
  // k moves up here as everywhere; keep is K (shift), so moving up never answers.
  const rows = useList({ count: n, height });
  const cur = rows.cursor;
  const t = rows.top;
  const open = openCount(list, decisions);
  const pending = list.items.filter((it) => answerOf(list, decisions, it.id) === undefined);

  const move = (to: number) => rows.moveTo(to);
  const lookUp = (m: Mapping) => {
    const text = m.text.trim();
    if (!text || !p.onFind) return;
    setMapping({ ...m, looking: true, found: undefined, problem: undefined });
    p.onFind(text).then((user) => {
      const now = mappingNow.current;
      if (!now || now.id !== m.id || now.text !== m.text) return; // typed on meanwhile
      setMapping(user ? { ...now, looking: false, found: user }
        : { ...now, looking: false, problem: `astakos has no user with ${text.includes('@') ? 'the email' : 'the uuid'} ${text}` });
    }, (err: unknown) => {
      const now = mappingNow.current;
      if (!now || now.id !== m.id) return;
      const e = err as { message?: string; next?: string };
      setMapping({ ...now, looking: false, problem: `${e.message ?? String(err)}${e.next ? `: ${e.next}` : ''}` });
    });
  };

  useKeys((input, key) => {
    const m = mappingNow.current;
    if (m) {
      if (key.escape) return setMapping(undefined);
      if (input === '?') return p.onHelp();
      if (key.return) {
        if (m.found) {
          p.onDecide([{ key: UNKNOWN_PREFIX + m.id, value: m.found.uuid, source: 'operator' }]);
          setNames((n) => new Map(n).set(m.found!.uuid, m.found!.email));
          setMapping(undefined);
          return move(rows.now() + 1);
        }
        return lookUp(m);
      }
      const edit = textEdit(input, key);
      if (edit) setMapping({ id: m.id, text: applyEdit(m.text, edit, 254) });
      return;
    }
    if (asking) {
      if (input === 'y' || key.return) {
        if (pending.length) p.onDecide(pending.map((it) => ({ key: UNKNOWN_PREFIX + it.id, value: it.suggested, source: 'suggested' })));
        setAsking(false);
      } else if (input === 'n' || key.escape || input === 'q') setAsking(false);
      return;
    }
    if (rows.onKey(input, key)) return;
    if (input === '?') return p.onHelp();
    if (key.escape || input === 'q') return p.onBack();
    if (input === 'a') return setAsking(true);
    const at = rows.now();
    if (input === 'm' && p.onFind && list.items[at]) return setMapping({ id: list.items[at]!.id, text: '' });
    const answer = list.answers.find((a) => a.key === input);
    const it = list.items[at];
    if (answer && it) {
      p.onDecide([{ key: UNKNOWN_PREFIX + it.id, value: answer.value, source: 'operator' }]);
      move(at + 1);
    }
  }, p.active);

  const header = line(spread(` Unknown to astakos: ${num(n)} ${list.noun} · open ${num(open)}`, `step ${list.step}`, width - 1), { bold: true });
  let body: StyledLine[];
  let keys: [string, string][];
  const mappingItem = mapping && list.items.find((x) => x.id === mapping.id);
  if (mapping && mappingItem) {
    body = mappingLines(mapping, mappingItem, width);
    keys = mapping.found ? [['enter', `map to #${mapping.found.id}`], ['type', 'change'], ['?', 'keys'], ['esc', 'cancel']]
      : [['type', 'a uuid or an email'], ['enter', 'look it up'], ['?', 'keys'], ['esc', 'cancel']];
  } else if (asking) {
    body = pending.length
      ? [line(` Take the suggested answer for ${num(pending.length)} open ${list.noun}?`, { bold: true }),
        ...list.answers.map((a) => line(`   ${a.value}: ${num(pending.filter((it) => it.suggested === a.value).length)}`)), line(''),
        ...pending.slice(0, Math.max(1, height - 4)).map((it) => line(`   ${cell(it.id, Math.max(12, width - 20))} ${it.suggested}`))]
      : [line(' Every one is already answered: nothing to accept.')];
    keys = pending.length ? [['y', `accept ${num(pending.length)}`], ['n esc', 'cancel']] : [['esc', 'back']];
  } else {
    const idw = Math.min(36, Math.max(16, width - 44));
    body = [line(`     ${cell(list.noun.replace(/s$/, ''), idw)} ${cell('what', width - idw - 29)} answer`, { dim: true })];
    for (let i = t; i < Math.min(n, t + height); i++) {
      const it = list.items[i]!;
      const a = answerOf(list, decisions, it.id);
      // A hand mapping ("→ …") is always the operator's.
      const src = a !== undefined && !UUID_SHAPE.test(a) && decisions.get(UNKNOWN_PREFIX + it.id)?.source === 'operator' ? ' (you)' : '';
      const ans = a !== undefined ? `${shownAnswer(a, names)}${src}` : `${it.suggested}?`;
      body.push(line(` ${i === cur ? '▶' : ' '} ${a !== undefined ? '✓' : '·'} ${cell(it.id, idw)} ${cell(it.detail, width - idw - 29)} ${cut(ans, 21)}`,
        { bold: i === cur, color: a !== undefined ? 'green' : 'yellow' }));
    }
    const it = list.items[cur];
    const chosen = it && answerOf(list, decisions, it.id);
    const about = chosen && UUID_SHAPE.test(chosen)
      ? ` mapped by hand to ${names.get(chosen) ? `${names.get(chosen)} (uuid ${chosen})` : `uuid ${chosen}`}: its rows become that user's`
      : it && ` why ${it.suggested}: ${it.reason}`;
    if (about) body.push(line(''), ...wrapLines([line(about, { dim: true })], width - 1).slice(0, 3));
    keys = [...list.answers.map((a) => [a.key, a.value] as [string, string]), ...(p.onFind ? [['m', 'map to user'] as [string, string]] : []),
      ['a', 'accept all'], ['↑↓ j', 'move'], ['?', 'keys'], ['esc', 'back']];
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

interface Mapping {
  id: string;
  text: string;
  looking?: boolean;
  found?: AstakosUser;
  problem?: string;
}


/** An answer as the list shows it: a hand mapping as "→ email" when known, else "→ uuid…". */
function shownAnswer(a: string, names: ReadonlyMap<string, string>): string {
  if (!UUID_SHAPE.test(a)) return a;
  return `→ ${names.get(a) ?? `${a.slice(0, 8)}…`}`;
}

/** The m screen: the identifier, what it owns, the typed uuid or email, and who that is. */
function mappingLines(m: Mapping, item: { id: string; detail: string }, width: number): StyledLine[] {
  const out: StyledLine[] = [
    line(' Map it to an astakos user: type the user\'s uuid or email, then enter.', { bold: true }),
    line(''),
    line(`   identifier  ${item.id}`),
    line(`   owns        ${item.detail}`),
    line(''),
    line(` uuid or email: ${m.text}${CARET}`, { bold: true }),
    line(''),
  ];
  if (m.looking) out.push(line(' looking it up in astakos…', { dim: true }));
  else if (m.found) {
    const u = m.found;
    out.push(line(` → #${u.id} ${u.email}`, { bold: true, color: 'green' }),
      line(`   uuid ${u.uuid}`),
      line(`   ${u.active ? '✓ active' : '✗ not active'} · ${u.verified ? '✓ email verified' : '✗ email not verified'}`),
      line(''),
      line(` enter maps ${item.id} to this user: its VMs, networks and keys become theirs when 6.3 runs.`));
  } else if (m.problem) out.push(line(` ✗ ${m.problem}`, { color: 'red' }), line('   type again, or esc to cancel'));
  return wrapLines(out, width - 1);
}
