// Deleting what cyclades identifiers own, the way upstream's --delete-user does through
// the Django ORM (cyclades.md §2.8): their VMs and networks with every row that references
// them (NICs — also other users' NICs on a deleted network —, metadata, diagnostics,
// backend networks), and their public keys. The graph is read from the database's own
// foreign keys, so a table added by a local patch is handled (and listed) the same way
// instead of failing at COMMIT. IP pools, bridges, MAC prefixes, quotaholder serials and
// Ganeti are left as upstream leaves them.
//
// Every deleted row is handed to `keep` whole, as text in a fixed session format (ISO dates
// in UTC, hex bytea, full float precision), so it can be put back exactly.
import type pg from 'pg';
import type { BeforeImage } from '../../step.js';
import type { Q } from './identifiers.js';
import {
  cascadeReach, countCascade, deleteCascade, loadCascade, type Cascade, type CascadeReach, type CascadeRoots,
} from '../../cascade.js';

export type OwnerCascade = Cascade;

/** The tables whose rows an identifier owns, and the SQL that picks them ($1 = text[] of identifiers). */
const OWNERS: CascadeRoots = {
  roots: {
    db_virtualmachine: 'userid = ANY($1::text[])',
    db_network: 'userid = ANY($1::text[])',
    userdata_publickeypair: '"user" = ANY($1::text[])',
  },
  keyType: 'text', skipSelf: true, what: 'cyclades VMs and networks',
  next: 'delete these rows by hand (snf-manage cyclades-astakos-migrate-013 --delete-user), then run the step again',
};

export function loadOwnerCascade(q: Q): Promise<OwnerCascade> {
  return loadCascade(q, OWNERS);
}

/** Rows per table that deleting what IDS own removes (parents first). */
export function countDeletion(q: Q, cascade: OwnerCascade, ids: string[]): Promise<{ table: string; rows: number }[]> {
  return countCascade(q, cascade, ids);
}

/** Which of the identifiers CANDIDATES reach which rows, per table: what a plan counts a deletion by. */
export function ownersReach(q: Q, candidates: string[]): Promise<CascadeReach<string>> {
  return cascadeReach(q, OWNERS, candidates);
}

/**
 * Deletes everything IDS own, children first, handing every full row to KEEP before it
 * goes. Runs inside the caller's transaction (a batch). Returns rows deleted per table.
 */
export async function deleteOwned(client: pg.PoolClient, cascade: OwnerCascade, ids: string[],
  keep: (images: BeforeImage[]) => void): Promise<Map<string, number>> {
  if (!ids.length) return new Map();
  return deleteCascade(client, cascade, ids, keep, { service: 'cyclades', rowsOf: (table) => `the ${table} rows being deleted` });
}
