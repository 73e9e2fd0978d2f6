// The settings part of step 6.3 (cyclades.md §5): the per-user dicts keyed by identifier —
// VMS_USER_QUOTA, NETWORKS_USER_QUOTA (the guide names these), BACKEND_PER_USER and
// UI_SYSTEM_IMAGES_OWNERS (it forgets these) — get uuid keys. Case duplicates become one
// entry (quotas: the larger value; the others: the entry that applied in 0.12, i.e. whose
// key is the astakos email exactly), unknown keys follow the operator's 6.3 decision for the
// same identifier or are dropped, and everything is reported. The new files are written
// beside the old ones (never over them); the unified diff goes in the findings and summary.
import { existsSync, readFileSync } from 'node:fs';
import { pyLower } from '../../fold.js';
import {
  formatPyValue, loadSettingsDir, maskSecrets, parseSettings, pyEquals, PyDict, pyString, rewriteDictKeys, SettingsError, unifiedDiff, writeBeside,
  type DictKeyChange, type PyValue, type SettingsFile,
} from '../../settings/index.js';
import { UserError } from '../../../errors.js';
import type { UuidMap } from '../uuids.js';
import { isEmailish } from './identifiers.js';
import type { SettingsFileRewrite, SettingsKeyChange, SettingsRewrite, UnknownAction } from './types.js';
import type { LimitChoice } from '../../limit-choice.js';

export const IDENTIFIER_SETTINGS = ['VMS_USER_QUOTA', 'NETWORKS_USER_QUOTA', 'BACKEND_PER_USER', 'UI_SYSTEM_IMAGES_OWNERS'] as const;
/** The per-user limit settings, each with the setting whose value a user without an entry has. */
export const QUOTA_DEFAULTS: Record<string, string> = { VMS_USER_QUOTA: 'MAX_VMS_PER_USER', NETWORKS_USER_QUOTA: 'MAX_NETWORKS_PER_USER' };
const QUOTA_SETTINGS = new Set<string>(Object.keys(QUOTA_DEFAULTS));
export const NEW_SUFFIX = '.snf-upgrade-new';

export interface KeyResolver {
  uuids: UuidMap;
  /** 6.3 decisions on unknown identifiers, keyed by Python lower() of the identifier. */
  decisions: Map<string, UnknownAction>;
  /** Astakos emails exactly as stored, keyed by username (lower(email)). */
  emails: Map<string, string>;
  /** How a per-user limit that 0.13 would apply differently from 0.12 is settled (undefined: as in 0.12). */
  limits?: (q: LimitQuestion) => LimitChoice | undefined;
}


/**
 * A user's entries in VMS_USER_QUOTA / NETWORKS_USER_QUOTA that 0.13 would apply otherwise than
 * 0.12 did: case variants of one email that become one uuid key, or a key 0.12 never matched
 * (0.12 matched the email case-sensitively). 0.12 applied the entry keyed by the astakos email
 * exactly, or none (the user had MAX_VMS_PER_USER / MAX_NETWORKS_PER_USER).
 */
export interface LimitQuestion {
  /** "<setting>/<uuid>": the decision's key. */
  id: string;
  setting: string;
  uuid: string;
  email: string;
  entries: { key: string; value: string; applied: boolean }[];
  /** What each choice gives the user: a value, or null for the setting's default (the entry dropped). */
  outcomes: Record<LimitChoice, string | null>;
}

/** What a settings key becomes: a uuid, itself (kept), or null (dropped), and why. */
export function resolveKey(r: KeyResolver, key: string): { to: string | null; note?: string } {
  if (r.uuids.isUuid(key)) return { to: key };
  const decided = r.decisions.get(pyLower(key));
  const uuid = isEmailish(key) ? r.uuids.lookup(pyLower(key)) : undefined;
  if (uuid) {
    const exact = r.emails.get(pyLower(key));
    const note = exact !== undefined && exact !== key
      ? `the astakos email is ${exact}: 0.12 matched keys case-sensitively, so this entry never applied; from 0.13 on it does`
      : undefined;
    return note ? { to: uuid, note } : { to: uuid };
  }
  if (decided === 'keep') return { to: key, note: 'astakos does not know it; kept as it is (6.3 decision)' };
  if (decided === 'delete') return { to: null, note: 'astakos does not know it; dropped with its cyclades rows (6.3 decision)' };
  if (decided !== undefined) return { to: decided, note: 'astakos does not know it; mapped by hand (6.3 decision)' };
  return { to: null, note: 'astakos does not know it; dropped (it can match no 0.13 user)' };
}

function largest(a: PyValue, b: PyValue, key: string): PyValue {
  if (typeof a === 'bigint' && typeof b === 'bigint') return a >= b ? a : b;
  if (pyEquals(a, b)) return a;
  throw new UserError(`entries that become ${pyString(key)} have values that are not integers (${formatPyValue(a)}, ${formatPyValue(b)})`,
    'merge them by hand and run again');
}

interface Planned { file: SettingsFile; text: string; changes: SettingsKeyChange[]; problems: string[]; limits: LimitQuestion[] }

/**
 * The limits of dict A that 0.13 would apply otherwise than 0.12, and how R's choices settle them:
 * keys dropped (LOSERS) and the notes that say why.
 */
function limitQuestions(name: string, a: { value: unknown }, r: KeyResolver, losers: Set<string>, notes: Map<string, string>): LimitQuestion[] {
  if (!(a.value instanceof PyDict)) return [];
  const byUuid = new Map<string, { key: string; value: PyValue }[]>();
  for (const [k, v] of a.value.stringItems()) {
    if (r.uuids.isUuid(k) || !isEmailish(k)) continue;
    const uuid = r.uuids.lookup(pyLower(k));
    if (uuid) byUuid.set(uuid, [...(byUuid.get(uuid) ?? []), { key: k, value: v }]);
  }
  const out: LimitQuestion[] = [];
  for (const [uuid, entries] of byUuid) {
    const email = r.emails.get(pyLower(entries[0]!.key)) ?? entries[0]!.key;
    const applied = entries.find((e) => e.key === email);
    if (entries.length < 2 && applied) continue;
    const numbers = entries.map((e) => e.value).filter((v): v is bigint => typeof v === 'bigint');
    const larger = numbers.length === entries.length ? numbers.reduce((x, y) => (x >= y ? x : y)) : undefined;
    const q: LimitQuestion = {
      id: `${name}/${uuid}`, setting: name, uuid, email,
      entries: entries.map((e) => ({ key: e.key, value: formatPyValue(e.value), applied: e === applied })),
      outcomes: { 'as-0.12': applied ? formatPyValue(applied.value) : null, larger: larger === undefined ? null : String(larger) },
    };
    // Only a real difference is a question: case variants that agree with what 0.12 applied just collapse.
    const differs = q.outcomes['as-0.12'] !== q.outcomes.larger;
    if (differs) out.push(q);
    const choice = differs ? r.limits?.(q) ?? 'as-0.12' : 'as-0.12';
    if (choice === 'larger') continue;
    for (const e of entries) {
      if (e === applied) continue;
      losers.add(e.key);
      notes.set(e.key, applied
        ? `case variant of ${applied.key}, the entry 0.12 applied (${formatPyValue(applied.value)}): dropped, as 0.12 (decision ${q.id})`
        : `0.12 never applied it (the astakos email is ${email}): dropped, so the user keeps the ${QUOTA_DEFAULTS[name]} default as in 0.12 (decision ${q.id})`);
    }
  }
  return out;
}

function rewriteFile(file: SettingsFile, r: KeyResolver): Planned {
  let text = file.text;
  const changes: SettingsKeyChange[] = [];
  const problems: string[] = [];
  const limits: LimitQuestion[] = [];
  for (const name of IDENTIFIER_SETTINGS) {
    const mine = file.assignments.filter((a) => a.name === name);
    if (!mine.length) continue;
    const notes = new Map<string, string>();
    const target = (key: string): string | null => {
      const { to, note } = resolveKey(r, key);
      if (note) notes.set(key, note);
      return to;
    };
    // Outside the quotas the winner of a case-duplicate group is the entry that applied in 0.12.
    const losers = new Set<string>();
    // Quotas: each limit 0.13 would apply otherwise is a decision (default: as 0.12 applied it).
    if (QUOTA_SETTINGS.has(name)) for (const a of mine) limits.push(...limitQuestions(name, a, r, losers, notes));
    else {
      for (const a of mine) {
        if (!(a.value instanceof PyDict)) continue;
        const groups = new Map<string, string[]>();
        for (const [k] of a.value.stringItems()) {
          const to = resolveKey(r, k).to;
          if (to !== null) groups.set(to, [...(groups.get(to) ?? []), k]);
        }
        for (const [to, keys] of groups) {
          if (keys.length < 2) continue;
          const exact = keys.find((k) => r.emails.get(pyLower(k)) === k);
          const winner = exact ?? keys[keys.length - 1]!;
          const why = exact ? 'the astakos email exactly, the entry 0.12 applied'
            : 'no key is the astakos email exactly, so the last one in the file stays, as Python keeps the last of equal keys';
          for (const k of keys) if (k !== winner) { losers.add(k); notes.set(k, `case duplicate of ${winner} (${why}); both become ${to}: dropped`); }
        }
      }
    }
    let result;
    try {
      result = rewriteDictKeys(text, name, (key) => (losers.has(key) ? null : target(key)), { file: file.file, merge: largest });
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      problems.push(`${file.file}: ${name}: ${err.message} (${err instanceof SettingsError ? 'edit it by hand' : err.next})`);
      continue;
    }
    text = result.text;
    for (const c of result.changes) changes.push(describe(name, c, notes, r));
  }
  return { file, text, changes, problems, limits };
}

function describe(setting: string, c: DictKeyChange, notes: Map<string, string>, r: KeyResolver): SettingsKeyChange {
  switch (c.kind) {
    case 'renamed': {
      const note = notes.get(c.from);
      return { setting, from: [c.from], to: c.to, ...(note ? { note } : {}) };
    }
    case 'dropped': {
      const note = notes.get(c.key);
      return { setting, from: [c.key], to: null, ...(c.value !== undefined ? { value: formatPyValue(c.value) } : {}), ...(note ? { note } : {}) };
    }
    case 'merged': {
      const values = c.from.map((f) => `${pyString(f.key)}: ${formatPyValue(f.value)}`).join(', ');
      const applied = c.from.find((f) => r.emails.get(pyLower(f.key)) === f.key);
      const was = applied
        ? `; 0.12 applied only ${applied.key} (the astakos email exactly): ${formatPyValue(applied.value)}`
        : '; 0.12 applied none of them (no key is the astakos email exactly)';
      return {
        setting, from: c.from.map((f) => f.key), to: c.to, value: formatPyValue(c.value),
        note: `case duplicates (${values}) became one entry with the larger value ${formatPyValue(c.value)}${was}`,
      };
    }
  }
}

/** The rewrite of every settings file in DIR that sets one of the identifier-keyed dicts (nothing written). */
export function planSettings(dir: string, r: KeyResolver): SettingsRewrite & { texts: Map<string, string> } {
  const problems: string[] = [];
  let loaded;
  try {
    loaded = loadSettingsDir(dir);
  } catch (err) {
    if (!(err instanceof SettingsError)) throw err;
    return { dir, files: [], changes: [], problems: [err.message], limits: [], texts: new Map() };
  }
  const files: SettingsFileRewrite[] = [];
  const changes: SettingsKeyChange[] = [];
  const limits: LimitQuestion[] = [];
  const texts = new Map<string, string>();
  for (const f of loaded.files) {
    const p = rewriteFile(f, r);
    problems.push(...p.problems);
    changes.push(...p.changes);
    limits.push(...p.limits);
    if (p.text === f.text) continue;
    const target = f.file + NEW_SUFFIX;
    files.push({ file: f.file, target, diff: maskSecrets(unifiedDiff(f.text, p.text, f.file, { newFile: target })) });
    texts.set(f.file, p.text);
  }
  for (const name of IDENTIFIER_SETTINGS) {
    const a = loaded.settings.get(name);
    if (a && a.value === undefined && !a.dictLiteral) problems.push(`${a.file}:${a.line}: ${name} is not a literal (${a.unsupported ?? 'unknown'}): convert its keys by hand`);
  }
  for (const c of changes) {
    if (c.to === null && c.note?.includes('dropped (it can match')) problems.push(`${c.setting}: key ${c.from[0]} is unknown to astakos and was dropped`);
  }
  return { dir, files, changes, problems, limits, texts };
}

/** Writes the planned files beside the originals; returns the paths written. */
export function writeSettings(plan: { texts: Map<string, string> }): string[] {
  const out: string[] = [];
  for (const [file, text] of plan.texts) {
    const target = file + NEW_SUFFIX;
    if (existsSync(target) && readFileSync(target, 'utf8') === text) { out.push(target); continue; }
    out.push(writeBeside(file, text, NEW_SUFFIX));
  }
  return out;
}

/** Summary lines for a settings rewrite (the diffs included). */
export function settingsSummary(s: SettingsRewrite, written?: string[]): string[] {
  const lines: string[] = [];
  const merged = s.changes.filter((c) => c.from.length > 1);
  const renamed = s.changes.filter((c) => c.from.length === 1 && c.to !== null);
  const dropped = s.changes.filter((c) => c.to === null);
  if (!s.files.length && !s.problems.length) {
    lines.push(`settings in ${s.dir}: no identifier-keyed entry to convert`);
    return lines;
  }
  lines.push(`settings: ${renamed.length} key(s) → uuid, ${merged.length} case-duplicate group(s) merged, ${dropped.length} dropped, in ${s.files.length} file(s)`);
  for (const c of merged) lines.push(`  ${c.setting}: ${c.note}`);
  for (const c of s.changes) if (c.from.length === 1 && c.note) lines.push(`  ${c.setting}: ${c.from[0]}: ${c.note}`);
  for (const p of s.problems) lines.push(`  ! ${p}`);
  if (written) for (const w of written) lines.push(`  wrote ${w} (install it over the original on the cyclades host)`);
  for (const f of s.files) lines.push(...f.diff.replace(/\n$/, '').split('\n'));
  return lines;
}

/** The string keys of the identifier-keyed dicts in DIR (for looking up their astakos emails). */
export function settingsKeys(dir: string): string[] {
  const keys = new Set<string>();
  try {
    for (const f of loadSettingsDir(dir).files) {
      for (const a of f.assignments) {
        if ((IDENTIFIER_SETTINGS as readonly string[]).includes(a.name) && a.value instanceof PyDict) {
          for (const [k] of a.value.stringItems()) keys.add(k);
        }
      }
    }
  } catch (err) {
    if (!(err instanceof SettingsError)) throw err;
  }
  return [...keys];
}

/**
 * Keys of the identifier-keyed dicts that are still not uuids (and not kept by a 6.3
 * decision), in the new files where written, else in the originals; and what could not be checked.
 */
export function settingsLeftovers(dir: string, ok: (key: string) => boolean): { bad: string[]; unchecked: string[] } {
  const bad: string[] = [];
  const unchecked: string[] = [];
  let loaded;
  try {
    loaded = loadSettingsDir(dir);
  } catch (err) {
    if (!(err instanceof SettingsError)) throw err;
    return { bad, unchecked: [err.message] };
  }
  for (const f of loaded.files) {
    const newer = f.file + NEW_SUFFIX;
    let file = f;
    if (existsSync(newer)) {
      try {
        file = parseSettingsFile(newer);
      } catch (err) {
        if (!(err instanceof SettingsError)) throw err;
        unchecked.push(err.message);
        continue;
      }
    }
    for (const a of file.assignments) {
      if (!(IDENTIFIER_SETTINGS as readonly string[]).includes(a.name)) continue;
      if (!(a.value instanceof PyDict)) { unchecked.push(`${a.file}:${a.line}: ${a.name} is not a literal`); continue; }
      for (const [k] of a.value.stringItems()) if (!ok(k)) bad.push(`${a.name}[${pyString(k)}] in ${file.file}`);
    }
  }
  return { bad, unchecked };
}

function parseSettingsFile(path: string): SettingsFile {
  return parseSettings(readFileSync(path, 'utf8'), path);
}
