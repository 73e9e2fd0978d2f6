// The conflict table's logic, pure and UI-free: filtering, sorting (memoised, so a keystroke
// on a 10,000-group list costs a window's worth of work), the cursor/scroll reducer, the
// rows of the visible window, and the counts the step screens show.
import type { ConflictGroup, ConflictUser, TableDecisions } from './types.js';

export type SortMode = 'open' | 'key' | 'size';
export const SORT_ORDER: SortMode[] = ['open', 'key', 'size'];
export const SORT_LABEL: Record<SortMode, string> = { open: 'open first', key: 'key', size: 'size' };

// ---------------------------------------------------------------------------- decisions

/** The survivor the operator (or accept-all) chose for G, if it is still one of G's users. */
export function decidedId(g: ConflictGroup, decisions: TableDecisions): number | undefined {
  const d = decisions.get(g.key);
  if (!d) return undefined;
  const id = Number(d.value);
  return g.users.some((u) => u.id === id) ? id : undefined;
}

export const isOpen = (g: ConflictGroup, decisions: TableDecisions): boolean => decidedId(g, decisions) === undefined;

/** Who stays: the decided user, else the suggested one. */
export const survivorId = (g: ConflictGroup, decisions: TableDecisions): number => decidedId(g, decisions) ?? g.suggested;

const ownsCyclades = (u: ConflictUser): boolean =>
  u.cyclades.vms_live + u.cyclades.vms_deleted + u.cyclades.networks + u.cyclades.keys > 0;
const ownsPithos = (u: ConflictUser): boolean => u.pithos.containers + u.pithos.groups + u.pithos.permissions > 0 || u.pithos.bytes !== '0';

export interface ConflictSummary {
  groups: number;
  users: number;
  decided: number;
  bySuggestion: number;
  byOperator: number;
  open: number;
  /** Users that go away (every group keeps one). */
  toDelete: number;
  /** Users that go away and own something in cyclades / pithos (merged in 6.1 / 6.2). */
  cycladesMerges: number;
  pithosMerges: number;
}

const summaryCache = new WeakMap<readonly ConflictGroup[], { decisions: TableDecisions; summary: ConflictSummary }>();

export function summarize(groups: readonly ConflictGroup[], decisions: TableDecisions): ConflictSummary {
  const hit = summaryCache.get(groups);
  if (hit && hit.decisions === decisions) return hit.summary;
  const s: ConflictSummary = { groups: groups.length, users: 0, decided: 0, bySuggestion: 0, byOperator: 0, open: 0, toDelete: 0, cycladesMerges: 0, pithosMerges: 0 };
  for (const g of groups) {
    s.users += g.users.length;
    s.toDelete += Math.max(0, g.users.length - 1);
    const decided = decidedId(g, decisions);
    if (decided === undefined) s.open++;
    else {
      s.decided++;
      if (decisions.get(g.key)!.source === 'operator') s.byOperator++;
      else s.bySuggestion++;
    }
    const keep = decided ?? g.suggested;
    for (const u of g.users) {
      if (u.id === keep) continue;
      if (ownsCyclades(u)) s.cycladesMerges++;
      if (ownsPithos(u)) s.pithosMerges++;
    }
  }
  summaryCache.set(groups, { decisions, summary: s });
  return s;
}

export interface AcceptItem { key: string; keep: number; drop: number[] }

/** What `a` would decide: the suggested survivor of every open group. */
export function acceptAllPlan(groups: readonly ConflictGroup[], decisions: TableDecisions): AcceptItem[] {
  const out: AcceptItem[] = [];
  for (const g of groups) {
    if (!isOpen(g, decisions)) continue;
    out.push({ key: g.key, keep: g.suggested, drop: g.users.filter((u) => u.id !== g.suggested).map((u) => u.id) });
  }
  return out;
}

// ---------------------------------------------------------------------------- filter and sort

/** What a group is matched on: its key, its users' usernames and emails, and #id. */
function haystack(g: ConflictGroup): string {
  let s = g.key;
  for (const u of g.users) {
    s += `\n#${u.id}\n${u.username.toLowerCase()}`;
    const email = u.email.toLowerCase();
    if (email !== g.key) s += `\n${email}`;
  }
  return s;
}

const haystacks = new WeakMap<readonly ConflictGroup[], string[]>();
const keyOrders = new WeakMap<readonly ConflictGroup[], number[]>();

function haystacksOf(groups: readonly ConflictGroup[]): string[] {
  let h = haystacks.get(groups);
  if (!h) { h = groups.map(haystack); haystacks.set(groups, h); }
  return h;
}

/** Group indices in key order (the base order every view starts from). */
export function keyOrder(groups: readonly ConflictGroup[]): number[] {
  let o = keyOrders.get(groups);
  if (!o) {
    o = groups.map((_, i) => i).sort((a, b) => (groups[a]!.key < groups[b]!.key ? -1 : groups[a]!.key > groups[b]!.key ? 1 : a - b));
    keyOrders.set(groups, o);
  }
  return o;
}

/** Indices (in key order) of the groups matching FILTER (case-insensitive substring; "#12" matches a user id). */
export function filterGroups(groups: readonly ConflictGroup[], filter: string, within?: readonly number[]): number[] {
  const base = within ?? keyOrder(groups);
  const needle = filter.trim().toLowerCase();
  if (!needle) return [...base];
  const h = haystacksOf(groups);
  if (/^#\d+$/.test(needle)) {
    const line = needle;
    return base.filter((i) => h[i]!.split('\n').includes(line));
  }
  return base.filter((i) => h[i]!.includes(needle));
}

/** Orders the indices IDX (given in key order) by MODE; stable. */
export function sortGroups(groups: readonly ConflictGroup[], idx: readonly number[], mode: SortMode, decisions: TableDecisions): number[] {
  switch (mode) {
    case 'key': return [...idx];
    case 'open': {
      const open: number[] = [];
      const done: number[] = [];
      for (const i of idx) (isOpen(groups[i]!, decisions) ? open : done).push(i);
      return open.concat(done);
    }
    case 'size': {
      const rank = new Map(idx.map((i, r) => [i, r]));
      return [...idx].sort((a, b) => groups[b]!.users.length - groups[a]!.users.length || rank.get(a)! - rank.get(b)!);
    }
  }
}

/**
 * A memoised view maker: the filtered, sorted list of group indices. Filtering is redone only
 * when the groups or the filter change (narrowing a filter searches the previous result only);
 * sorting only when the filter result, the mode or EPOCH change. The open-first order is taken
 * at that moment, so deciding a group does not make the list jump under the cursor.
 */
export function createViewCache() {
  let fGroups: readonly ConflictGroup[] | undefined;
  let fNeedle = '';
  let fResult: number[] = [];
  let sInput: number[] | undefined;
  let sMode: SortMode | undefined;
  let sEpoch = -1;
  let sResult: number[] = [];
  return function view(groups: readonly ConflictGroup[], filter: string, mode: SortMode, epoch: number, decisions: TableDecisions): number[] {
    const needle = filter.trim().toLowerCase();
    if (groups !== fGroups || needle !== fNeedle || sInput === undefined) {
      const narrowing = groups === fGroups && fNeedle !== '' && needle.includes(fNeedle) && !needle.startsWith('#') && !fNeedle.startsWith('#');
      fResult = filterGroups(groups, needle, narrowing ? fResult : undefined);
      fGroups = groups;
      fNeedle = needle;
      sInput = undefined;
    }
    if (sInput !== fResult || mode !== sMode || epoch !== sEpoch) {
      sResult = sortGroups(groups, fResult, mode, decisions);
      sInput = fResult;
      sMode = mode;
      sEpoch = epoch;
    }
    return sResult;
  };
}

// ---------------------------------------------------------------------------- cursor and scroll

export interface TableState {
  /** Cursor: position in the view, and the user within that (expanded) group (-1: its suggested or decided user). */
  group: number;
  user: number;
  /** First visible row. */
  top: number;
  filter: string;
  /** Whether the filter is being typed (then DRAFT is what the view shows). */
  editing: boolean;
  draft: string;
  sort: SortMode;
  /** Bumped whenever the order should be taken again (sort or filter change, accept-all). */
  epoch: number;
  /** The accept-all summary is open. */
  acceptAll: boolean;
}

export const initialTable = (over: Partial<TableState> = {}): TableState => ({
  group: 0, user: -1, top: 0, filter: '', editing: false, draft: '', sort: 'open', epoch: 0, acceptAll: false, ...over,
});

/** What the reducer needs to know about the current view. */
export interface TableEnv {
  /** Groups in the view. */
  count: number;
  /** Users of the group at view position I. */
  usersAt(i: number): number;
  openAt(i: number): boolean;
  /** Position of the suggested (or decided) user within the group at view position I. */
  preferredUserAt(i: number): number;
  /** Rows the list may use. */
  height: number;
}

export type TableAction =
  | { type: 'down' } | { type: 'up' } | { type: 'pageDown' } | { type: 'pageUp' } | { type: 'first' } | { type: 'last' }
  | { type: 'nextOpen' }
  /** The highlighted group was just decided: move to the next open group. */
  | { type: 'decided' }
  | { type: 'filterStart' } | { type: 'filterType'; text: string } | { type: 'filterBackspace' }
  | { type: 'filterCommit' } | { type: 'filterCancel' } | { type: 'filterClear' }
  | { type: 'sortCycle' }
  | { type: 'acceptAllAsk' } | { type: 'acceptAllClose'; accepted: boolean }
  | { type: 'settle' };

/** Rows the expanded (highlighted) group takes besides its header: users, three detail rows (the full email first), two of why. */
export const DETAIL_ROWS = 3;
export const WHY_ROWS = 2;
export const expandedExtra = (users: number): number => users + DETAIL_ROWS + WHY_ROWS;

/** The filter the view shows: the draft while typing. */
export const effectiveFilter = (s: TableState): string => (s.editing ? s.draft : s.filter);

function moveTo(s: TableState, group: number, user: number): TableState {
  return { ...s, group, user };
}

function nextOpenFrom(env: TableEnv, from: number, skip: number): number | undefined {
  for (let k = 0; k < env.count; k++) {
    const i = (from + k) % env.count;
    if (i !== skip && env.openAt(i)) return i;
  }
  return undefined;
}

/** Clamps the cursor to the view and scrolls so that it (and ideally its whole group) shows. */
export function settle(s: TableState, env: TableEnv): TableState {
  if (env.count === 0) return s.group === 0 && s.user === -1 && s.top === 0 ? s : { ...s, group: 0, user: -1, top: 0 };
  const group = Math.max(0, Math.min(s.group, env.count - 1));
  const users = env.usersAt(group);
  const user = s.user < 0 ? env.preferredUserAt(group) : Math.max(0, Math.min(s.user, users - 1));
  const height = Math.max(1, env.height);
  const extra = expandedExtra(users);
  const total = env.count + extra;
  const cursorRow = group + 1 + user;
  let top = s.top;
  if (top + height - 1 < group + extra) top = group + extra - height + 1; // show the group's last row
  if (top > group) top = group; // show the group's header
  if (cursorRow > top + height - 1) top = cursorRow - height + 1; // a group taller than the window
  if (cursorRow < top) top = cursorRow;
  top = Math.max(0, Math.min(top, Math.max(0, total - height)));
  if (group === s.group && user === s.user && top === s.top) return s;
  return { ...s, group, user, top };
}

/** The reducer. ENV_FOR gives the view of a state (the view depends on its filter and sort). */
export function tableReducer(s: TableState, a: TableAction, envFor: (s: TableState) => TableEnv): TableState {
  const env = envFor(s);
  const base = settle(s, env);
  const next = step(base, a, env);
  return next === base && a.type !== 'settle' ? base : settle(next, envFor(next));
}

function step(s: TableState, a: TableAction, env: TableEnv): TableState {
  const page = Math.max(1, env.height - 1);
  switch (a.type) {
    case 'down': {
      if (env.count === 0) return s;
      if (s.user < env.usersAt(s.group) - 1) return moveTo(s, s.group, s.user + 1);
      if (s.group < env.count - 1) return moveTo(s, s.group + 1, 0);
      return s;
    }
    case 'up': {
      if (env.count === 0) return s;
      if (s.user > 0) return moveTo(s, s.group, s.user - 1);
      if (s.group > 0) return moveTo(s, s.group - 1, env.usersAt(s.group - 1) - 1);
      return s;
    }
    case 'pageDown': {
      if (env.count === 0) return s;
      const g = Math.min(env.count - 1, s.group + page);
      return { ...moveTo(s, g, env.preferredUserAt(g)), top: s.top + page };
    }
    case 'pageUp': {
      if (env.count === 0) return s;
      const g = Math.max(0, s.group - page);
      return { ...moveTo(s, g, env.preferredUserAt(g)), top: Math.max(0, s.top - page) };
    }
    case 'first': return env.count ? { ...moveTo(s, 0, env.preferredUserAt(0)), top: 0 } : s;
    case 'last': return env.count ? moveTo(s, env.count - 1, env.preferredUserAt(env.count - 1)) : s;
    case 'nextOpen':
    case 'decided': {
      if (env.count === 0) return s;
      // After a decision the decided group is skipped even if the view still counts it open.
      const g = nextOpenFrom(env, s.group + 1, a.type === 'decided' ? s.group : -1);
      if (g === undefined) return s;
      return moveTo(s, g, env.preferredUserAt(g));
    }
    case 'filterStart': return { ...s, editing: true, draft: s.filter, acceptAll: false };
    case 'filterType': return s.editing ? { ...s, draft: s.draft + a.text, group: 0, user: -1, top: 0 } : s;
    case 'filterBackspace': return s.editing ? { ...s, draft: s.draft.slice(0, -1), group: 0, user: -1, top: 0 } : s;
    case 'filterCommit': return s.editing ? { ...s, editing: false, filter: s.draft.trim(), draft: '', epoch: s.epoch + 1 } : s;
    case 'filterCancel': return s.editing ? { ...s, editing: false, draft: '', group: 0, user: -1, top: 0 } : s;
    case 'filterClear': return s.filter ? { ...s, filter: '', group: 0, user: -1, top: 0, epoch: s.epoch + 1 } : s;
    case 'sortCycle': {
      const sort = SORT_ORDER[(SORT_ORDER.indexOf(s.sort) + 1) % SORT_ORDER.length]!;
      return { ...s, sort, epoch: s.epoch + 1, group: 0, user: -1, top: 0 };
    }
    case 'acceptAllAsk': return { ...s, acceptAll: true };
    case 'acceptAllClose': return { ...s, acceptAll: false, epoch: a.accepted ? s.epoch + 1 : s.epoch };
    case 'settle': return s;
  }
}

// ---------------------------------------------------------------------------- the visible window

export type Row =
  | { kind: 'group'; pos: number; cursor: boolean }
  | { kind: 'user'; pos: number; user: number; cursor: boolean }
  | { kind: 'detail'; pos: number; user: number; line: number }
  | { kind: 'why'; pos: number; line: number };

/** The rows from s.top, at most HEIGHT: only what is on screen is ever built. */
export function windowRows(s: TableState, env: TableEnv): Row[] {
  const rows: Row[] = [];
  if (env.count === 0) return rows;
  const users = env.usersAt(s.group);
  const extra = expandedExtra(users);
  const total = env.count + extra;
  for (let r = s.top; r < total && rows.length < env.height; r++) {
    if (r <= s.group) rows.push({ kind: 'group', pos: r, cursor: r === s.group });
    else if (r <= s.group + users) rows.push({ kind: 'user', pos: s.group, user: r - s.group - 1, cursor: r - s.group - 1 === s.user });
    else if (r <= s.group + users + DETAIL_ROWS) rows.push({ kind: 'detail', pos: s.group, user: s.user, line: r - s.group - users - 1 });
    else if (r <= s.group + extra) rows.push({ kind: 'why', pos: s.group, line: r - s.group - users - DETAIL_ROWS - 1 });
    else rows.push({ kind: 'group', pos: r - extra, cursor: false });
  }
  return rows;
}

/** The view positions of the first and last group the window shows (1-based, for "12–30 of 10,000"). */
export function shownRange(rows: readonly Row[]): { from: number; to: number } {
  if (!rows.length) return { from: 0, to: 0 };
  return { from: rows[0]!.pos + 1, to: rows[rows.length - 1]!.pos + 1 };
}
