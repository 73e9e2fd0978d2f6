// Step 5: services and resources, as `snf-manage astakos-init --load-service-resources`
// loads them (astakos.md §4.5) — after the `pithos` → `pithos+` rename it crashes without
// (§4.6, guide erratum 6) — and the new default limits compared with 0.12's.
//
// Definitions come from, in order: the answers file ({"<step>": {"services": {…}}}, the shape of
// ASTAKOS_SERVICES in JSON), ASTAKOS_SERVICES in the astakos settings folder, the guide's.
//   im_service  get-or-create by name (sorted); an existing one only gets its url updated;
//               a new one needs a url, gets `order` (given, or a running counter) and a token.
//   im_resource get-or-create by (service, name); an existing one gets desc / unit / group
//               (NULL when absent) and uplimit; a new one with unknown keys is not created;
//               a missing uplimit is 0.
//   quotaholder 'system' (the syncdb fixture) if missing; one entity per service (owner
//               'system', key '1'); per resource a service holding whose policy is 10^32 ×4.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type pg from 'pg';
import { CheckFailed, UserError } from '../../errors.js';
import { exampleOf, type AnswerAt, type AnswerParser } from '../answers.js';
import {
  defaultAstakosServices, KNOWN_RESOURCES, pyString, quotaSettings, type ServiceDef, type ServiceResource,
} from '../settings/index.js';
import type { ApplyResult, BeforeImage, Check, Findings, Plan, StepContext, StepModule, TableChange } from '../step.js';
import { batchName, plural, requireAstakos013, takeQuotaLock, type Q } from './common.js';
import { headroom, type Headroom } from './headroom.js';
import { big, fmtLimit, QH_INF } from './numbers.js';
import { ENTITY_KEY, readEntities, readHoldings, sameLimits, setQuota, SYSTEM, type Limits } from './qh.js';

export const RENAME_FROM = 'pithos';
export const RENAME_TO = 'pithos+';
const INF_LIMITS: Limits = { quantity: QH_INF, capacity: QH_INF, importLimit: QH_INF, exportLimit: QH_INF };

export interface Desired {
  services: ServiceDef[];
  source: string;
  problems: string[];
}

// ------------------------------------------------------------------ where the definitions come from

const RESOURCE_KEYS = new Set(['name', 'group', 'uplimit', 'unit', 'desc']);
const SERVICE_KEYS = new Set(['url', 'order', 'resources']);

/** How the messages name the answer: the answer "<step>".services. */
const answerLabel = (at: AnswerAt): string => `the answer "${at.step}".${at.key}`;

function answerInt(v: unknown, what: string, at: AnswerAt): bigint {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^[0-9]+$/.test(v)) return BigInt(v);
  throw new UserError(`${answerLabel(at)}: ${what} must be a whole number (write big ones as strings, e.g. "100000000000000000000000000000000")`,
    'fix the answers file');
}

/** {"<step>": {"services": {...}}}: ASTAKOS_SERVICES as JSON. */
export const servicesFromAnswer: AnswerParser<Desired> = (v, at) => {
  const bad = (what: string): never => {
    throw new UserError(`${answerLabel(at)} is not usable: ${what}`,
      `give it the shape of ASTAKOS_SERVICES, ${exampleOf(at, '{"cyclades": {"resources": [{"name": "vm", "group": "compute", "uplimit": 3}]}}')}`);
  };
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad('not an object of services');
  const problems: string[] = [];
  const services: ServiceDef[] = [];
  for (const [name, def] of Object.entries(v as Record<string, unknown>)) {
    if (typeof def !== 'object' || def === null || Array.isArray(def)) bad(`service ${name} is not an object`);
    const d = def as Record<string, unknown>;
    for (const k of Object.keys(d)) if (!SERVICE_KEYS.has(k)) problems.push(`service ${name}: unknown key ${k}`);
    const svc: ServiceDef = { name, resources: [] };
    if (typeof d.url === 'string') svc.url = d.url;
    else if (d.url !== undefined && d.url !== null) bad(`service ${name}: url is not a string`);
    if (d.order !== undefined) svc.order = answerInt(d.order, `service ${name}: order`, at);
    if (!Array.isArray(d.resources)) bad(`service ${name}: resources is not a list`);
    (d.resources as unknown[]).forEach((r, i) => {
      if (typeof r !== 'object' || r === null || Array.isArray(r)) bad(`service ${name}: resource #${i + 1} is not an object`);
      const x = r as Record<string, unknown>;
      if (typeof x.name !== 'string' || !x.name) bad(`service ${name}: resource #${i + 1} has no name`);
      const res: ServiceResource = { name: x.name as string, fullName: `${name}.${x.name as string}` };
      for (const k of Object.keys(x)) {
        if (!RESOURCE_KEYS.has(k)) problems.push(`${res.fullName}: unknown key ${k} (astakos-init cannot create the resource)`);
      }
      if (x.uplimit !== undefined && x.uplimit !== null) res.uplimit = answerInt(x.uplimit, `${res.fullName}: uplimit`, at);
      for (const key of ['group', 'unit', 'desc'] as const) {
        if (typeof x[key] === 'string') res[key] = x[key] as string;
        else if (x[key] !== undefined && x[key] !== null) bad(`${res.fullName}: ${key} is not a string`);
      }
      svc.resources.push(res);
    });
    services.push(svc);
  }
  return { services, source: `the answers file ("${at.step}".${at.key})`, problems };
};

/** The decision that keeps 0.12's default limits (fullName → limit), stored when the lower ones were declined. */
export const KEPT_012 = 'defaults-0.12';

/** The definitions the step loads: DEFINED, with 0.12's default limits where the operator kept them. */
export function desiredServices(ctx: StepContext): Desired {
  const defined = definedServices(ctx);
  const kept = ctx.state.getDecision(ctx.step, KEPT_012)?.value as Record<string, string> | undefined;
  return kept ? keep012(defined, new Map(Object.entries(kept).map(([k, v]) => [k, BigInt(v)]))) : defined;
}

function definedServices(ctx: StepContext): Desired {
  const answered = ctx.asker.answer(ctx.step, 'services') as Desired | undefined;
  if (answered !== undefined) return answered;
  const dir = ctx.config.astakos.settings;
  if (!dir) return { services: defaultAstakosServices(), source: 'the guide\'s ASTAKOS_SERVICES (no astakos settings folder configured)', problems: [] };
  const qs = quotaSettings({ astakos: dir });
  const found = qs.astakosServices;
  if (found.value === undefined) {
    throw new UserError(`ASTAKOS_SERVICES cannot be read from ${dir}: ${found.problem ?? 'unknown problem'}`,
      `make it a plain literal in the settings file, or give the definitions with {"${ctx.step}": {"services": {…}}} in --answers`);
  }
  return {
    services: found.value,
    source: found.isDefault ? `astakos 0.13's default ASTAKOS_SERVICES (not set in ${dir})` : `ASTAKOS_SERVICES at ${found.file}:${found.line}`,
    problems: qs.servicesProblems,
  };
}

// ------------------------------------------------------------------ what loading them changes

interface ServiceRow { id: number; name: string; url: string; order: number }
interface ResourceDbRow { id: number; serviceId: number; service: string; name: string; desc: string | null; unit: string | null; group: string | null; uplimit: bigint }

export interface DefsPlan {
  rename?: { id: number };
  blocking: string[];
  warnings: string[];
  serviceInserts: { name: string; url: string; order: number }[];
  serviceUpdates: { id: number; name: string; url: string; old: ServiceRow }[];
  resourceInserts: { service: string; name: string; fullName: string; desc: string | null; unit: string | null; group: string | null; uplimit: bigint }[];
  resourceUpdates: { id: number; fullName: string; desc: string | null; unit: string | null; group: string | null; uplimit: bigint; old: ResourceDbRow }[];
  /** Resources astakos-init cannot create (and this tool does not either). */
  skipped: string[];
  createSystem: boolean;
  entityInserts: string[];
  /** Service holdings to (re)set to 10^32. */
  holdings: { entity: string; resource: string }[];
  /** Default limit of every resource once loaded (full name → uplimit). */
  defaults: Map<string, bigint>;
}

async function readServices(q: Q): Promise<ServiceRow[]> {
  return (await q.query<ServiceRow>('SELECT id, name, url, "order" FROM im_service ORDER BY id')).rows;
}

async function readResourceRows(q: Q): Promise<ResourceDbRow[]> {
  const r = await q.query(`SELECT r.id, r.service_id, s.name AS service, r.name, r."desc", r.unit, r."group", r.uplimit::text AS uplimit
                             FROM im_resource r JOIN im_service s ON s.id = r.service_id ORDER BY r.id`);
  return r.rows.map((x) => ({ id: x.id, serviceId: x.service_id, service: x.service, name: x.name, desc: x.desc, unit: x.unit, group: x.group, uplimit: big(x.uplimit) }));
}

/** What loading DESIRED into Q's database changes (pure reads). */
export async function planDefinitions(q: Q, desired: Desired): Promise<DefsPlan> {
  const p: DefsPlan = {
    blocking: [], warnings: [], serviceInserts: [], serviceUpdates: [], resourceInserts: [], resourceUpdates: [], skipped: [],
    createSystem: false, entityInserts: [], holdings: [], defaults: new Map(),
  };
  const services = await readServices(q);
  const byName = new Map(services.map((s) => [s.name, s]));
  const wantsPlus = desired.services.some((s) => s.name === RENAME_TO);
  const old = byName.get(RENAME_FROM);
  if (old && wantsPlus) {
    if (byName.has(RENAME_TO)) {
      p.blocking.push(`astakos has both a "${RENAME_FROM}" (id ${old.id}) and a "${RENAME_TO}" (id ${byName.get(RENAME_TO)!.id}) service: `
        + `${RENAME_FROM} cannot be renamed; remove the one that is not used (its token is the one PITHOS_SERVICE_TOKEN names)`);
    } else {
      p.rename = { id: old.id };
      byName.delete(RENAME_FROM);
      byName.set(RENAME_TO, { ...old, name: RENAME_TO });
    }
  }
  const resources = await readResourceRows(q);
  const resByKey = new Map(resources.map((r) => [`${r.serviceId} ${r.name}`, r]));
  for (const r of resources) p.defaults.set(`${p.rename && r.serviceId === p.rename.id ? RENAME_TO : r.service}.${r.name}`, r.uplimit);

  const unknownKeys = new Set(desired.problems.filter((x) => /: unknown key .*astakos-init cannot create/.test(x)).map((x) => x.slice(0, x.indexOf(': unknown key'))));
  let nextOrder = 0;
  for (const svc of [...desired.services].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const row = byName.get(svc.name);
    if (row) {
      if (svc.url !== undefined && svc.url !== row.url) p.serviceUpdates.push({ id: row.id, name: svc.name, url: svc.url, old: row });
    } else {
      if (svc.url === undefined) {
        p.blocking.push(`service ${svc.name} is not in astakos and its definition has no url: astakos-init would crash on it; add 'url'`);
        continue;
      }
      const order = svc.order ?? BigInt(nextOrder);
      if (order < 0n || order > 2147483647n) {
        p.blocking.push(`service ${svc.name}: order ${order} is not a non-negative integer`);
        continue;
      }
      nextOrder = Number(order) + 1;
      if (svc.url.length > 100) p.blocking.push(`service ${svc.name}: url longer than 100 characters (im_service.url is varchar(100))`);
      p.serviceInserts.push({ name: svc.name, url: svc.url, order: Number(order) });
    }
    for (const res of svc.resources) {
      const fullName = `${svc.name}.${res.name}`;
      const cur = row ? resByKey.get(`${row.id} ${res.name}`) : undefined;
      const desc = res.desc ?? null;
      const unit = res.unit ?? null;
      const group = res.group ?? null;
      if (cur) {
        const uplimit = res.uplimit ?? cur.uplimit;
        if (res.uplimit === undefined) p.warnings.push(`${fullName}: no uplimit given; its current default ${fmtLimit(fullName, cur.uplimit)} stays`);
        if (cur.desc !== desc || cur.unit !== unit || cur.group !== group || cur.uplimit !== uplimit) {
          p.resourceUpdates.push({ id: cur.id, fullName, desc, unit, group, uplimit, old: cur });
        }
        p.defaults.set(fullName, uplimit);
      } else {
        if (unknownKeys.has(fullName)) {
          p.skipped.push(`${fullName}: its definition has keys astakos does not know (astakos-init prints "Cannot create resource" and goes on)`);
          continue;
        }
        if (res.uplimit === undefined) {
          p.warnings.push(`${fullName}: no uplimit given, so astakos stores 0: every user's default limit of it will be 0`);
        }
        p.resourceInserts.push({ service: svc.name, name: res.name, fullName, desc, unit, group, uplimit: res.uplimit ?? 0n });
        p.defaults.set(fullName, res.uplimit ?? 0n);
      }
      if ((res.uplimit ?? 0n) > QH_INF) p.warnings.push(`${fullName}: uplimit ${res.uplimit} is above 10^32, the quotaholder's "unlimited"`);
      p.holdings.push({ entity: svc.name, resource: fullName });
    }
  }
  // the quotaholder side
  const names = [SYSTEM, RENAME_FROM, ...desired.services.map((s) => s.name)];
  const entities = await readEntities(q, names);
  if (!entities.has(SYSTEM)) p.createSystem = true;
  if (entities.has(RENAME_FROM) && wantsPlus) {
    p.warnings.push(`the quotaholder has an entity "${RENAME_FROM}" from before the rename: it is not renamed (as upstream); pithos 0.13 uses "${RENAME_TO}"`);
  }
  for (const svc of desired.services) {
    const e = entities.get(svc.name);
    if (!e) p.entityInserts.push(svc.name);
    else if (e.key !== ENTITY_KEY) p.blocking.push(`the quotaholder entity ${svc.name} has key ${JSON.stringify(e.key)}, not "1": astakos could not use it`);
  }
  const holdings = await readHoldings(q, desired.services.map((s) => s.name), p.holdings.map((h) => h.resource));
  p.holdings = p.holdings.filter((h) => !sameLimits(holdings.get(h.entity)?.get(h.resource)?.limits, INF_LIMITS)
    || holdings.get(h.entity)?.get(h.resource)?.flags !== 0n);
  if (old && !wantsPlus) {
    p.warnings.push(`astakos has a service "${RENAME_FROM}" and the definitions have no "${RENAME_TO}": pithos 0.13 sends pithos+.diskspace, which will not exist`);
  }
  for (const k of KNOWN_RESOURCES) {
    if (!p.defaults.has(k)) p.warnings.push(`${k} will not be registered: ${k.startsWith('pithos') ? 'pithos' : 'cyclades'} 0.13 charges it, and its commissions and usage reset fail without it`);
  }
  return p;
}

const hasWork = (p: DefsPlan): boolean => !!(p.serviceInserts.length || p.serviceUpdates.length || p.resourceInserts.length
  || p.resourceUpdates.length || p.createSystem || p.entityInserts.length || p.holdings.length);

/** Writes P (computed in this transaction) — never the rename, which is its own batch. */
async function writeDefinitions(client: pg.PoolClient, p: DefsPlan, keep: (images: BeforeImage[]) => void): Promise<number> {
  let rows = 0;
  for (const s of p.serviceInserts) {
    const token = randomBytes(16).toString('base64'); // never shown or logged: it is a secret
    await client.query(
      `INSERT INTO im_service (name, url, icon, auth_token, auth_token_created, auth_token_expires, "order")
       VALUES ($1, $2, '', $3, now(), NULL, $4)`, [s.name, s.url, token, s.order]);
    rows++;
  }
  if (p.serviceUpdates.length) {
    keep(p.serviceUpdates.map((u) => ({ service: 'astakos' as const, table: 'im_service', pk: u.id, action: 'update' as const, row: { id: u.id, name: u.name, url: u.old.url } })));
    for (const u of p.serviceUpdates) await client.query('UPDATE im_service SET url = $2 WHERE id = $1', [u.id, u.url]);
    rows += p.serviceUpdates.length;
  }
  const sid = new Map((await readServices(client)).map((s) => [s.name, s.id]));
  for (const r of p.resourceInserts) {
    await client.query(`INSERT INTO im_resource (name, service_id, "desc", unit, "group", uplimit) VALUES ($1, $2, $3, $4, $5, $6::numeric)`,
      [r.name, sid.get(r.service), r.desc, r.unit, r.group, r.uplimit.toString()]);
    rows++;
  }
  if (p.resourceUpdates.length) {
    keep(p.resourceUpdates.map((u) => ({
      service: 'astakos' as const, table: 'im_resource', pk: u.id, action: 'update' as const,
      row: { id: u.id, name: u.old.name, service_id: u.old.serviceId, desc: u.old.desc, unit: u.old.unit, group: u.old.group, uplimit: u.old.uplimit.toString() },
    })));
    for (const u of p.resourceUpdates) {
      await client.query(`UPDATE im_resource SET "desc" = $2, unit = $3, "group" = $4, uplimit = $5::numeric WHERE id = $1`,
        [u.id, u.desc, u.unit, u.group, u.uplimit.toString()]);
    }
    rows += p.resourceUpdates.length;
  }
  if (p.createSystem) {
    await client.query(`INSERT INTO quotaholder_app_entity (entity, owner_id, key) VALUES ($1, $1, '')`, [SYSTEM]);
    rows++;
  }
  for (const e of p.entityInserts) {
    await client.query(`INSERT INTO quotaholder_app_entity (entity, owner_id, key) VALUES ($1, $2, $3)`, [e, SYSTEM, ENTITY_KEY]);
    rows++;
  }
  if (p.holdings.length) {
    const current = await readHoldings(client, [...new Set(p.holdings.map((h) => h.entity))], p.holdings.map((h) => h.resource), true);
    const r = await setQuota(client, p.holdings.map((h) => ({ ...h, limits: INF_LIMITS })), current, keep);
    rows += r.policiesInserted + r.holdingsInserted + r.holdingsUpdated + r.policiesDeleted;
  }
  return rows;
}

function planChanges(p: DefsPlan): TableChange[] {
  const c: TableChange[] = [];
  const push = (table: string, action: TableChange['action'], rows: number) => { if (rows) c.push({ service: 'astakos', table, action, rows }); };
  push('im_service', 'update', (p.rename ? 1 : 0) + p.serviceUpdates.length);
  push('im_service', 'insert', p.serviceInserts.length);
  push('im_resource', 'insert', p.resourceInserts.length);
  push('im_resource', 'update', p.resourceUpdates.length);
  push('quotaholder_app_entity', 'insert', p.entityInserts.length + (p.createSystem ? 1 : 0));
  push('quotaholder_app_policy', 'insert', p.holdings.length);
  push('quotaholder_app_holding', 'insert', p.holdings.length);
  return c;
}

// ------------------------------------------------------------------ the step

/** Step 5's findings.data (and plan.data). */
export interface DefinitionsFindings {
  source: string;
  problems: string[];
  rename: boolean;
  plan: { blocking: string[]; warnings: string[]; skipped: string[] };
  defaults: Record<string, string>;
  headroom: Headroom;
  /** What loading writes: the id of the service to rename, a line per definition, rows per table. */
  load: { renameId?: number; lines: string[]; changes: TableChange[] };
}

/**
 * The headroom for DEFAULTS: the one inspect computed when it was for the same defaults (step 5
 * writes nothing it reads: users, usage, per-user limits), else computed again.
 */
async function headroomFor(ctx: StepContext, plan: Plan<DefinitionsFindings>, defaults: Map<string, bigint>, usersStep: string): Promise<Headroom> {
  const d = plan.data;
  const same = !!d?.headroom && Object.keys(d.defaults).length === defaults.size && [...defaults].every(([k, v]) => d.defaults[k] === v.toString());
  return same ? d.headroom : headroom(ctx, defaults, usersStep);
}

function definitionLines(p: DefsPlan): string[] {
  const out: string[] = [];
  for (const s of p.serviceInserts) out.push(`new service ${s.name} (url ${s.url}, order ${s.order}, a fresh token)`);
  for (const s of p.serviceUpdates) out.push(`service ${s.name}: url ${s.old.url} → ${s.url}`);
  for (const r of p.resourceInserts) out.push(`new resource ${r.fullName}: default limit ${fmtLimit(r.fullName, r.uplimit)}`);
  for (const r of p.resourceUpdates) {
    out.push(`resource ${r.fullName}: ${r.old.uplimit !== r.uplimit ? `default limit ${fmtLimit(r.fullName, r.old.uplimit)} → ${fmtLimit(r.fullName, r.uplimit)}` : 'description, unit or group updated'}`);
  }
  if (p.createSystem) out.push('quotaholder: the "system" entity (syncdb\'s fixture) is missing: created');
  if (p.entityInserts.length) out.push(`quotaholder: service entities ${p.entityInserts.join(', ')}`);
  if (p.holdings.length) out.push(`quotaholder: ${plural(p.holdings.length, 'service holding')} set to 10^32 (the pool users draw from)`);
  return out;
}

/** DESIRED with the default limits of KEPT (fullName → 0.12's value) in place of its own. */
function keep012(desired: Desired, kept: Map<string, bigint>): Desired {
  const services = desired.services.map((sv) => ({ ...sv, resources: sv.resources.map((r) => (kept.has(r.fullName) ? { ...r, uplimit: kept.get(r.fullName)! } : r)) }));
  return { ...desired, services, source: `${desired.source}, with 0.12's default limits for ${[...kept.keys()].join(', ')}` };
}

/** Writes LINES (the ASTAKOS_SERVICES to install) beside the state file, 0600, named as the settings FILE; returns its path. */
function writeKept(ctx: StepContext, file: string, lines: string[]): string {
  const dir = join(dirname(ctx.config.state), 'settings', `step${ctx.step}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, basename(file));
  writeFileSync(path, `${lines.join('\n')}\n`, { mode: 0o600 });
  return path;
}

/** The astakos settings file ASTAKOS_SERVICES belongs in: where it is set, else the guide's. */
function settingsFileOf(ctx: StepContext): string {
  const dir = ctx.config.astakos.settings;
  const found = dir ? quotaSettings({ astakos: dir }).astakosServices : undefined;
  return found?.file ?? `${dir ?? '/etc/synnefo'}/20-snf-astakos-app-settings.conf`;
}

/** SERVICES as the ASTAKOS_SERVICES assignment to paste (Python, at column 0). */
export function astakosServicesLines(services: ServiceDef[]): string[] {
  const res = (r: ServiceResource): string => `{${[['name', pyString(r.name)], ['group', r.group && pyString(r.group)], ['uplimit', r.uplimit?.toString()],
    ['unit', r.unit && pyString(r.unit)], ['desc', r.desc && pyString(r.desc)]].filter(([, v]) => v !== undefined).map(([k, v]) => `'${k}': ${v}`).join(', ')}}`;
  return ['ASTAKOS_SERVICES = {', ...services.flatMap((sv) => [
    `    ${pyString(sv.name)}: {`,
    ...(sv.url !== undefined ? [`        'url': ${pyString(sv.url)},`] : []),
    ...(sv.order !== undefined ? [`        'order': ${sv.order},`] : []),
    `        'resources': [`, ...sv.resources.map((r) => `            ${res(r)},`), '        ],', '    },',
  ]), '}'];
}

async function gather(ctx: StepContext) {
  const astakos = await ctx.db('astakos');
  await requireAstakos013(astakos, ctx.step);
  const desired = desiredServices(ctx);
  const p = await planDefinitions(astakos.pool, desired);
  return { astakos, desired, p };
}

/** The step; USERSSTEP is the one that removed duplicate astakos users (for the uuid map). */
export const loadServiceResources = ({ usersStep }: { usersStep: string }): StepModule<DefinitionsFindings, DefinitionsFindings> => ({
  async inspect(ctx): Promise<Findings<DefinitionsFindings>> {
    const { desired, p } = await gather(ctx);
    const h = await headroom(ctx, p.defaults, usersStep);
    const data: DefinitionsFindings = {
      source: desired.source, problems: desired.problems, rename: !!p.rename,
      plan: { blocking: p.blocking, warnings: p.warnings, skipped: p.skipped },
      defaults: Object.fromEntries([...p.defaults].map(([k, v]) => [k, v.toString()])), headroom: h,
      load: { ...(p.rename ? { renameId: p.rename.id } : {}), lines: definitionLines(p), changes: planChanges(p) },
    };
    return {
      summary: [
        `definitions from ${desired.source}: ${desired.services.map((s) => `${s.name} (${s.resources.map((r) => r.name).join(', ')})`).join('; ')}`,
        ...(p.rename ? [`service "${RENAME_FROM}" (id ${p.rename.id}) must be renamed to "${RENAME_TO}" first (asks for confirmation)`] : []),
        ...[...p.defaults].map(([k, v]) => `default ${k} = ${fmtLimit(k, v)}`),
        ...h.warnings.map((w) => `⚠ ${w}`),
        ...h.notes,
        ...desired.problems.map((x) => `problem in the definitions: ${x}`),
        ...p.warnings.map((w) => `⚠ ${w}`),
        ...p.skipped.map((s) => `cannot create ${s}`),
        ...p.blocking.map((b) => `cannot go on: ${b}`),
      ],
      data,
    };
  },

  plan(findings): Plan<DefinitionsFindings> {
    const d = findings.data!;
    const { renameId, lines } = d.load;
    return {
      summary: [
        ...(renameId !== undefined ? [`rename service "${RENAME_FROM}" (id ${renameId}) to "${RENAME_TO}" (keeps its id, url and token)`] : []),
        ...(lines.length ? lines : ['the definitions are loaded already; nothing to write']),
        ...d.plan.blocking.map((b) => `cannot go on: ${b}`),
      ],
      changes: d.load.changes,
      data: d,
    };
  },

  async apply(ctx, plan): Promise<ApplyResult> {
    const { astakos, desired, p } = await gather(ctx);
    if (p.blocking.length) {
      throw new CheckFailed(`step ${ctx.step} cannot load the definitions: ${p.blocking.join('; ')}`, `fix that and run step ${ctx.step} again`);
    }
    // lowered defaults are loaded only on the operator's word, asked before anything is written;
    // declined, 0.12's limits are offered instead (loaded as the defaults, and the dict to keep them)
    let loading = desired;
    const summary: string[] = [];
    const lowered = hasWork(p) ? (await headroomFor(ctx, plan, p.defaults, usersStep)).rows.filter((r) => r.lowered) : [];
    if (lowered.length) {
      const lines = lowered.map((r) => `${r.resource}: ${fmtLimit(r.resource, BigInt(r.oldDefault!))} → ${fmtLimit(r.resource, BigInt(r.newDefault))}; `
        + `${r.loseHeadroom} of the ${plural(r.onDefault, 'email-verified user')} on the default would lose headroom (${r.overNewDefault} already use more)`);
      const ok = await ctx.asker.confirm({
        step: ctx.step, key: 'lower-defaults',
        message: `Load default limits lower than 0.12's? ${lines.join('; ')}`,
        detail: ['Users with a per-user limit in 0.12 keep it (steps 7.1 / 7.2); everyone else gets the new default.',
          'Over-limit users keep what they have but cannot create more (step 8 shows them).'],
      });
      if (!ok) {
        const kept = keep012(desired, new Map(lowered.map((r) => [r.resource, BigInt(r.oldDefault!)])));
        const file = settingsFileOf(ctx);
        const dict = astakosServicesLines(kept.services);
        const written = writeKept(ctx, file, dict);
        const old = lowered.map((r) => `${r.resource} ${fmtLimit(r.resource, BigInt(r.oldDefault!))}`).join(', ');
        const where = `ASTAKOS_SERVICES in ${file} on the astakos host becomes what ${written} holds:`;
        const keep = await ctx.asker.confirm({
          step: ctx.step, key: 'keep-0.12-defaults',
          message: `Load 0.12's limits as the defaults instead? ${old}`,
          detail: [`So that astakos keeps them, ${where}`, ...dict],
        });
        if (!keep) {
          throw new UserError(`the lower default limits were declined (${lowered.map((r) => r.resource).join(', ')}), and so were 0.12's; nothing was loaded`,
            `put the ASTAKOS_SERVICES of ${written} (0.12's limits, below) in ${file} and run step ${ctx.step} again, or answer yes to one of the two`).withDetails(dict);
        }
        loading = kept;
        ctx.state.setDecision(ctx.step, KEPT_012, Object.fromEntries(lowered.map((r) => [r.resource, r.oldDefault!])), ctx.asker.interactive ? 'operator' : 'answers');
        summary.push(`0.12's default limits loaded instead of the lower ones (declined): ${old}`, `to keep them in astakos, ${where}`, ...dict);
      }
    }
    let rows = 0;
    if (p.rename) {
      const ok = await ctx.asker.confirm({
        step: ctx.step, key: 'rename-pithos',
        message: `Rename the astakos service "${RENAME_FROM}" (id ${p.rename.id}) to "${RENAME_TO}"? Pithos 0.13 charges pithos+.diskspace, and astakos-init crashes until it is renamed.`,
        detail: ['The service keeps its id, url and token (PITHOS_SERVICE_TOKEN stays valid).', 'Same as: snf-manage service-update --name=\'pithos+\' ' + p.rename.id],
      });
      if (!ok) throw new UserError(`the rename of "${RENAME_FROM}" to "${RENAME_TO}" was declined; nothing changed`, `run step ${ctx.step} again and confirm the rename (or rename it yourself with snf-manage service-update)`);
      const id = p.rename.id;
      const res = await ctx.batch('astakos', `rename service ${id} ${RENAME_FROM} -> ${RENAME_TO}`, async (client, keep) => {
        const cur = await client.query<{ name: string }>('SELECT name FROM im_service WHERE id = $1 FOR UPDATE', [id]);
        if (cur.rows[0]?.name !== RENAME_FROM) return 0;
        const clash = await client.query('SELECT 1 FROM im_service WHERE name = $1', [RENAME_TO]);
        if (clash.rowCount) throw new CheckFailed(`a service "${RENAME_TO}" appeared meanwhile`, `run step ${ctx.step} again`);
        keep([{ service: 'astakos', table: 'im_service', pk: id, action: 'update', row: { id, name: RENAME_FROM } }]);
        await client.query('UPDATE im_service SET name = $2 WHERE id = $1', [id, RENAME_TO]);
        return 1;
      });
      rows += res.rows;
      summary.push(`renamed service "${RENAME_FROM}" (id ${id}) to "${RENAME_TO}"${res.skipped ? ' (already done)' : ''}`);
    }
    const after = await planDefinitions(astakos.pool, loading);
    const lines = definitionLines(after);
    if (hasWork(after)) {
      const key = batchName('definitions', 'services', 'resources', {
        s: after.serviceInserts, u: after.serviceUpdates.map((x) => [x.id, x.url]), ri: after.resourceInserts,
        ru: after.resourceUpdates.map((x) => [x.id, x.desc, x.unit, x.group, x.uplimit]), sys: after.createSystem, e: after.entityInserts, h: after.holdings,
      });
      const res = await ctx.batch('astakos', key, async (client, keep) => {
        await takeQuotaLock(client);
        return writeDefinitions(client, await planDefinitions(client, loading), keep);
      });
      rows += res.rows;
      summary.push(...lines);
    } else {
      summary.push('the definitions were loaded already; nothing changed');
    }
    const h = await headroomFor(ctx, plan, after.defaults, usersStep);
    for (const w of h.warnings) ctx.log('warn', `${ctx.step}: ${w}`);
    for (const w of after.warnings) ctx.log('warn', `${ctx.step}: ${w}`);
    summary.push(
      `from ${desired.source}`,
      ...[...after.defaults].map(([k, v]) => `default ${k} = ${fmtLimit(k, v)}`),
      ...h.warnings.map((w) => `⚠ ${w}`),
      ...after.warnings.map((w) => `⚠ ${w}`),
      ...after.skipped.map((s) => `not created: ${s}`),
    );
    return { summary, rows };
  },

  async verify(ctx): Promise<Check[]> {
    const { astakos, desired, p } = await gather(ctx);
    const names = new Set((await readServices(astakos.pool)).map((s) => s.name));
    const checks: Check[] = [];
    if (desired.services.some((s) => s.name === RENAME_TO)) {
      checks.push({ label: `no service is still called "${RENAME_FROM}"`, ok: !names.has(RENAME_FROM), detail: names.has(RENAME_FROM) ? `"${RENAME_FROM}" is still there` : 'yes' });
    }
    const pending = p.serviceInserts.length + p.serviceUpdates.length + p.resourceInserts.length + p.resourceUpdates.length;
    checks.push({
      label: `im_service / im_resource hold the definitions of ${desired.source}`,
      ok: pending === 0 && p.blocking.length === 0, detail: pending ? `${pending} differ: ${definitionLines(p).join('; ')}` : p.blocking.join('; ') || 'yes',
    });
    checks.push({
      label: 'the quotaholder has every service entity and its source holdings at 10^32',
      ok: !p.createSystem && !p.entityInserts.length && !p.holdings.length,
      detail: p.entityInserts.length || p.holdings.length ? `missing: ${[...p.entityInserts, ...p.holdings.map((h) => `${h.entity}/${h.resource}`)].join(', ')}` : 'yes',
    });
    checks.push({ label: 'every defined resource could be created', ok: p.skipped.length === 0, detail: p.skipped.join('; ') || 'yes' });
    const missing = KNOWN_RESOURCES.filter((k) => !p.defaults.has(k));
    checks.push({
      label: 'the resources cyclades and pithos 0.13 charge are registered',
      ok: missing.length === 0, detail: missing.length ? `missing: ${missing.join(', ')}` : KNOWN_RESOURCES.join(', '),
    });
    return checks;
  },
});
