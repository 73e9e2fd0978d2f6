// Before a command takes its locks or writes anything: every database must exist, belong to
// its service, and be at a release the target step can work on (design rule 9).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { requireDb, servicesSharing, type Config } from '../config.js';
import { embeddedDir, isEmbeddedUrl, SERVICES, type Db, type Service } from '../db/connection.js';
import { serverVersionNum, unsupportedServer } from '../db/server.js';
import { loadSettingsDir, SettingsError } from '../core/settings/index.js';
import { describeVersion, detectSchema, MARKERS, servicesIn, type SchemaVersion } from '../db/detect.js';
import type { Engine } from './index.js';
import { CheckFailed, UserError } from '../errors.js';
import { firstSettingsStep, migratingStep, STEPS } from '../runbook/steps.js';

type Release = '0.12.5' | '0.13' | 'any';

export function expectedRelease(service: Service, stepId: string | undefined): Release {
  if (stepId === undefined) return 'any';
  const at = STEPS.findIndex((s) => s.id === stepId);
  // The step that migrates SERVICE's schema: before it 0.12.5, after it 0.13, during it either.
  const migration = STEPS.findIndex((s) => s.id === migratingStep(service).id);
  if (at < 0 || at === migration) return 'any';
  return at < migration ? '0.12.5' : '0.13';
}

/** An embedded database directory that is not there would be created empty: refuse instead. */
export function requireEmbeddedDatabases(config: Config): void {
  for (const service of SERVICES) {
    const url = config[service].db;
    if (!url || !isEmbeddedUrl(url)) continue;
    if (!existsSync(join(embeddedDir(url), 'data'))) {
      throw new UserError(`the ${service} database at ${url} does not exist (no embedded database in that folder)`,
        `check "${service}.db" in the config file (or SNF_${service.toUpperCase()}_DB)`);
    }
  }
}

/**
 * Parses every configured settings folder when STEP reads them, so that a file Python would
 * not accept stops the command (exit 4, file:line:col) before anything is written.
 */
export function checkSettings(config: Config, stepId: string | undefined): void {
  const at = STEPS.findIndex((s) => s.id === stepId);
  if (stepId === undefined || at < STEPS.findIndex((s) => s.id === firstSettingsStep().id)) return;
  for (const service of SERVICES) {
    const dir = config[service].settings;
    if (!dir) continue;
    try {
      loadSettingsDir(dir);
    } catch (err) {
      if (err instanceof SettingsError) throw new CheckFailed(`${service} settings: ${err.message}`, err.next);
      throw err;
    }
  }
}

/** What the database of SERVICE looks like instead, when it is another service's. */
async function looksLike(engine: Engine, service: Service): Promise<string> {
  const pool = (await engine.db(service)).pool;
  for (const other of SERVICES) {
    if (other === service) continue;
    const v = await detectSchema(pool, other);
    if (v.kind !== 'foreign' && v.kind !== 'empty') return ` (it holds the ${other} tables: ${MARKERS[other].identity.join(', ')})`;
  }
  return ` (no ${MARKERS[service].identity.join(' or ')} table)`;
}

function problem(service: Service, label: string, v: SchemaVersion, want: Release, stepId: string | undefined): string | undefined {
  const db = `the ${service} database at ${label}`;
  switch (v.kind) {
    // Later steps may work on some services only (and tests load only those); step 1 and
    // backups start from every database, where an empty one is the wrong one.
    case 'empty': return stepId === undefined || stepId === STEPS[0]!.id ? `${db} is empty (no tables)` : undefined;
    case 'older': return `${db} is older than 0.12.5 (missing: ${v.missing.join(', ')}); snf-upgrade upgrades 0.12.5 only`;
    case 'partial':
      if (want === 'any') return undefined;
      return want === '0.12.5'
        ? `${db} is half-migrated to 0.13 (present: ${v.present013.join(', ')}), and step ${stepId} needs it at 0.12.5`
        : `${db} is not fully at 0.13 (missing: ${v.missing.join(', ')}), and step ${stepId} needs 0.13`;
    case '0.12.5':
    case '0.13':
      if (want === 'any' || want === v.kind) return undefined;
      return want === '0.12.5'
        ? `${db} is already at 0.13, and step ${stepId} works on 0.12.5`
        : `${db} is still at 0.12.5, and step ${stepId} needs it at 0.13 (step ${migratingStep(service).id} is done in this state file)`;
    default: return `${db} is ${describeVersion(service, v)}`;
  }
}

/** Refuses (exit 4, one line) a server older than the oldest this tool supports. */
export async function checkServerVersion(db: Pick<Db, 'service' | 'label' | 'pool'>): Promise<void> {
  const why = unsupportedServer(await serverVersionNum(db.pool));
  if (why) {
    throw new CheckFailed(`the ${db.service} database at ${db.label} ${why}`,
      'upgrade that PostgreSQL server to 9.1 or later (pg_upgrade, or a dump restored into the new server), then run again');
  }
}

/**
 * Refuses (exit 4, nothing written) when a server is older than 9.1, a settings file does not parse, or a database is empty, another service's, older than
 * 0.12.5, or at the wrong release for STEP (undefined: any release the upgrade passes through).
 */
export async function checkDatabases(engine: Engine, stepId: string | undefined): Promise<void> {
  // An unknown step is a usage error, before any database is reached.
  const def = stepId === undefined ? undefined : engine.def(stepId);
  checkSettings(engine.config, stepId);
  // A step whose earlier steps are not done is refused by the engine, which says which ones.
  const ready = !def || engine.unmetNeeds(def).length === 0;
  const problems: string[] = [];
  let wrongDatabase = false;
  for (const service of SERVICES) {
    requireDb(engine.config, service);
    const db = await engine.db(service);
    await checkServerVersion(db);
    const v = await detectSchema(db.pool, service);
    const found = problem(service, db.label, v, ready ? expectedRelease(service, stepId) : 'any', stepId);
    if (!found) continue;
    if (v.kind === 'foreign' || v.kind === 'empty' || v.kind === 'older') wrongDatabase = true;
    problems.push(v.kind === 'foreign' ? `${found}${await looksLike(engine, service)}` : found);
  }
  // A database may hold several services' tables only when the config puts those services there.
  for (const service of SERVICES) {
    const db = await engine.db(service);
    const sharing = servicesSharing(engine.config, service);
    if (sharing[0] !== service) continue; // each physical database once
    for (const other of await servicesIn(db.pool)) {
      if (sharing.includes(other)) continue;
      wrongDatabase = true;
      const elsewhere = engine.config[other].db ? `is configured at ${(await engine.db(other)).label}` : 'is not configured';
      problems.push(`the ${sharing.join(' and ')} database at ${db.label} also holds the ${other} tables (${MARKERS[other].identity.join(', ')}), but ${other} ${elsewhere}`);
    }
  }
  if (!problems.length) return;
  const next = wrongDatabase
    ? 'point each service\'s "db" in the config file at that service\'s 0.12.5 database, the same URL for services sharing one (snf-upgrade status shows what each one holds)'
    : 'check that the config and --state name this deployment\'s databases and state file; restore the step 1 backup (snf-upgrade restore) if the schema was changed by hand';
  throw new CheckFailed(problems[0]!, next).withDetails(problems.slice(1));
}
