// Pithos account names → astakos uuids: duplicate accounts (merge or delete, de-duplicate
// case-variant rows), then the 0.13 alembic chain, set-based.
export { pithosDuplicates, UNKNOWN_PREFIX, ON_DISK_NOTE, suggestInto, invalidDecision, parseQuotaChoices, parseUnknownAccounts } from './duplicates.js';
export { parseSetAnswer } from '../sets.js';
export { pithosMigrate, accountsAreUuids, parseKeepAccounts, parseStatistics } from './migrate.js';
export { HEAD_REVISION, CHAIN, readRevision, describeRevision } from './chain.js';
export { encodeUrl, legacyPublicUrl, LEGACY_URL_ALPHABET } from './url.js';
export { mergeAccount, deleteAccount, accountNode } from './accounts.js';
export { MAP_TABLE, batchRows, objectChunk } from './names.js';
export { IDEAL_FIXED_SQL, IDEAL_RECURSIVE_SQL, idealAllSql, statisticsDrift, snapshotIdeal, recomputeRange, dropIdeal, IDEAL_TABLE } from './stats.js';
export type * from './types.js';
