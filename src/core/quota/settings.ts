// The settings the quota steps read: cyclades' per-user limits and defaults (the 0.12
// values, and the uuid-keyed copies step 6.3 writes beside the originals), the pithos
// default quota, and what step 5 compares the new astakos defaults with.
import { existsSync, readFileSync } from 'node:fs';
import { loadSettingsDir, parseSettings, SettingsError, type Assignment, type SettingsFile } from '../settings/index.js';
import { DEFAULT_LIMITS_012, keyId, PyDict, typeName, type PyValue } from '../settings/index.js';
import { NEW_SUFFIX } from '../remap/cyclades/settings.js';
import type { Config } from '../../config.js';
import { QH_INF } from './numbers.js';

export type LimitSetting = 'VMS_USER_QUOTA' | 'NETWORKS_USER_QUOTA';
export const LIMIT_RESOURCE: Record<LimitSetting, string> = {
  VMS_USER_QUOTA: 'cyclades.vm',
  NETWORKS_USER_QUOTA: 'cyclades.network.private',
};

/** One entry of a per-user dict, Python's view (the last value of a repeated key). */
export interface LimitEntry {
  setting: LimitSetting;
  key: PyValue;
  value: PyValue;
  file: string;
  line: number;
}

export interface Scalar {
  value: bigint;
  /** Where it comes from: "file:line", or which upstream default. */
  source: string;
}

export interface CycladesLimits {
  /** The files read (a `.snf-upgrade-new` copy in place of its original where step 6.3 wrote one). */
  files: string[];
  maxVms: Scalar;
  maxNetworks: Scalar;
  entries: LimitEntry[];
  /** Settings that could not be read (not literals, wrong types): their entries are unknown. */
  problems: string[];
  /** No cyclades settings folder is configured: only the upstream defaults are known. */
  unconfigured: boolean;
}

const UPSTREAM_MAX = DEFAULT_LIMITS_012;
/** PITHOS_BACKEND_QUOTA's upstream default (50 GiB). */
export const PITHOS_DEFAULT_QUOTA = DEFAULT_LIMITS_012.PITHOS_BACKEND_QUOTA;

/** MAX_VMS_PER_USER and MAX_NETWORKS_PER_USER at their upstream defaults, WHY they apply. */
const upstreamMax = (why: string): Pick<CycladesLimits, 'maxVms' | 'maxNetworks'> => ({
  maxVms: { value: UPSTREAM_MAX.MAX_VMS_PER_USER, source: `cyclades default MAX_VMS_PER_USER = ${UPSTREAM_MAX.MAX_VMS_PER_USER} (${why})` },
  maxNetworks: { value: UPSTREAM_MAX.MAX_NETWORKS_PER_USER, source: `cyclades default MAX_NETWORKS_PER_USER = ${UPSTREAM_MAX.MAX_NETWORKS_PER_USER} (${why})` },
});

/**
 * Loads a settings folder file by file, as snf-common executes them; with PREFER_NEW, a
 * file's `.snf-upgrade-new` sibling (step 6.3's uuid-keyed rewrite) is read in its place.
 */
function loadMerged(dir: string, preferNew: boolean): { settings: Map<string, Assignment>; files: string[] } {
  const loaded = loadSettingsDir(dir);
  if (!preferNew) return { settings: loaded.settings, files: loaded.files.map((f) => f.file) };
  const settings = new Map<string, Assignment>();
  const files: string[] = [];
  for (const f of loaded.files) {
    let file: SettingsFile = f;
    const newer = f.file + NEW_SUFFIX;
    if (existsSync(newer)) file = parseSettings(readFileSync(newer, 'utf8'), newer, { env: settings });
    files.push(file.file);
    for (const a of file.assignments) settings.set(a.name, a);
  }
  return { settings, files };
}

function scalar(settings: Map<string, Assignment>, name: 'MAX_VMS_PER_USER' | 'MAX_NETWORKS_PER_USER', problems: string[]): Scalar {
  const a = settings.get(name);
  if (!a) return { value: UPSTREAM_MAX[name], source: `cyclades default ${name} = ${UPSTREAM_MAX[name]} (not set in the files)` };
  if (typeof a.value === 'bigint') return { value: a.value, source: `${a.file}:${a.line}` };
  problems.push(`${a.file}:${a.line}: ${name} is ${a.value === undefined ? `not a literal (${a.unsupported ?? '?'})` : `a ${typeName(a.value)}`}; using the upstream default ${UPSTREAM_MAX[name]}`);
  return { value: UPSTREAM_MAX[name], source: `cyclades default ${name} = ${UPSTREAM_MAX[name]} (${a.file}:${a.line} unreadable)` };
}

/**
 * VMS_USER_QUOTA / NETWORKS_USER_QUOTA and the MAX_* defaults of a cyclades settings folder.
 * PREFER_NEW reads step 6.3's rewritten copies where they exist (the 0.13 view); without it
 * the files as they are (the 0.12 view).
 */
export function readCycladesLimits(dir: string | undefined, preferNew: boolean): CycladesLimits {
  const problems: string[] = [];
  if (!dir) {
    return { files: [], entries: [], problems, unconfigured: true, ...upstreamMax('no cyclades settings folder configured') };
  }
  let merged;
  try {
    merged = loadMerged(dir, preferNew);
  } catch (err) {
    if (!(err instanceof SettingsError)) throw err;
    problems.push(err.message);
    return { files: [], entries: [], problems, unconfigured: false, ...upstreamMax('settings unreadable') };
  }
  const entries: LimitEntry[] = [];
  for (const setting of ['VMS_USER_QUOTA', 'NETWORKS_USER_QUOTA'] as const) {
    const a = merged.settings.get(setting);
    if (!a) continue;
    if (!(a.value instanceof PyDict)) {
      problems.push(`${a.file}:${a.line}: ${setting} is ${a.value === undefined ? `not a literal (${a.unsupported ?? '?'})` : `a ${typeName(a.value)}, not a dict`}`);
      continue;
    }
    // Python's view: one entry per key with its last value, at the line of that last value.
    const last = new Map<string, LimitEntry>();
    for (const e of a.value.entries) {
      let id: string;
      try {
        id = keyId(e.key);
      } catch {
        problems.push(`${a.file}:${e.line}: ${setting} has an unhashable key`);
        continue;
      }
      last.delete(id);
      last.set(id, { setting, key: e.key, value: e.value, file: a.file, line: e.line });
    }
    entries.push(...last.values());
  }
  return {
    files: merged.files, entries, problems, unconfigured: false,
    maxVms: scalar(merged.settings, 'MAX_VMS_PER_USER', problems),
    maxNetworks: scalar(merged.settings, 'MAX_NETWORKS_PER_USER', problems),
  };
}

/** The pithos default account quota (PITHOS_BACKEND_QUOTA); 0 means unlimited and becomes 10^32. */
export function readPithosDefault(dir: string | undefined): Scalar & { raw: bigint; problem?: string } {
  const fallback = { value: PITHOS_DEFAULT_QUOTA, raw: PITHOS_DEFAULT_QUOTA };
  if (!dir) return { ...fallback, source: 'pithos default PITHOS_BACKEND_QUOTA = 50 GiB (no pithos settings folder configured)' };
  let settings;
  try {
    settings = loadSettingsDir(dir).settings;
  } catch (err) {
    if (!(err instanceof SettingsError)) throw err;
    return { ...fallback, source: 'pithos default PITHOS_BACKEND_QUOTA = 50 GiB (settings unreadable)', problem: err.message };
  }
  const a = settings.get('PITHOS_BACKEND_QUOTA');
  if (!a) return { ...fallback, source: 'pithos default PITHOS_BACKEND_QUOTA = 50 GiB (not set in the files)' };
  if (typeof a.value !== 'bigint') {
    return {
      ...fallback, source: `pithos default PITHOS_BACKEND_QUOTA = 50 GiB (${a.file}:${a.line} unreadable)`,
      problem: `${a.file}:${a.line}: PITHOS_BACKEND_QUOTA is ${a.value === undefined ? 'not a literal' : `a ${typeName(a.value)}`}`,
    };
  }
  return { value: a.value === 0n ? QH_INF : a.value, raw: a.value, source: `${a.file}:${a.line}` };
}

/** The 0.12 limits in force: cyclades defaults and dicts as the files say, pithos default. */
export interface Baseline {
  cyclades: CycladesLimits;
  pithos: Scalar & { raw: bigint; problem?: string };
  /** Exact key → value of the 0.12 dicts (0.12 matched the astakos email case-sensitively). */
  vms: Map<string, bigint>;
  networks: Map<string, bigint>;
}

export function readBaseline(config: Config): Baseline {
  const cyclades = readCycladesLimits(config.cyclades.settings, false);
  const vms = new Map<string, bigint>();
  const networks = new Map<string, bigint>();
  for (const e of cyclades.entries) {
    if (typeof e.key !== 'string' || typeof e.value !== 'bigint') continue;
    (e.setting === 'VMS_USER_QUOTA' ? vms : networks).set(e.key, e.value);
  }
  return { cyclades, pithos: readPithosDefault(config.pithos.settings), vms, networks };
}

/**
 * A user's 0.12 limit of a cyclades resource: the dict entry whose key is the astakos email
 * exactly (or, where an operator already rewrote the key in place, the uuid), else the default.
 */
export function cycladesLimit012(b: Baseline, resource: string, user: { uuid: string; email: string }): bigint | undefined {
  if (resource === 'cyclades.vm') return b.vms.get(user.email) ?? b.vms.get(user.uuid) ?? b.cyclades.maxVms.value;
  if (resource === 'cyclades.network.private') return b.networks.get(user.email) ?? b.networks.get(user.uuid) ?? b.cyclades.maxNetworks.value;
  return undefined;
}
