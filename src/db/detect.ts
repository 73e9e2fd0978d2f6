// Which release a service database is at, from its version rows and the columns present.
import type pg from 'pg';
import type { Service } from './connection.js';

export type SchemaVersion =
  | { kind: '0.12.5' }
  | { kind: '0.13' }
  | { kind: 'partial'; missing: string[]; present013: string[] }
  /** The service's tables are there but 0.12 additions are missing and no 0.13 one is present. */
  | { kind: 'older'; missing: string[] }
  /** No tables at all. */
  | { kind: 'empty' }
  | { kind: 'foreign' };

export function describeVersion(service: Service, v: SchemaVersion): string {
  switch (v.kind) {
    case 'partial': return `partial (missing: ${v.missing.join(', ')})`;
    case 'older': return `older than 0.12.5 (missing: ${v.missing.join(', ')})`;
    case 'empty': return 'empty (no tables)';
    case 'foreign': return `not ${service === 'astakos' ? 'an' : 'a'} ${service} database`;
    default: return v.kind;
  }
}

type Marker =
  | { table: string }
  | { column: [string, string] }
  | { south: [string, string] }
  | { index: string }
  | { alembic: string };

interface Markers {
  /** Tables that make a database this service's at all. */
  identity: string[];
  release0125: Marker[];
  release013: Marker[];
}

const range = (app: string, names: string[]): Marker[] => names.map((m) => ({ south: [app, m] as [string, string] }));

export const MARKERS: Record<Service, Markers> = {
  astakos: {
    identity: ['auth_user', 'im_astakosuser'],
    release0125: [
      { table: 'im_invitation' }, { table: 'im_additionalmail' }, { table: 'im_emailchange' }, { table: 'im_service' },
      ...range('im', ['0014_auto__add_unique_astakosuser_third_party_identifier_provider']),
    ],
    release013: [
      ...range('im', [
        '0015_auto__add_chain__add_project__add_projectmembership__add_unique_projec',
        '0016_auth_providers_and_projects',
        '0017_auto__add_field_resource_uplimit__chg_field_astakosuserquota_capacity_',
        '0018_auto__chg_field_approvalterms_date__chg_field_project_creation_date__c',
        '0019_clear_service_auth_token',
        '0020_auto',
        '0021_auto__chg_field_project_name',
        '0022_auto__chg_field_project_id__chg_field_projectapplication_chain',
        '0023_auto__add_usersetting__add_unique_usersetting_user_setting',
        '0024_auto__add_field_projectapplication_response',
      ]),
      { column: ['im_astakosuser', 'uuid'] },
      { column: ['im_resource', 'uplimit'] },
      { table: 'im_astakosuserquota' },
      { table: 'quotaholder_app_holding' },
    ],
  },
  cyclades: {
    identity: ['db_virtualmachine', 'db_network'],
    release0125: [
      { table: 'userdata_publickeypair' },
      ...range('db', ['0058_auto__chg_field_networkinterface_dirty__chg_field_virtualmachine_delet']),
      ...range('userdata', ['0003_auto__chg_field_publickeypair_fingerprint__chg_field_publickeypair_use']),
    ],
    release013: [
      ...range('db', [
        '0059_auto__add_quotaholderserial__add_field_virtualmachine_serial__add_fiel',
        '0060_auto__del_field_network_type__add_field_network_flavor__add_field_netw',
        '0061_network_flavors',
      ]),
      { table: 'db_quotaholderserial' },
      { column: ['db_network', 'flavor'] },
      { column: ['db_virtualmachine', 'serial_id'] },
    ],
  },
  pithos: {
    identity: ['nodes', 'versions'],
    release0125: [
      { table: 'statistics' }, { table: 'xfeatures' }, { table: 'public' },
      { column: ['nodes', 'latest_version'] }, { index: 'idx_nodes_parent' },
    ],
    release013: [
      { column: ['public', 'url'] },
      { alembic: '27381099d477' },
    ],
  },
};

function markerLabel(m: Marker): string {
  if ('table' in m) return `table ${m.table}`;
  if ('column' in m) return `${m.column[0]}.${m.column[1]}`;
  if ('index' in m) return `index ${m.index}`;
  if ('alembic' in m) return `alembic ${m.alembic}`;
  return `${m.south[0]} ${m.south[1].slice(0, 4)}`;
}

interface Catalog {
  tables: Set<string>;
  columns: Set<string>;
  indexes: Set<string>;
  south: Set<string>;
  alembic: string[];
}

async function readCatalog(q: pg.Pool | pg.PoolClient): Promise<Catalog> {
  const cols = await q.query<{ t: string; c: string }>(
    `SELECT table_name AS t, column_name AS c FROM information_schema.columns WHERE table_schema = current_schema()`);
  const idx = await q.query<{ i: string }>(
    `SELECT indexname AS i FROM pg_indexes WHERE schemaname = current_schema()`);
  const catalog: Catalog = {
    tables: new Set(cols.rows.map((r) => r.t)),
    columns: new Set(cols.rows.map((r) => `${r.t}.${r.c}`)),
    indexes: new Set(idx.rows.map((r) => r.i)),
    south: new Set(),
    alembic: [],
  };
  if (catalog.tables.has('south_migrationhistory')) {
    const rows = await q.query<{ a: string; m: string }>('SELECT app_name AS a, migration AS m FROM south_migrationhistory');
    for (const r of rows.rows) catalog.south.add(`${r.a}/${r.m}`);
  }
  if (catalog.tables.has('alembic_version')) {
    const rows = await q.query<{ v: string }>('SELECT version_num AS v FROM alembic_version');
    catalog.alembic = rows.rows.map((r) => r.v);
  }
  return catalog;
}

function has(c: Catalog, m: Marker): boolean {
  if ('table' in m) return c.tables.has(m.table);
  if ('column' in m) return c.columns.has(`${m.column[0]}.${m.column[1]}`);
  if ('index' in m) return c.indexes.has(m.index);
  if ('alembic' in m) return c.alembic.length === 1 && c.alembic[0] === m.alembic;
  return c.south.has(`${m.south[0]}/${m.south[1]}`);
}

/** The services whose tables DB holds (astakos and cyclades both, in a shared snf_apps). */
export async function servicesIn(q: pg.Pool | pg.PoolClient): Promise<Service[]> {
  const c = await readCatalog(q);
  return (Object.keys(MARKERS) as Service[]).filter((s) => MARKERS[s].identity.every((t) => c.tables.has(t)));
}

export async function detectSchema(q: pg.Pool | pg.PoolClient, service: Service): Promise<SchemaVersion> {
  const c = await readCatalog(q);
  const markers = MARKERS[service];
  if (!markers.identity.every((t) => c.tables.has(t))) return [...c.tables].every((t) => t.startsWith('snf_upgrade_')) ? { kind: 'empty' } : { kind: 'foreign' };
  const missingBase = markers.release0125.filter((m) => !has(c, m));
  const missingNew = markers.release013.filter((m) => !has(c, m));
  if (missingBase.length === 0 && missingNew.length === 0) return { kind: '0.13' };
  const noneNew = missingNew.length === markers.release013.length;
  if (missingBase.length === 0 && noneNew) return { kind: '0.12.5' };
  if (noneNew) return { kind: 'older', missing: summarise(missingBase) };
  return {
    kind: 'partial',
    missing: summarise([...missingBase, ...missingNew]),
    present013: summarise(markers.release013.filter((m) => has(c, m))),
  };
}

/** Collapses runs of missing South migrations into "im 0015–0024". */
function summarise(missing: Marker[]): string[] {
  const out: string[] = [];
  const southByApp = new Map<string, string[]>();
  for (const m of missing) {
    if ('south' in m) {
      const list = southByApp.get(m.south[0]) ?? [];
      list.push(m.south[1].slice(0, 4));
      southByApp.set(m.south[0], list);
    } else {
      out.push(markerLabel(m));
    }
  }
  const south = [...southByApp].map(([app, nums]) => nums.length === 1 ? `${app} ${nums[0]}` : `${app} ${nums[0]}–${nums[nums.length - 1]}`);
  return [...south, ...out];
}
