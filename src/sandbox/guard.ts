// Sandbox commands touch only sandboxes. Every database `sandbox create` makes carries a
// marker (COMMENT ON DATABASE 'snf-upgrade sandbox NAME'); create over an existing database
// and drop refuse one without it, or one whose journal holds batches of a run the sandbox's
// own state file does not record (a run outside the sandbox: another config or state file,
// i.e. possibly a real upgrade). Files beside the sandbox are private (0600, folders 0700) and
// only those the sandbox wrote are removed.
import { chmodSync, existsSync, lstatSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { embeddedDir, isEmbeddedUrl, openDb, SERVICES, type Service } from '../db/connection.js';
import { JOURNAL_TABLE } from '../db/journal.js';
import { EXIT, UserError } from '../errors.js';
import { StateFile } from '../state/index.js';
import type { Queryable } from './schema.js';

/** What COMMENT ON DATABASE says on every database of sandbox NAME. */
export const sandboxMarker = (name: string): string => `snf-upgrade sandbox ${name}`;

/** The database name a config URL names (the last path segment, or the embedded folder's name). */
export const databaseName = (url: string): string =>
  isEmbeddedUrl(url) ? basename(embeddedDir(url)) : decodeURIComponent(new URL(url).pathname.slice(1));

/** The list of files a sandbox wrote into its settings folder (relative paths), kept in that folder. */
export const SETTINGS_MANIFEST = 'snf-upgrade-sandbox.json';

/** Marks the database Q is connected to as sandbox NAME's (NAME is validated: [a-z0-9_]). */
export async function markSandboxDatabase(q: Queryable, name: string): Promise<void> {
  const db = String((await q.query('SELECT current_database() AS d')).rows[0].d);
  await q.query(`COMMENT ON DATABASE "${db.replace(/"/g, '""')}" IS '${sandboxMarker(name)}'`);
}

async function databaseMarker(q: Queryable): Promise<string | null> {
  const r = await q.query(`SELECT shobj_description(oid, 'pg_database') AS c FROM pg_database WHERE datname = current_database()`);
  return (r.rows[0]?.c as string | null | undefined) ?? null;
}

async function journalRows(q: Queryable): Promise<{ step: string; batch: string }[]> {
  const t = await q.query(`SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1`, [JOURNAL_TABLE]);
  if (!t.rows.length) return [];
  return (await q.query(`SELECT step, batch FROM ${JOURNAL_TABLE} ORDER BY committed_at, step, batch`)).rows as { step: string; batch: string }[];
}

/** "step batch" of every batch the sandbox's state file recorded (empty without one). */
function recordedBatches(statePath: string, steps: string[]): Set<string> {
  const out = new Set<string>();
  if (!existsSync(statePath)) return out;
  const state = StateFile.open(statePath, { readonly: true, create: false });
  try {
    for (const step of new Set(steps)) for (const b of state.batchesFor(step)) out.add(`${b.step} ${b.batch}`);
  } finally {
    state.close();
  }
  return out;
}

export interface GuardTarget {
  name: string;
  urls: Record<Service, string>;
  /** The sandbox's state file (NAME-state.db beside its config). */
  statePath: string;
  /** Tells whether a server database exists (embedded ones are folders). */
  exists: (service: Service) => Promise<boolean>;
  /** "create" or "drop", for the messages. */
  command: 'create' | 'drop';
}

const refusal = (what: string, command: string, next: string): UserError =>
  new UserError(`${what}: sandbox ${command} leaves it as it is`, next, EXIT.checkFailed);

/** An embedded folder holds a database when its data folder does. */
const embeddedHasData = (dir: string): boolean => existsSync(join(dir, 'data', 'PG_VERSION'));

/**
 * Checks every existing database of the sandbox before any is touched, and returns the
 * services whose database exists (each a marked sandbox with no foreign journal). Throws
 * the one-line refusal otherwise.
 */
export async function checkSandboxDatabases(t: GuardTarget): Promise<Service[]> {
  const present: Service[] = [];
  const marker = sandboxMarker(t.name);
  const byHand = (where: string) => `choose another --name; if ${where} is really a disposable sandbox, remove it yourself`;
  const seen = new Set<string>();
  for (const s of SERVICES) {
    const url = t.urls[s];
    if (seen.has(url)) continue; // services sharing one database: checked once
    seen.add(url);
    const label = isEmbeddedUrl(url) ? embeddedDir(url) : `database ${databaseName(url)}`;
    if (isEmbeddedUrl(url)) {
      const dir = embeddedDir(url);
      if (!existsSync(dir)) continue;
      if (!embeddedHasData(dir)) {
        if (readdirSync(dir).every((f) => f === 'snf-upgrade.pid')) { present.push(s); continue; }
        throw refusal(`${dir} is not an embedded database of snf-upgrade (no data/PG_VERSION)`, t.command, byHand(dir));
      }
    } else if (!(await t.exists(s))) {
      continue;
    }
    const db = await openDb(s, url, { max: 1, application: 'snf-upgrade sandbox' });
    let found: string | null;
    let batches: { step: string; batch: string }[];
    try {
      found = await databaseMarker(db.pool);
      batches = found === marker ? await journalRows(db.pool) : [];
    } finally {
      await db.close();
    }
    if (found !== marker) {
      throw refusal(`${label} is not sandbox ${t.name} (it carries no "${marker}" marker${found?.startsWith('snf-upgrade sandbox ') ? `, but "${found}"` : ''})`,
        t.command, byHand(label));
    }
    const recorded = recordedBatches(t.statePath, batches.map((b) => b.step));
    const foreign = batches.filter((b) => !recorded.has(`${b.step} ${b.batch}`));
    if (foreign.length) {
      throw refusal(`${label} holds ${foreign.length} batch(es) of an upgrade run that the sandbox's state file ${t.statePath} does not record (first: step ${foreign[0]!.step} "${foreign[0]!.batch}"), so it may be a real upgrade`,
        t.command, byHand(label));
    }
    present.push(s);
  }
  return present;
}

// ------------------------------------------------------------------ files beside the sandbox

export interface LocalPaths {
  configPath: string;
  settings: Record<Service, string>;
  state: string;
  backups: string;
}

function readJson(file: string): any {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Relative paths of the files listed in ROOT's manifest if it is sandbox NAME's, else undefined. */
function settingsManifest(root: string, name: string): string[] | undefined {
  const m = readJson(join(root, SETTINGS_MANIFEST));
  if (m?.sandbox !== name || !Array.isArray(m.files)) return undefined;
  return (m.files as unknown[]).filter((f): f is string => typeof f === 'string' && !f.startsWith('..') && !f.startsWith('/'));
}

/** Whether FILE is a config that sandbox NAME wrote: every database it names is NAME_…. */
function isSandboxConfig(file: string, name: string): boolean {
  const raw = readJson(file);
  return SERVICES.every((s) => {
    const url = raw?.[s]?.db;
    try {
      return typeof url === 'string' && databaseName(url).startsWith(`${name}_`);
    } catch {
      return false;
    }
  });
}

/**
 * Refuses (one line) when a file or folder the sandbox would replace or remove exists and
 * was not written by sandbox NAME: the config (its databases must be NAME_…), the
 * settings folder (its manifest must name NAME), the state file (must be an snf-upgrade one).
 */
export function checkSandboxFiles(name: string, paths: LocalPaths, command: 'create' | 'drop'): void {
  const next = (p: string) => `choose another --name or --config; if ${p} is really disposable, remove it yourself`;
  if (existsSync(paths.configPath) && !isSandboxConfig(paths.configPath, name)) {
    throw refusal(`${paths.configPath} is not the config of sandbox ${name}`, command, next(paths.configPath));
  }
  const root = dirname(paths.settings.astakos);
  if (existsSync(root) && !settingsManifest(root, name)) {
    throw refusal(`${root} was not written by sandbox ${name} (no ${SETTINGS_MANIFEST} naming it)`, command, next(root));
  }
  if (existsSync(paths.state)) {
    try {
      StateFile.open(paths.state, { readonly: true, create: false }).close();
    } catch {
      throw refusal(`${paths.state} is not a state file of snf-upgrade`, command, next(paths.state));
    }
  }
}

/** Every file under ROOT, relative to it. */
function filesUnder(root: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(root, { withFileTypes: true })) {
    const p = join(root, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p).map((f) => join(e.name, f)));
    else out.push(e.name);
  }
  return out;
}

/** Makes ROOT and everything under it private (files 0600, folders 0700). */
export function makePrivate(root: string): void {
  chmodSync(root, 0o700);
  for (const e of readdirSync(root, { withFileTypes: true })) {
    const p = join(root, e.name);
    if (e.isDirectory()) makePrivate(p);
    else if (e.isFile()) chmodSync(p, 0o600);
  }
}

/**
 * Runs WRITE (which writes sandbox NAME's settings under ROOT), then records the files it
 * added in ROOT's manifest, so that drop removes those only, and makes them private.
 */
export function writeSettingsSealed(root: string, name: string, write: () => void): void {
  const before = new Set(existsSync(root) ? filesUnder(root) : []);
  write();
  const files = filesUnder(root).filter((f) => f !== SETTINGS_MANIFEST && !before.has(f)).sort();
  writePrivateFile(join(root, SETTINGS_MANIFEST), `${JSON.stringify({ sandbox: name, files }, null, 2)}\n`);
  makePrivate(root);
}

/** Writes FILE readable by its owner only. */
export function writePrivateFile(file: string, text: string): void {
  writeFileSync(file, text, { mode: 0o600 });
  chmodSync(file, 0o600);
}

/** Removes folder DIR if it is empty; says whether it did. */
function removeIfEmpty(dir: string): boolean {
  if (!existsSync(dir) || readdirSync(dir).length) return false;
  rmdirSync(dir);
  return true;
}

/** A backup file name as db/backup.ts writes them: LABEL-SERVICE-STAMP.dump|.tar.gz, or its .partial. */
const BACKUP_FILE = new RegExp(`^.+-(${SERVICES.join('|')})-\\d{4}-\\d{2}-\\d{2}T\\d{6}\\.(dump|tar\\.gz)(\\.partial)?$`);

/**
 * Removes what sandbox NAME wrote beside its config (checkSandboxFiles ran first): the
 * settings files its manifest lists, the state file, the backups snf-upgrade named, and the
 * config when WITHCONFIG; a folder goes once empty, anything else in it stays (and is said).
 */
export function removeSandboxFiles(name: string, paths: LocalPaths, log: (l: string) => void, withConfig: boolean): void {
  const root = dirname(paths.settings.astakos);
  const listed = existsSync(root) ? settingsManifest(root, name) : undefined;
  if (listed) {
    for (const f of [...listed, SETTINGS_MANIFEST]) {
      const p = join(root, f);
      if (existsSync(p) && lstatSync(p).isFile()) rmSync(p);
    }
    for (const s of SERVICES) removeIfEmpty(paths.settings[s]);
    if (removeIfEmpty(root)) log(`removed ${root}`);
    else log(`kept ${root}: it holds files the sandbox did not write (${filesUnder(root).slice(0, 3).join(', ')})`);
  }
  for (const f of [paths.state, `${paths.state}-wal`, `${paths.state}-shm`, `${paths.state}-journal`]) {
    if (existsSync(f)) {
      rmSync(f, { force: true });
      log(`removed ${f}`);
    }
  }
  if (existsSync(paths.backups)) {
    for (const f of readdirSync(paths.backups)) if (BACKUP_FILE.test(f)) rmSync(join(paths.backups, f), { force: true });
    if (removeIfEmpty(paths.backups)) log(`removed ${paths.backups}`);
    else log(`kept ${paths.backups}: it holds files snf-upgrade did not write`);
  }
  if (withConfig && existsSync(paths.configPath)) {
    rmSync(paths.configPath, { force: true });
    log(`removed ${paths.configPath}`);
  }
}
