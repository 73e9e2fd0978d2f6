// Steps 7.1 and 7.2: per-user limits from pithos (account `quota` policies) and cyclades
// (VMS_USER_QUOTA / NETWORKS_USER_QUOTA) become astakos initial quotas (im_astakosuserquota).
//
// Upstream does this in two hops: `pithos-export-quota` / `cyclades-export-quota` write a
// six-field file, `user-set-initial-quota --from-file` reads it. Both hops are kept: the
// export (corrected: keys mapped to uuids, pithos' 0 = unlimited written as 10^32, bad rows
// left out and reported) is written into the backups folder — the file an operator can feed
// to the upstream command — and then that very file is read back and imported with the
// command's semantics plus the validation it lacks (negative values, unknown users, unknown
// resources are rejected with their line and reason; reference §11).
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type pg from 'pg';
import { CheckFailed, UserError } from '../../errors.js';
import { stepUuidMap, UUID_SHAPE, type UuidMap } from '../remap/uuids.js';
import { formatPyValue, typeName } from '../settings/index.js';
import type { ApplyResult, BeforeImage, Check, Findings, Plan, StepContext, StepModule, TableChange } from '../step.js';
import { exampleOf, type AnswerParser } from '../answers.js';
import { batchName, loadResources, plural, requireAstakos013, sample, valuesList, type Q, type ResourceRow } from './common.js';
import { big, fmtLimit, QH_INF, parseLong } from './numbers.js';
import { fileLines, formatQuotaLine, parseQuotaLine, type QuotaRecord } from './quotafile.js';
import { LIMIT_RESOURCE, readCycladesLimits } from './settings.js';
import { pithosQuotas } from './sources.js';

export const PITHOS_FILE = 'pithos-quota.txt';
export const CYCLADES_FILE = 'cyclades-quota.txt';
/** Records written per exactly-once batch. */
const RECORDS_PER_BATCH = 500;

/** A source row that did not make it, with where it is and why. */
export interface Rejection {
  where: string;
  reason: string;
}

/** A corrected export row: what the file will say, and where it came from. */
export interface ExportEntry {
  uuid: string;
  resource: string;
  capacity: bigint;
  origin: string;
  note?: string;
}

export interface ExportResult {
  entries: ExportEntry[];
  rejected: Rejection[];
  notes: string[];
  /** Reasons the export cannot be trusted at all (the step refuses to apply). */
  blocking: string[];
  /** Where the rows were read from, for the operator. */
  source: string;
}


/** A user key of a source (settings key, pithos account name) → its astakos uuid, or why not. */
function toUuid(uuids: UuidMap, key: string): { uuid?: string; note?: string; reason?: string } {
  if (uuids.isUuid(key)) return { uuid: key };
  if (key.includes('@')) {
    const uuid = uuids.lookup(key);
    if (uuid) return { uuid, note: `named by email ${key}: mapped to its astakos uuid ${uuid}` };
    return { reason: `unknown user: no astakos user has the email ${key} (case-insensitively)` };
  }
  if (UUID_SHAPE.test(key)) return { reason: `unknown user: no astakos user has the uuid ${key}` };
  return { reason: `unknown user: ${JSON.stringify(key)} is neither an astakos uuid nor an email` };
}

/** Adds ENTRY to BY, keeping the larger value when two rows become the same user and resource. */
function merge(by: Map<string, ExportEntry>, entry: ExportEntry, notes: string[]): void {
  const k = `${entry.uuid} ${entry.resource}`;
  const seen = by.get(k);
  if (!seen) {
    by.set(k, entry);
    return;
  }
  const keep = entry.capacity > seen.capacity ? entry : seen;
  notes.push(`${seen.origin} and ${entry.origin} both become ${entry.resource} of user ${entry.uuid}: kept the larger value ${fmtLimit(entry.resource, keep.capacity)}`);
  by.set(k, keep);
}

const sorted = (by: Map<string, ExportEntry>): ExportEntry[] =>
  [...by.values()].sort((a, b) => (a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : a.resource < b.resource ? -1 : a.resource > b.resource ? 1 : 0));

/** pithos-export-quota, corrected: account quota policies keyed by uuid, 0 (unlimited) as 10^32. */
export async function exportPithos(ctx: StepContext, uuids: UuidMap): Promise<ExportResult> {
  const pithos = await ctx.db('pithos');
  const by = new Map<string, ExportEntry>();
  const rejected: Rejection[] = [];
  const notes: string[] = [];
  let unlimited = 0;
  let mapped = 0;
  for await (const rows of pithosQuotas(pithos.pool)) {
    for (const r of rows) {
      const origin = `pithos account ${JSON.stringify(r.path)} (node ${r.node})`;
      const user = toUuid(uuids, r.path);
      if (!user.uuid) {
        rejected.push({ where: origin, reason: user.reason! });
        continue;
      }
      const v = parseLong(r.value);
      if (v === undefined) {
        rejected.push({ where: origin, reason: `quota policy ${JSON.stringify(r.value)} is not a whole number of bytes` });
        continue;
      }
      if (v < 0n) {
        rejected.push({ where: origin, reason: `negative quota ${v} (would make astakos-quota --sync fail for every user)` });
        continue;
      }
      let capacity = v;
      let note = user.note;
      if (v === 0n || v > QH_INF) {
        capacity = QH_INF;
        unlimited++;
        note = [note, v === 0n ? 'quota 0 means unlimited in pithos: written as 10^32' : `quota ${v} is past 10^32: written as 10^32 (unlimited)`]
          .filter(Boolean).join('; ');
      }
      if (user.note) mapped++;
      merge(by, { uuid: user.uuid, resource: 'pithos+.diskspace', capacity, origin, ...(note ? { note } : {}) }, notes);
    }
  }
  if (unlimited) notes.unshift(`${plural(unlimited, 'account')} with quota 0 (unlimited in pithos) keep unlimited: capacity 10^32, not 0`);
  if (mapped) notes.unshift(`${plural(mapped, 'account')} still named by email were mapped to their astakos uuids`);
  return { entries: sorted(by), rejected, notes, blocking: [], source: `pithos database ${pithos.label} (account quota policies)` };
}

/** cyclades-export-quota, corrected: the per-user dicts keyed by uuid. */
export function exportCyclades(ctx: StepContext, uuids: UuidMap): ExportResult {
  const dir = ctx.config.cyclades.settings;
  if (!dir) {
    return {
      entries: [], rejected: [], notes: [], source: 'no cyclades settings folder',
      blocking: ['no cyclades settings folder is configured, so VMS_USER_QUOTA and NETWORKS_USER_QUOTA cannot be read'],
    };
  }
  const limits = readCycladesLimits(dir, true);
  const by = new Map<string, ExportEntry>();
  const rejected: Rejection[] = [];
  const notes: string[] = [];
  let mapped = 0;
  for (const e of limits.entries) {
    const origin = `${e.file}:${e.line}: ${e.setting}[${typeof e.key === 'string' ? JSON.stringify(e.key) : formatPyValue(e.key)}]`;
    if (typeof e.key !== 'string') {
      rejected.push({ where: origin, reason: `the key is a ${typeName(e.key)}, not a user` });
      continue;
    }
    const user = toUuid(uuids, e.key);
    if (!user.uuid) {
      rejected.push({ where: origin, reason: user.reason! });
      continue;
    }
    if (typeof e.value !== 'bigint') {
      rejected.push({ where: origin, reason: `the limit ${formatPyValue(e.value)} is a ${typeName(e.value)}, not a whole number` });
      continue;
    }
    if (e.value < 0n) {
      rejected.push({ where: origin, reason: `negative limit ${e.value} (would make astakos-quota --sync fail for every user)` });
      continue;
    }
    let capacity = e.value;
    let note = user.note;
    if (capacity > QH_INF) {
      capacity = QH_INF;
      note = [note, `limit ${e.value} is past 10^32: written as 10^32 (unlimited)`].filter(Boolean).join('; ');
    }
    if (user.note) mapped++;
    merge(by, { uuid: user.uuid, resource: LIMIT_RESOURCE[e.setting], capacity, origin, ...(note ? { note } : {}) }, notes);
  }
  if (mapped) notes.unshift(`${plural(mapped, 'settings key')} still written as emails were mapped to astakos uuids (step 6.3 converts them in the files)`);
  const newer = limits.files.filter((f) => f.endsWith('.snf-upgrade-new'));
  if (newer.length) notes.unshift(`read step 6.3's rewritten settings: ${newer.join(', ')}`);
  return {
    entries: sorted(by), rejected, notes,
    blocking: limits.problems.map((p) => `${p}: its per-user limits cannot be read; give them as a file with {"${ctx.step}": {"file": "…"}}`),
    source: `cyclades settings in ${dir}`,
  };
}

// ------------------------------------------------------------------ reading a quota file

/** A validated record with the line it came from. */
export interface FileRecord extends QuotaRecord {
  where: string;
  userId: number;
  resourceId: number;
}

export interface ReadResult {
  records: FileRecord[];
  rejected: Rejection[];
  /** Lines overridden by a later line for the same user and resource (upstream keeps the later one). */
  overridden: string[];
  lines: number;
}

/**
 * user-set-initial-quota --from-file over LINES (several files in order), validated: the
 * shape and numbers (parseQuotaLine), the user (an astakos uuid, exactly) and the resource
 * (registered in astakos). A later line for the same user and resource replaces an earlier one.
 */
export async function readQuotaLines(q: Q, files: { name: string; lines: string[] }[], resources: Map<string, ResourceRow>): Promise<ReadResult> {
  const rejected: Rejection[] = [];
  const parsed: (QuotaRecord & { where: string })[] = [];
  let total = 0;
  for (const f of files) {
    f.lines.forEach((line, i) => {
      total++;
      const where = `${f.name}:${i + 1}`;
      const p = parseQuotaLine(line);
      if (!p.ok) {
        rejected.push({ where, reason: p.reason });
        return;
      }
      parsed.push({ ...p.record, where });
    });
  }
  const ids = new Map<string, number>();
  const wanted = [...new Set(parsed.map((p) => p.uuid))];
  for (let i = 0; i < wanted.length; i += 1000) {
    const r = await q.query<{ user_ptr_id: number; uuid: string }>(
      'SELECT user_ptr_id, uuid FROM im_astakosuser WHERE uuid = ANY($1::text[])', [wanted.slice(i, i + 1000)]);
    for (const row of r.rows) ids.set(row.uuid, row.user_ptr_id);
  }
  const byKey = new Map<string, FileRecord>();
  const overridden: string[] = [];
  for (const p of parsed) {
    const userId = ids.get(p.uuid);
    if (userId === undefined) {
      rejected.push({ where: p.where, reason: `unknown user: no astakos user has the uuid ${p.uuid} (upstream: "Not found user having uuid")` });
      continue;
    }
    const res = resources.get(p.resource);
    if (!res) {
      rejected.push({ where: p.where, reason: `unknown resource ${p.resource}: not registered in astakos (step 5 loads ASTAKOS_SERVICES)` });
      continue;
    }
    const k = `${userId} ${res.id}`;
    const before = byKey.get(k);
    if (before) overridden.push(`${before.where} is overridden by ${p.where} (same user and resource)`);
    byKey.delete(k);
    byKey.set(k, { ...p, userId, resourceId: res.id });
  }
  return { records: [...byKey.values()], rejected, overridden, lines: total };
}

interface QuotaRow { id: number; capacity: bigint; quantity: bigint; import_limit: bigint; export_limit: bigint }

/** The current im_astakosuserquota rows of RECORDS' (user, resource) pairs. */
async function currentRows(q: Q, records: FileRecord[]): Promise<Map<string, QuotaRow>> {
  const out = new Map<string, QuotaRow>();
  if (!records.length) return out;
  const r = await q.query(
    `SELECT q.id, q.user_id, q.resource_id, q.capacity::text AS capacity, q.quantity::text AS quantity,
            q.import_limit::text AS import_limit, q.export_limit::text AS export_limit
       FROM im_astakosuserquota q
      WHERE q.user_id = ANY($1::integer[]) AND q.resource_id = ANY($2::integer[])`,
    [[...new Set(records.map((x) => x.userId))], [...new Set(records.map((x) => x.resourceId))]]);
  for (const row of r.rows) {
    out.set(`${row.user_id} ${row.resource_id}`, {
      id: row.id, capacity: big(row.capacity), quantity: big(row.quantity), import_limit: big(row.import_limit), export_limit: big(row.export_limit),
    });
  }
  return out;
}

interface Changes { inserts: FileRecord[]; updates: { record: FileRecord; old: QuotaRow }[] }

async function changesFor(q: Q, records: FileRecord[]): Promise<Changes> {
  const cur = await currentRows(q, records);
  const out: Changes = { inserts: [], updates: [] };
  for (const rec of records) {
    const old = cur.get(`${rec.userId} ${rec.resourceId}`);
    if (!old) out.inserts.push(rec);
    else if (old.capacity !== rec.capacity || old.quantity !== rec.quantity || old.import_limit !== rec.importLimit || old.export_limit !== rec.exportLimit) {
      out.updates.push({ record: rec, old });
    }
  }
  return out;
}

async function writeChanges(client: pg.PoolClient, c: Changes, keep: (images: BeforeImage[]) => void): Promise<number> {
  if (c.updates.length) {
    keep(c.updates.map(({ old, record }) => ({
      service: 'astakos' as const, table: 'im_astakosuserquota', pk: old.id, action: 'update' as const,
      row: {
        id: old.id, user_id: record.userId, resource_id: record.resourceId, capacity: old.capacity.toString(), quantity: old.quantity.toString(),
        import_limit: old.import_limit.toString(), export_limit: old.export_limit.toString(),
      },
    })));
    await client.query(
      `UPDATE im_astakosuserquota q SET capacity = v.c, quantity = v.q, import_limit = v.il, export_limit = v.el
         FROM (VALUES ${valuesList(c.updates.length, 5, ['integer', 'numeric', 'numeric', 'numeric', 'numeric'])}) AS v(id, c, q, il, el)
        WHERE q.id = v.id`,
      c.updates.flatMap(({ old, record: r }) => [old.id, r.capacity.toString(), r.quantity.toString(), r.importLimit.toString(), r.exportLimit.toString()]));
  }
  if (c.inserts.length) {
    await client.query(
      `INSERT INTO im_astakosuserquota (capacity, quantity, import_limit, export_limit, resource_id, user_id)
       VALUES ${valuesList(c.inserts.length, 6, ['numeric', 'numeric', 'numeric', 'numeric', 'integer', 'integer'])}`,
      c.inserts.flatMap((r) => [r.capacity.toString(), r.quantity.toString(), r.importLimit.toString(), r.exportLimit.toString(), r.resourceId, r.userId]));
  }
  return c.updates.length + c.inserts.length;
}

// ------------------------------------------------------------------ the steps

interface InitialKind {
  file: string;
  what: string;
  /** "pithos storage limit" … for check labels. */
  noun: string;
  export(ctx: StepContext, uuids: UuidMap): Promise<ExportResult> | ExportResult;
}

export interface InitialFindings {
  source: string;
  /** Where apply writes the export (the file for `user-set-initial-quota --from-file`). */
  exportFile: string;
  extraFiles: string[];
  exported: number;
  rejected: Rejection[];
  notes: string[];
  overridden: string[];
  blocking: string[];
  accepted: number;
  inserts: number;
  updates: number;
  unchanged: number;
}

export function quotaFolder(ctx: StepContext): string {
  return join(ctx.config.backups, 'quota');
}

/** Operator-given files: {"<step>": {"file": "a.txt"}} or {"file": ["a.txt", "b.txt"]}, as absolute paths that exist. */
export const parseQuotaFiles: AnswerParser<string[]> = (given, at) => {
  if (given === null) return [];
  const list = Array.isArray(given) ? given : [given];
  return list.map((f) => {
    if (typeof f !== 'string' || !f) {
      throw new UserError(`the answer "${at.step}".${at.key} must be a file name or a list of file names`, exampleOf(at, '"extra-quota.txt"'));
    }
    const path = isAbsolute(f) ? f : resolve(f);
    if (!existsSync(path)) throw new UserError(`quota file ${path} (answer "${at.step}".${at.key}) does not exist`, 'fix the path in the answers file');
    return path;
  });
};

const extraFiles = (ctx: StepContext): string[] => (ctx.asker.answer(ctx.step, 'file') as string[] | undefined) ?? [];

const exportText = (entries: ExportEntry[]): string => entries.map((e) => formatQuotaLine(e.uuid, e.resource, e.capacity)).join('');

function readLines(path: string): string[] {
  return fileLines(readFileSync(path, 'utf8'));
}

function rejectionLines(rejected: Rejection[]): string[] {
  return rejected.map((r) => `rejected ${r.where}: ${r.reason}`);
}

function initialStep(kind: InitialKind, usersStep: string): StepModule<InitialFindings, InitialFindings> {
  async function gather(ctx: StepContext) {
    const astakos = await ctx.db('astakos');
    await requireAstakos013(astakos, ctx.step);
    const uuids = await stepUuidMap(ctx, usersStep);
    const exp = await kind.export(ctx, uuids);
    const resources = await loadResources(astakos.pool);
    return { astakos, exp, resources };
  }

  return {
    async inspect(ctx): Promise<Findings<InitialFindings>> {
      const { astakos, exp, resources } = await gather(ctx);
      const extra = extraFiles(ctx);
      const exportFile = join(quotaFolder(ctx), kind.file);
      const read = await readQuotaLines(astakos.pool, [
        { name: exportFile, lines: fileLines(exportText(exp.entries)) },
        ...extra.map((f) => ({ name: f, lines: readLines(f) })),
      ], resources);
      let inserts = 0;
      let updates = 0;
      for (let i = 0; i < read.records.length; i += RECORDS_PER_BATCH) {
        const c = await changesFor(astakos.pool, read.records.slice(i, i + RECORDS_PER_BATCH));
        inserts += c.inserts.length;
        updates += c.updates.length;
      }
      const rejected = [...exp.rejected, ...read.rejected];
      const blocking = extra.length ? [] : exp.blocking;
      const data: InitialFindings = {
        source: exp.source, exportFile, extraFiles: extra, exported: exp.entries.length, rejected, notes: exp.notes,
        overridden: read.overridden, blocking, accepted: read.records.length, inserts, updates,
        unchanged: read.records.length - inserts - updates,
      };
      const summary = [
        `${kind.what} from ${exp.source}: ${plural(exp.entries.length + exp.rejected.length, 'limit')} found${extra.length ? ` (+ ${plural(extra.length, 'file')} given)` : ''}; `
          + `${read.records.length} accepted, ${rejected.length} rejected${rejected.length ? ' (below)' : ''}`,
        `astakos initial quotas: ${inserts} to add, ${updates} to change, ${data.unchanged} already in place`,
        ...exp.notes,
        ...rejectionLines(rejected),
        ...read.overridden,
        ...(extra.length ? exp.blocking.map((b) => `note: ${b} (the given file${extra.length > 1 ? 's are' : ' is'} imported instead)`) : []),
        ...blocking.map((b) => `cannot go on: ${b}`),
      ];
      return { summary, data };
    },

    plan(findings): Plan<InitialFindings> {
      const d = findings.data!;
      const changes: TableChange[] = [];
      if (d.inserts) changes.push({ service: 'astakos', table: 'im_astakosuserquota', action: 'insert', rows: d.inserts });
      if (d.updates) changes.push({ service: 'astakos', table: 'im_astakosuserquota', action: 'update', rows: d.updates });
      return {
        summary: [
          `write ${d.exportFile} (${plural(d.exported, 'line')}, the file for: snf-manage user-set-initial-quota --from-file ${d.exportFile})`,
          d.inserts + d.updates ? `import it: ${d.inserts} initial quota(s) added, ${d.updates} changed` : 'import it: nothing to change',
          ...(d.rejected.length ? [`${plural(d.rejected.length, 'row')} rejected (not written anywhere): see the findings`] : []),
          ...d.blocking.map((b) => `cannot go on: ${b}`),
        ],
        changes,
        data: d,
      };
    },

    async apply(ctx, plan): Promise<ApplyResult> {
      const d = plan.data!;
      if (d.blocking.length) {
        throw new CheckFailed(`step ${ctx.step} cannot export the per-user limits: ${d.blocking.join('; ')}`,
          'fix the settings (or give the limits as a six-field file in --answers) and run the step again');
      }
      const { astakos, exp, resources } = await gather(ctx);
      const extra = extraFiles(ctx);
      if (exp.blocking.length && !extra.length) throw new CheckFailed(`step ${ctx.step}: ${exp.blocking.join('; ')}`, 'fix it and run the step again');
      // 1. the export, as the upstream file
      const folder = quotaFolder(ctx);
      mkdirSync(folder, { recursive: true, mode: 0o700 });
      const exportFile = join(folder, kind.file);
      writeFileSync(exportFile, exportText(exp.entries), { mode: 0o600 });
      chmodSync(exportFile, 0o600);
      for (const r of exp.rejected) ctx.log('warn', `${ctx.step}: rejected ${r.where}: ${r.reason}`);
      // 2. the import of that file (and of any file the operator gave), read back from disk
      const read = await readQuotaLines(astakos.pool, [exportFile, ...extra].map((f) => ({ name: f, lines: readLines(f) })), resources);
      for (const r of read.rejected) ctx.log('warn', `${ctx.step}: rejected ${r.where}: ${r.reason}`);
      let written = 0;
      let batches = 0;
      for (let i = 0; i < read.records.length; i += RECORDS_PER_BATCH) {
        if (ctx.stopRequested()) {
          return { summary: [`stopped after ${plural(batches, 'batch', 'batches')} (${written} initial quotas written); run the step again to continue`], rows: written, stopped: true };
        }
        const chunk = read.records.slice(i, i + RECORDS_PER_BATCH);
        const planned = await changesFor(astakos.pool, chunk);
        if (planned.inserts.length || planned.updates.length) {
          const key = batchName(`import ${kind.file}`, chunk[0]!.where, chunk[chunk.length - 1]!.where,
            [...planned.inserts.map((r) => [r.userId, r.resourceId, r.capacity, r.quantity, r.importLimit, r.exportLimit]),
              ...planned.updates.map((u) => [u.old.id, u.record.capacity, u.record.quantity, u.record.importLimit, u.record.exportLimit])]);
          const res = await ctx.batch('astakos', key, async (client, keep) => writeChanges(client, await changesFor(client, chunk), keep));
          written += res.rows;
          if (!res.skipped) batches++;
        }
        ctx.progress({ table: 'im_astakosuserquota', done: Math.min(i + RECORDS_PER_BATCH, read.records.length), total: read.records.length });
      }
      const rejected = [...exp.rejected, ...read.rejected];
      return {
        summary: [
          `wrote ${exportFile} (${plural(exp.entries.length, 'line')}); for the upstream path run on the astakos host: snf-manage user-set-initial-quota --from-file ${kind.file}`,
          ...extra.map((f) => `imported the given file ${f} after it`),
          written ? `astakos initial quotas: ${written} written in ${plural(batches, 'batch', 'batches')} (${read.records.length - written} already in place)`
            : `astakos initial quotas: all ${read.records.length} already in place; nothing changed`,
          ...exp.notes,
          ...(rejected.length ? [`${plural(rejected.length, 'row')} rejected (not imported, not in the file):`] : []),
          ...rejectionLines(rejected),
          ...read.overridden,
        ],
        rows: written,
      };
    },

    async verify(ctx): Promise<Check[]> {
      const { astakos, exp, resources } = await gather(ctx);
      const read = await readQuotaLines(astakos.pool, [
        { name: kind.file, lines: fileLines(exportText(exp.entries)) },
        ...extraFiles(ctx).map((f) => ({ name: f, lines: readLines(f) })),
      ], resources);
      const wrong: string[] = [];
      for (let i = 0; i < read.records.length; i += RECORDS_PER_BATCH) {
        const c = await changesFor(astakos.pool, read.records.slice(i, i + RECORDS_PER_BATCH));
        for (const r of [...c.inserts, ...c.updates.map((u) => u.record)]) wrong.push(`${r.uuid} ${r.resource}`);
      }
      const file = join(quotaFolder(ctx), kind.file);
      return [
        {
          label: `every accepted ${kind.noun} is an astakos initial quota (${read.records.length})`,
          ok: wrong.length === 0, detail: wrong.length ? `missing or different: ${sample(wrong)}` : 'yes',
        },
        {
          label: `the export file is in place for the upstream path (${file})`,
          ok: existsSync(file) && readFileSync(file, 'utf8') === exportText(exp.entries),
          detail: existsSync(file) ? 'same content as the export' : 'missing',
        },
      ];
    },
  };
}

/** USERSSTEP (of both) is the step that removed duplicate astakos users (its merges resolve names too). */
export const importPithosQuota = ({ usersStep }: { usersStep: string }): StepModule<InitialFindings, InitialFindings> => initialStep({
  file: PITHOS_FILE, what: 'per-user pithos storage limits', noun: 'pithos storage limit', export: exportPithos,
}, usersStep);

export const importCycladesQuota = ({ usersStep }: { usersStep: string }): StepModule<InitialFindings, InitialFindings> => initialStep({
  file: CYCLADES_FILE, what: 'per-user cyclades VM and network limits', noun: 'cyclades VM or network limit', export: exportCyclades,
}, usersStep);
