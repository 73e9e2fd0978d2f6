// The project's own schema files (src/db/schema/*.sql, copied to dist/db/schema by the
// build) and a loader for them. Each file is split into sections by "-- section: NAME"
// lines; a whole file loads with loadSchema(), or section by section (the generator
// loads tables first, fills them, and only then adds constraints, indexes and foreign
// keys, which is much faster for big sandboxes).
import { readFileSync } from 'node:fs';
import type { Service } from '../db/connection.js';

export type SchemaVersion = '0.12.5' | '0.13';
export const SCHEMA_VERSIONS: readonly SchemaVersion[] = ['0.12.5', '0.13'];

/** Sections of the full-schema files, in load order. */
export type SchemaSection = 'tables' | 'constraints' | 'foreign-keys' | 'version-rows';
export const SCHEMA_SECTIONS: readonly SchemaSection[] = ['tables', 'constraints', 'foreign-keys', 'version-rows'];

/** Anything with a pg-style query(text) method: pg.Client, pg.PoolClient, pg.Pool. */
export interface Queryable {
  query(text: string, values?: unknown[]): Promise<{ rows: any[]; rowCount?: number | null }>;
}

/** The pithos root node, which the backend inserts when it starts (it is not in the dumps). */
export const PITHOS_ROOT_NODE_SQL =
  "INSERT INTO public.nodes (node, parent, latest_version, path) SELECT 0, 0, NULL, '' " +
  'WHERE NOT EXISTS (SELECT 1 FROM public.nodes WHERE node = 0)';

const cache = new Map<string, Map<string, string>>();

/** Location of a file in src/db/schema (dist/db/schema once built). */
export function schemaFileUrl(file: string): URL {
  return new URL(`../db/schema/${file}`, import.meta.url);
}

/** The text of a schema file, e.g. "astakos-0.12.5.sql". */
export function readSchemaFile(file: string): string {
  return readFileSync(schemaFileUrl(file), 'utf8');
}

/** Sections of a schema file by name, in file order. Text before the first marker is dropped. */
export function schemaSections(file: string): Map<string, string> {
  const hit = cache.get(file);
  if (hit) return hit;
  const sections = new Map<string, string>();
  let current: string | undefined;
  let lines: string[] = [];
  const flush = () => {
    if (current !== undefined) sections.set(current, lines.join('\n').trim());
  };
  for (const line of readSchemaFile(file).split('\n')) {
    const m = /^-- section: (\S+)\s*$/.exec(line);
    if (m) {
      flush();
      current = m[1];
      lines = [];
    } else if (current !== undefined) {
      lines.push(line);
    }
  }
  flush();
  cache.set(file, sections);
  return sections;
}

export function schemaFileName(service: Service, version: SchemaVersion): string {
  return `${service}-${version}.sql`;
}

/**
 * Loads the schema of SERVICE at VERSION into an empty database: every section, or the
 * ones asked for (in file order). Pithos also gets its root node row with the
 * 'version-rows' section, as the backend inserts it on start.
 */
export async function loadSchema(
  client: Queryable,
  service: Service,
  version: SchemaVersion,
  opts: { sections?: readonly SchemaSection[]; djangoShared?: boolean } = {},
): Promise<void> {
  const wanted = new Set(opts.sections ?? SCHEMA_SECTIONS);
  const sections = schemaSections(schemaFileName(service, version));
  for (const [name, sql] of sections) {
    if (!wanted.has(name as SchemaSection) || !sql) continue;
    const text = opts.djangoShared ? withoutDjangoTables(sql) : sql;
    if (text) await client.query(text);
  }
  if (service === 'pithos' && wanted.has('version-rows')) await client.query(PITHOS_ROOT_NODE_SQL);
}

/** Django's own tables: one set per database, shared by every Django app in it (snf_apps). */
const DJANGO_TABLE = /\bpublic\.(?:auth_|django_|south_migrationhistory)\w*/;

/**
 * SQL of a section for a database where another Django service's schema is already loaded
 * (astakos and cyclades in one snf_apps): statements on Django's tables are left out, and
 * this service's South history rows are added with ids from the shared sequence.
 */
export function withoutDjangoTables(sql: string): string {
  const kept: string[] = [];
  for (const statement of sql.split(/;\s*\n/)) {
    const text = statement.trim().replace(/;$/, '');
    if (!text) continue;
    if (/^INSERT INTO public\.south_migrationhistory \(id, /.test(text)) {
      kept.push(text.replace(/^INSERT INTO public\.south_migrationhistory \(id, (.*?)\) VALUES \(\d+, /,
        'INSERT INTO public.south_migrationhistory ($1) VALUES ('));
    } else if (!DJANGO_TABLE.test(text)) {
      kept.push(text);
    }
  }
  return kept.length ? `${kept.join(';\n')};` : '';
}

/** Runs one section of a schema file (used by the simulated upgrade steps). */
export async function runSchemaSection(client: Queryable, file: string, section: string): Promise<void> {
  const sql = schemaSections(file).get(section);
  if (sql === undefined) throw new Error(`schema file ${file} has no section ${section}`);
  if (sql) await client.query(sql);
}
