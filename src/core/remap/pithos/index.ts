// Pithos account names → astakos uuids: step 6.2 (duplicate accounts: merge or delete,
// de-duplicate case-variant rows) and step 6.4 (the 0.13 alembic chain, set-based).
export { pithosDuplicates, DUPLICATES_STEP, UNKNOWN_PREFIX, ON_DISK_NOTE, suggestInto, invalidDecision, parseSetAnswer } from './duplicates.js';
export { pithosMigrate, MIGRATE_STEP } from './migrate.js';
export { HEAD_REVISION, CHAIN, readRevision, describeRevision } from './chain.js';
export { encodeUrl, legacyPublicUrl, LEGACY_URL_ALPHABET } from './url.js';
export { mergeAccount, deleteAccount, accountNode } from './accounts.js';
export { MAP_TABLE, batchRows, objectChunk } from './names.js';
export { IDEAL_FIXED_SQL, IDEAL_RECURSIVE_SQL, idealAllSql, statisticsDrift, snapshotIdeal, recomputeRange, dropIdeal, IDEAL_TABLE } from './stats.js';
export type * from './types.js';
