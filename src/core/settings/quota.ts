// The 0.12 settings the quota and remap steps need (cyclades per-user limits, the pithos
// default quota, astakos's service definitions), each with the file it came from or the
// upstream default it falls back to.
import { loadSettingsDir, parseSettings, SettingsError, type Assignment, type SettingsDir } from './parse.js';
import { PyDict, typeName, type PyValue } from './values.js';

/**
 * The per-user limits 0.12 applies when no settings file sets them (snf-cyclades-app and
 * snf-pithos-backend defaults): the one place the quota steps and the settings checks read them.
 */
export const DEFAULT_LIMITS_012 = {
  MAX_VMS_PER_USER: 3n,
  MAX_NETWORKS_PER_USER: 5n,
  /** 50 GiB. */
  PITHOS_BACKEND_QUOTA: 53687091200n,
} as const;

export type Host = 'astakos' | 'cyclades' | 'pithos';
export const HOSTS: readonly Host[] = ['astakos', 'cyclades', 'pithos'];

/** Folders holding each host's /etc/synnefo files (any may be missing). */
export interface SettingsDirs {
  astakos?: string;
  cyclades?: string;
  pithos?: string;
}

export interface FoundSetting<T> {
  name: string;
  host: Host;
  /** The value in effect: the files', or upstream's default when no file sets it. */
  value: T | undefined;
  /** True when no file sets it and `value` is upstream's default. */
  isDefault: boolean;
  file?: string;
  line?: number;
  /** Why `value` is undefined: not a literal, wrong type, folder not configured or unreadable. */
  problem?: string;
}

export interface ServiceResource {
  /** As in ASTAKOS_SERVICES ("vm", "network.private"). */
  name: string;
  /** "<service>.<resource>", the name the quotaholder knows ("cyclades.vm"). */
  fullName: string;
  group?: string;
  /** Missing means 0 when astakos-init creates the resource. */
  uplimit?: bigint;
  unit?: string;
  desc?: string;
}

export interface ServiceDef {
  name: string;
  url?: string;
  order?: bigint;
  resources: ServiceResource[];
}

export interface QuotaSettings {
  maxVmsPerUser: FoundSetting<bigint>;
  vmsUserQuota: FoundSetting<PyDict>;
  maxNetworksPerUser: FoundSetting<bigint>;
  networksUserQuota: FoundSetting<PyDict>;
  backendPerUser: FoundSetting<PyDict>;
  uiSystemImagesOwners: FoundSetting<PyDict>;
  /** PITHOS_BACKEND_QUOTA: the default account (and container) quota in bytes; 0 = unlimited. */
  pithosBackendQuota: FoundSetting<bigint>;
  astakosServices: FoundSetting<ServiceDef[]>;
  /** Problems inside ASTAKOS_SERVICES (bad shapes, unknown keys). */
  servicesProblems: string[];
}

/** ASTAKOS_SERVICES as shipped with astakos 0.13 (urls commented out), = the guide's step 5 block. */
export const DEFAULT_ASTAKOS_SERVICES_SOURCE = `ASTAKOS_SERVICES = {
    'cyclades': {
        'resources': [{
            'name': 'disk',
            'group': 'compute',
            'uplimit': 30*1024*1024*1024,
            'unit': 'bytes',
            'desc': 'Virtual machine disk size'
            }, {
            'name': 'cpu',
            'group': 'compute',
            'uplimit': 6,
            'desc': 'Number of virtual machine processors'
            }, {
            'name': 'ram',
            'group': 'compute',
            'uplimit': 6*1024*1024*1024,
            'unit': 'bytes',
            'desc': 'Virtual machines'
            }, {
            'name': 'vm',
            'group': 'compute',
            'uplimit': 2,
            'desc': 'Number of virtual machines'
            }, {
            'name': 'network.private',
            'group': 'network',
            'uplimit': 1,
            'desc': 'Private networks'
            }
        ]
    },
    'pithos+': {
        'resources':[{
            'name': 'diskspace',
            'group': 'storage',
            'uplimit': 5*1024*1024*1024,
            'unit': 'bytes',
            'desc': 'Pithos account diskspace'
            }]
    }
}
`;

/** The resources 0.13's cyclades and pithos send commissions for (names must match exactly). */
export const KNOWN_RESOURCES = [
  'cyclades.disk', 'cyclades.cpu', 'cyclades.ram', 'cyclades.vm', 'cyclades.network.private', 'pithos+.diskspace',
] as const;

const RESOURCE_KEYS = new Set(['name', 'group', 'uplimit', 'unit', 'desc']);
const SERVICE_KEYS = new Set(['url', 'order', 'resources']);

/** ASTAKOS_SERVICES (a Python value) → typed services, plus what is wrong with it. */
export function readAstakosServices(value: PyValue): { services: ServiceDef[]; problems: string[] } {
  const problems: string[] = [];
  const services: ServiceDef[] = [];
  if (!(value instanceof PyDict)) return { services, problems: [`ASTAKOS_SERVICES is a ${typeName(value)}, not a dict`] };
  for (const [name, def] of value.items()) {
    if (typeof name !== 'string') {
      problems.push(`service name ${String(name)} is not a string`);
      continue;
    }
    if (!(def instanceof PyDict)) {
      problems.push(`service ${name}: a ${typeName(def)}, not a dict`);
      continue;
    }
    const svc: ServiceDef = { name, resources: [] };
    for (const k of def.keys()) {
      if (typeof k !== 'string' || !SERVICE_KEYS.has(k)) problems.push(`service ${name}: unknown key ${String(k)}`);
    }
    const url = def.get('url');
    if (typeof url === 'string') svc.url = url;
    else if (url !== undefined && url !== null) problems.push(`service ${name}: url is a ${typeName(url)}`);
    const order = def.get('order');
    if (typeof order === 'bigint') svc.order = order;
    else if (order !== undefined) problems.push(`service ${name}: order is a ${typeName(order)}`);
    const resources = def.get('resources');
    if (resources === undefined) problems.push(`service ${name}: no resources`);
    else if (!Array.isArray(resources)) problems.push(`service ${name}: resources is a ${typeName(resources)}, not a list`);
    else {
      resources.forEach((r, i) => {
        if (!(r instanceof PyDict)) {
          problems.push(`service ${name}: resource #${i + 1} is a ${typeName(r)}, not a dict`);
          return;
        }
        const rname = r.get('name');
        if (typeof rname !== 'string' || !rname) {
          problems.push(`service ${name}: resource #${i + 1} has no name`);
          return;
        }
        const res: ServiceResource = { name: rname, fullName: `${name}.${rname}` };
        for (const k of r.keys()) {
          if (typeof k !== 'string' || !RESOURCE_KEYS.has(k)) {
            problems.push(`${res.fullName}: unknown key ${String(k)} (astakos-init cannot create the resource)`);
          }
        }
        const up = r.get('uplimit');
        if (typeof up === 'bigint') {
          if (up < 0n) problems.push(`${res.fullName}: negative uplimit ${up}`);
          res.uplimit = up;
        } else if (up !== undefined) problems.push(`${res.fullName}: uplimit is a ${typeName(up)}, not an integer`);
        for (const key of ['group', 'unit', 'desc'] as const) {
          const v = r.get(key);
          if (typeof v === 'string') res[key] = v;
          else if (v !== undefined && v !== null) problems.push(`${res.fullName}: ${key} is a ${typeName(v)}`);
        }
        svc.resources.push(res);
      });
    }
    services.push(svc);
  }
  return { services, problems };
}

let defaultServices: ServiceDef[] | undefined;
export function defaultAstakosServices(): ServiceDef[] {
  defaultServices ??= readAstakosServices(
    parseSettings(DEFAULT_ASTAKOS_SERVICES_SOURCE, '<astakos default>').settings.get('ASTAKOS_SERVICES')!.value!).services;
  return defaultServices;
}

/** Per-user limit overrides (VMS_USER_QUOTA …) as rows, with the entries that are not {str: int}. */
export function userLimitEntries(d: PyDict): { entries: { key: string; value: bigint; line: number }[]; problems: string[] } {
  const problems: string[] = [];
  const lastLine = new Map<string, number>();
  for (const e of d.entries) if (typeof e.key === 'string') lastLine.set(e.key, e.line);
  const entries: { key: string; value: bigint; line: number }[] = [];
  for (const [k, v] of d.items()) {
    if (typeof k !== 'string') problems.push(`key ${String(k)} is not a string`);
    else if (typeof v !== 'bigint') problems.push(`${k}: value is a ${typeName(v)}, not an integer`);
    else if (v < 0n) problems.push(`${k}: negative limit ${v}`);
    else entries.push({ key: k, value: v, line: lastLine.get(k)! });
  }
  return { entries, problems };
}

export type Loaded = { [H in Host]?: SettingsDir | { error: string } };

/** Loads the configured folders; an unreadable folder becomes { error } instead of throwing. */
export function loadDirs(dirs: SettingsDirs): Loaded {
  const out: Loaded = {};
  for (const h of HOSTS) {
    const dir = dirs[h];
    if (!dir) continue;
    try {
      out[h] = loadSettingsDir(dir);
    } catch (err) {
      if (!(err instanceof SettingsError)) throw err;
      out[h] = { error: err.message };
    }
  }
  return out;
}

function find<T>(loaded: Loaded, host: Host, name: string, fallback: T | undefined,
  accept: (v: PyValue) => T | undefined, expected: string): FoundSetting<T> {
  const base = { name, host };
  const dir = loaded[host];
  if (!dir) return { ...base, value: undefined, isDefault: false, problem: `no ${host} settings folder is configured` };
  if ('error' in dir) return { ...base, value: undefined, isDefault: false, problem: dir.error };
  const a: Assignment | undefined = dir.settings.get(name);
  if (!a) return { ...base, value: fallback, isDefault: true };
  const at = { file: a.file, line: a.line };
  if (a.value === undefined) return { ...base, ...at, value: undefined, isDefault: false, problem: `not a literal: ${a.unsupported}` };
  const v = accept(a.value);
  if (v === undefined) return { ...base, ...at, value: undefined, isDefault: false, problem: `a ${typeName(a.value)}, not ${expected}` };
  return { ...base, ...at, value: v, isDefault: false };
}

const asInt = (v: PyValue): bigint | undefined => (typeof v === 'bigint' ? v : undefined);
const asDict = (v: PyValue): PyDict | undefined => (v instanceof PyDict ? v : undefined);

/**
 * The 0.12 values the quota and remap steps need. DIRS is one folder holding every host's
 * files (all-in-one installs) or one folder per host.
 */
export function quotaSettings(dirs: string | SettingsDirs | Loaded): QuotaSettings {
  const loaded: Loaded = typeof dirs === 'string'
    ? (() => { const one = loadDirs({ astakos: dirs }).astakos!; return { astakos: one, cyclades: one, pithos: one }; })()
    : isLoaded(dirs) ? dirs : loadDirs(dirs);
  const cy = <T>(name: string, fallback: T | undefined, accept: (v: PyValue) => T | undefined, expected: string): FoundSetting<T> =>
    find(loaded, 'cyclades', name, fallback, accept, expected);
  let servicesProblems: string[] = [];
  const services = find<ServiceDef[]>(loaded, 'astakos', 'ASTAKOS_SERVICES', defaultAstakosServices(), (v) => {
    const r = readAstakosServices(v);
    servicesProblems = r.problems;
    return v instanceof PyDict ? r.services : undefined;
  }, 'a dict');
  return {
    maxVmsPerUser: cy('MAX_VMS_PER_USER', DEFAULT_LIMITS_012.MAX_VMS_PER_USER, asInt, 'an integer'),
    vmsUserQuota: cy('VMS_USER_QUOTA', new PyDict([]), asDict, 'a dict'),
    maxNetworksPerUser: cy('MAX_NETWORKS_PER_USER', DEFAULT_LIMITS_012.MAX_NETWORKS_PER_USER, asInt, 'an integer'),
    networksUserQuota: cy('NETWORKS_USER_QUOTA', new PyDict([]), asDict, 'a dict'),
    backendPerUser: cy('BACKEND_PER_USER', new PyDict([]), asDict, 'a dict'),
    uiSystemImagesOwners: cy('UI_SYSTEM_IMAGES_OWNERS', defaultImageOwners(), asDict, 'a dict'),
    pithosBackendQuota: find(loaded, 'pithos', 'PITHOS_BACKEND_QUOTA', DEFAULT_LIMITS_012.PITHOS_BACKEND_QUOTA, asInt, 'an integer'),
    astakosServices: services,
    servicesProblems,
  };
}

function isLoaded(d: SettingsDirs | Loaded): d is Loaded {
  return HOSTS.some((h) => d[h] !== undefined && typeof d[h] !== 'string');
}

/** cyclades 0.12/0.13 default of UI_SYSTEM_IMAGES_OWNERS (snf-cyclades-app ui settings). */
function defaultImageOwners(): PyDict {
  return parseSettings(`UI_SYSTEM_IMAGES_OWNERS = {
    'admin@synnefo.gr': 'system',
    'images@synnefo.gr': 'system'
}
`, '<cyclades default>').settings.get('UI_SYSTEM_IMAGES_OWNERS')!.value as PyDict;
}
