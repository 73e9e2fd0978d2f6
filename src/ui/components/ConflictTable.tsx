// The conflict table (steps 2.1/2.2, 6.1, 6.2): groups of users that collide, the suggested
// survivor and why, the operator's choice. Controlled: the table state lives with the caller
// (so it survives the help screen and a trip back to the step); logic is in ../conflicts/model.
import { Box } from 'ink';
import { useCallback, useMemo, useRef, useState } from 'react';
import type { DecisionInput } from '../../engine/session.js';
import {
  acceptAllPlan, createViewCache, decidedId, effectiveFilter, isOpen, settle, shownRange, SORT_LABEL, WHY_ROWS,
  summarize, tableReducer, windowRows, type Row, type TableAction, type TableEnv, type TableState,
} from '../conflicts/model.js';
import type { ConflictGroup, ConflictUser, TableDecisions } from '../conflicts/types.js';
import { bytes, cell, cut, day, head, num, rcell, spread, wrap } from '../format.js';
import { listMove } from '../list.js';
import { CARET, textEdit } from '../text-entry.js';
import { KeyBar, line, Lines, Row as TextRow, type Size, type StyledLine, useKeys } from './common.js';

export interface ConflictTableProps {
  stepId: string;
  groups: ConflictGroup[];
  decisions: TableDecisions;
  state: TableState;
  setState(update: (s: TableState) => TableState): void;
  size: Size;
  active: boolean;
  onDecide(items: DecisionInput[]): void;
  /** Steps 6.1 / 6.2: `x` deletes the rows of the highlighted member of GROUP. */
  onDelete?(group: string, id: number): void;
  onBack(): void;
  onHelp(): void;
}

/** Column widths of a user row for a terminal WIDTH columns wide. */
export function userColumns(width: number) {
  const fixed = { lead: 5, id: 8, act: 4, ver: 4, login: 11, vms: 5, pithos: 10, keep: 5 };
  const used = Object.values(fixed).reduce((a, b) => a + b, 0);
  return { ...fixed, email: Math.max(12, width - 1 - used) };
}

type Kind = NonNullable<ConflictGroup['kind']>;

/** Column titles per kind of row: astakos users, cyclades identifiers (6.1), pithos accounts (6.2). */
const CAPTIONS: Record<Kind, [string, string, string, string, string, string]> = {
  users: ['user', 'email', 'act', 'ver', 'last login', 'VMs'],
  identifiers: ['', 'identifier', 'ast', '', 'nets  keys', 'VMs'],
  accounts: ['', 'account', 'ast', '', 'containers', 'objs'],
};

export function captionRow(width: number, kind: Kind = 'users'): string {
  const c = userColumns(width);
  const [id, email, act, ver, login, vms] = CAPTIONS[kind];
  const last = kind === 'identifiers' ? 'del VMs' : 'pithos';
  return `${' '.repeat(c.lead)}${cell(id, c.id)}${cell(email, c.email)}${cell(act, c.act)}${cell(ver, c.ver)}${cell(login, c.login)}${rcell(vms, c.vms - 1)} ${rcell(last, c.pithos - 1)} `;
}

export function userRow(g: ConflictGroup, u: ConflictUser, decisions: TableDecisions, cursor: boolean, width: number): string {
  const c = userColumns(width);
  const decided = decidedId(g, decisions);
  const kind = g.kind ?? 'users';
  if (kind !== 'users') {
    const drop = decisions.get(g.key)?.drop ?? [];
    const mark = decided !== undefined ? (drop.includes(u.id) ? 'del' : decided === u.id ? 'into' : 'merge') : u.id === g.suggested ? 'sugg' : '';
    const mid = kind === 'identifiers'
      ? `${cell(`${rcell(String(u.cyclades.networks), 4)}  ${String(u.cyclades.keys)}`, c.login)}${rcell(String(u.cyclades.vms_live), c.vms - 1)} ${rcell(String(u.cyclades.vms_deleted), c.pithos - 1)}`
      : `${cell(rcell(num(u.pithos.containers), 10), c.login)}${rcell(num(u.pithos.objects), c.vms - 1)} ${rcell(bytes(u.pithos.bytes), c.pithos - 1)}`;
    return `   ${cursor ? '›' : ' '} ${cell(`#${u.id}`, c.id)}${cell(u.email, c.email - 1)} ${cell(u.is_active ? '✓' : '✗', c.act)}${cell('', c.ver)}${mid} ${mark}`;
  }
  const keep = decided !== undefined ? (decided === u.id ? 'keep' : 'go') : u.id === g.suggested ? 'sugg' : '';
  return `   ${cursor ? '›' : ' '} ${cell(`#${u.id}`, c.id)}${cell(u.email, c.email - 1)} ${cell(u.is_active ? '✓' : '✗', c.act)}${cell(u.email_verified ? '✓' : '✗', c.ver)}`
    + `${cell(day(u.last_login), c.login)}${rcell(String(u.cyclades.vms_live), c.vms - 1)} ${rcell(bytes(u.pithos.bytes), c.pithos - 1)} ${keep}`;
}

/**
 * Detail row N of the highlighted user. The whole email comes first: the table's column cuts it,
 * often just where the case differs; when it is too wide it takes the second row too.
 */
export function detailRow(u: ConflictUser, n: number, width = Infinity): string {
  const full = `       #${u.id} ${u.email}${u.username === u.email ? '' : ` · username ${u.username}`}`;
  const first = head(full, width - 1);
  if (n === 0) return first;
  if (n === 1 && first !== full) return cut(`         ${full.slice(first.length)}`, width - 1);
  if (n === 1 && u.note !== undefined) return `       ${u.note}`;
  if (n === 1) {
    return `       joined ${day(u.date_joined)} · ${u.providers.join(',') || 'no provider'} · invitations ${u.invitations} · extra mails ${u.additional_mails}`;
  }
  // What else it owns, naming only what there is.
  const cy = u.cyclades;
  const pi = u.pithos;
  const items = ([
    [cy.vms_deleted, 'deleted VM'], [cy.networks, 'network'], [cy.keys, 'key'],
    [pi.containers, 'container'], [pi.objects, 'object'], [pi.groups, 'group'], [pi.permissions, 'share'],
  ] as [number, string][]).filter(([k]) => k > 0).map(([k, what]) => `${num(k)} ${what}${k === 1 ? '' : 's'}`);
  return `       also owns: ${items.join(' · ') || 'nothing else'}`;
}

export function groupRow(g: ConflictGroup, decisions: TableDecisions, cursor: boolean, width: number): string {
  const decided = decidedId(g, decisions);
  const d = decisions.get(g.key);
  const source = d?.source;
  const remap = (g.kind ?? 'users') !== 'users';
  const what = `${g.users.length} ${g.kind === 'identifiers' ? 'ids' : g.kind === 'accounts' ? 'accts' : 'users'}`;
  const verb = remap ? (d?.drop?.length ? `del ${d.drop.length}, into` : 'into') : 'kept';
  const right = decided !== undefined
    ? `${cell(what, 9)} ${cell(`${verb} #${decided} (${source === 'operator' ? 'you' : 'suggested'})`, 24)} decided`
    : `${cell(what, 9)} ${cell(`suggested #${g.suggested}`, 24)} open   `;
  return spread(`${cursor ? '▶' : ' '} ${decided !== undefined ? '✓' : '·'} ${g.key}`, right, width - 1);
}

export function ConflictTable(p: ConflictTableProps) {
  const { groups, decisions, state, size } = p;
  const width = size.columns;
  const viewRef = useRef<ReturnType<typeof createViewCache> | undefined>(undefined);
  viewRef.current ??= createViewCache();
  const view = viewRef.current;
  // Rows for the list: the screen minus header, caption, blank, key bar (and the frame's last line).
  const listHeight = Math.max(3, size.rows - 1 - 4);

  const envFor = useCallback((s: TableState): TableEnv => {
    const idx = view(groups, effectiveFilter(s), s.sort, s.epoch, decisions);
    return {
      count: idx.length,
      usersAt: (i) => groups[idx[i]!]!.users.length,
      openAt: (i) => isOpen(groups[idx[i]!]!, decisions),
      preferredUserAt: (i) => {
        const g = groups[idx[i]!]!;
        const want = decidedId(g, decisions) ?? g.suggested;
        return Math.max(0, g.users.findIndex((u) => u.id === want));
      },
      height: listHeight,
    };
  }, [groups, decisions, view, listHeight]);

  // The latest table state, ahead of the props while keys of one chunk are being handled.
  const latest = useRef(state);
  latest.current = state;
  const dispatch = useCallback((a: TableAction) => {
    const next = tableReducer(latest.current, a, envFor);
    latest.current = next;
    p.setState(() => next);
  }, [p.setState, envFor]);
  const idx = view(groups, effectiveFilter(state), state.sort, state.epoch, decisions);
  const env = envFor(state);
  const s = settle(state, env);
  const summary = summarize(groups, decisions);
  const pending = useMemo(() => (state.acceptAll ? acceptAllPlan(groups, decisions) : []), [state.acceptAll, groups, decisions]);
  // The accept-all summary scrolls (j / k / space) when its groups do not fit.
  const [summaryTop, setSummaryTop] = useState(0);
  const summaryRoom = Math.max(1, listHeight - 3);

  useKeys((input, key) => {
    const now = latest.current;
    if (now.acceptAll) {
      if (input === 'y' || key.return) {
        const accept = acceptAllPlan(groups, decisions);
        if (accept.length) p.onDecide(accept.map((a) => ({ key: a.key, value: a.keep, source: 'suggested' })));
        dispatch({ type: 'acceptAllClose', accepted: accept.length > 0 });
      } else if (input === 'n' || key.escape || input === 'q') {
        setSummaryTop(0);
        dispatch({ type: 'acceptAllClose', accepted: false });
      } else {
        const step = input === 'j' || key.downArrow ? 1 : input === 'k' || key.upArrow ? -1 : input === ' ' || key.pageDown ? summaryRoom : key.pageUp ? -summaryRoom : 0;
        if (step) setSummaryTop((t) => Math.max(0, Math.min(t + step, Math.max(0, pending.length - summaryRoom))));
      }
      return;
    }
    if (now.editing) {
      if (key.return) dispatch({ type: 'filterCommit' });
      else if (key.escape) dispatch({ type: 'filterCancel' });
      else {
        const edit = textEdit(input, key);
        if (edit) dispatch(edit.type === 'backspace' ? { type: 'filterBackspace' } : { type: 'filterType', text: edit.text });
      }
      return;
    }
    const move = listMove(input, key);
    if (move) dispatch({ type: move });
    else if (input === 'n') dispatch({ type: 'nextOpen' });
    else if (input === '/') dispatch({ type: 'filterStart' });
    else if (input === 's') dispatch({ type: 'sortCycle' });
    else if (input === 'a') dispatch({ type: 'acceptAllAsk' });
    else if (input === 'x' && p.onDelete) {
      const cur = settle(now, envFor(now));
      const g = groups[view(groups, effectiveFilter(now), now.sort, now.epoch, decisions)[cur.group]!];
      const u = g?.users[cur.user];
      if (g && u) { p.onDelete(g.key, u.id); dispatch({ type: 'settle' }); }
    }
    else if (input === '?') p.onHelp();
    else if (key.escape && now.filter) dispatch({ type: 'filterClear' });
    else if (key.escape || input === 'q') p.onBack();
    else if (key.return) {
      const cur = settle(now, envFor(now));
      const g = groups[view(groups, effectiveFilter(now), now.sort, now.epoch, decisions)[cur.group]!];
      const u = g?.users[cur.user];
      if (!g || !u) return;
      const wasOpen = isOpen(g, decisions);
      p.onDecide([{ key: g.key, value: u.id, source: 'operator' }]);
      dispatch(wasOpen ? { type: 'decided' } : { type: 'settle' });
    }
  }, p.active);

  // ------------------------------------------------------------------ header
  const rows = windowRows(s, env);
  const range = shownRange(rows);
  const filterText = state.editing ? `filter /${state.draft}${CARET}` : state.filter ? `filter /${state.filter}` : '';
  const counts = `Conflicts ${num(summary.groups)} · open ${num(summary.open)}`;
  const where = idx.length === 0 ? 'none shown' : `${num(range.from)}–${num(range.to)} of ${num(idx.length)}`;
  const header = line(spread(` ${counts} · ${where}${filterText ? ` · ${filterText}` : ''}`, `sort: ${SORT_LABEL[state.sort]}`, width - 1), { bold: true });

  let body: StyledLine[];
  let keys: [string, string][];
  if (state.acceptAll) {
    body = acceptAllLines(pending, groups.length, idx, groups, summaryRoom, summaryTop, width);
    const scrolls = pending.length > summaryRoom ? [['j k space', 'scroll'] as [string, string]] : [];
    keys = pending.length ? [['y', `accept ${num(pending.length)} suggestion(s)`], ...scrolls, ['n esc', 'cancel']] : [['esc', 'back']];
  } else {
    const kind = groups[0]?.kind ?? 'users';
    body = [line(captionRow(width, kind), { dim: true })];
    if (idx.length === 0) body.push(line(groups.length ? '   nothing matches the filter (esc clears it)' : '   no conflicts: nothing to decide'));
    for (const r of rows) body.push(renderRow(r, idx, groups, decisions, width));
    keys = state.editing
      ? [['type', 'filter'], ['enter', 'apply'], ['esc', 'cancel']]
      : p.onDelete
        ? [['enter', 'merge into'], ['x', 'delete rows'], ['a', 'accept all'], ['n', 'next'], ['/', 'filter'], ['?', 'keys'], ['esc', state.filter ? 'clear' : 'back']]
        : [['enter', 'keep'], ['a', 'accept all'], ['n', 'next open'], ['/', 'filter'], ['s', 'sort'], ['?', 'keys'], ['esc', state.filter ? 'clear filter' : 'back']];
  }

  return (
    <Box flexDirection="column" width={width}>
      <TextRow width={width} {...header} />
      <Lines lines={body.slice(0, listHeight + 1)} width={width} />
      {Array.from({ length: Math.max(0, listHeight + 1 - body.length) }, (_, i) => <TextRow key={`pad${i}`} text="" width={width} />)}
      <TextRow text="" width={width} />
      <KeyBar keys={keys} width={width} />
    </Box>
  );
}

/** Why the suggestion, on WHY_ROWS lines (the last cut): and the survivor chosen instead, once one is. */
export function whyLines(g: ConflictGroup, decisions: TableDecisions, width: number): string[] {
  const reason = g.reasons.join('; ') || 'no reason given';
  const kept = decidedId(g, decisions);
  const text = kept !== undefined && kept !== g.suggested ? `#${kept} chosen; the suggestion was #${g.suggested}: ${reason}` : `why #${g.suggested}: ${reason}`;
  const lines = wrap(`       ${text}`, width - 1, '         ');
  return lines.length > WHY_ROWS ? [...lines.slice(0, WHY_ROWS - 1), cut(lines.slice(WHY_ROWS - 1).join(' '), width - 1)] : lines;
}

function renderRow(r: Row, idx: readonly number[], groups: ConflictGroup[], decisions: TableDecisions, width: number): StyledLine {
  const g = groups[idx[r.pos]!]!;
  switch (r.kind) {
    case 'group': {
      const open = isOpen(g, decisions);
      return line(groupRow(g, decisions, r.cursor, width), { bold: r.cursor, color: open ? 'yellow' : 'green' });
    }
    case 'user': {
      return line(userRow(g, g.users[r.user]!, decisions, r.cursor, width), { bold: r.cursor, color: r.cursor ? 'cyan' : undefined });
    }
    case 'detail': return line(detailRow(g.users[r.user]!, r.line, width), { dim: true });
    case 'why': return line(whyLines(g, decisions, width)[r.line] ?? '', { dim: true });
  }
}

/** The accept-all summary: what accepting does, then ROOM of the groups from TOP (the rest scroll). */
function acceptAllLines(pending: ReturnType<typeof acceptAllPlan>, total: number, idx: readonly number[], groups: ConflictGroup[], room: number, top: number, width: number): StyledLine[] {
  if (!pending.length) return [line(' Every group is already decided: nothing to accept.')];
  const drop = pending.reduce((n, a) => n + a.drop.length, 0);
  const shownKeys = new Set(idx.map((i) => groups[i]!.key));
  const hidden = pending.filter((a) => !shownKeys.has(a.key)).length;
  // Users are deleted (2.2); identifiers and accounts merge into the survivor (6.1 / 6.2).
  const kind = groups[0]?.kind ?? 'users';
  const [verb, noun] = kind === 'users' ? ['deletes', 'user(s) deleted'] : ['merges', `${kind === 'accounts' ? 'account' : 'identifier'}(s) merged`];
  const out: StyledLine[] = [
    line(` Accept the suggested survivor of ${num(pending.length)} open group(s) (of ${num(total)})?`, { bold: true }),
    line(`   ${num(pending.length)} group(s) as suggested · ${num(drop)} ${noun} when the step runs`),
  ];
  const range = pending.length > room ? `groups ${num(top + 1)}–${num(Math.min(pending.length, top + room))} of ${num(pending.length)}` : '';
  out.push(hidden ? line(`   ${num(hidden)} of them are hidden by the current filter${range ? ` · ${range}` : ''}`, { color: 'yellow' }) : line(range && `   ${range}`, { dim: true }));
  for (const a of pending.slice(top, top + room)) {
    out.push(line(`   ${cell(a.key, Math.max(12, width - 44))} keeps #${cell(String(a.keep), 8)} ${verb} ${a.drop.length}: ${a.drop.map((d) => `#${d}`).join(', ')}`));
  }
  if (pending.length > top + room) out.push(line(`   … and ${num(pending.length - top - room)} more (j scrolls)`, { dim: true }));
  return out;
}
