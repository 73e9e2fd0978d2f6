// Steps 6.1 and 6.3: cyclades owners — case duplicates, then emails → astakos uuids (and
// the settings keyed by them).
export { cycladesDuplicates, inspectDuplicates, planDuplicates, applyDuplicates, verifyDuplicates, resolveSets, suggestInto } from './duplicates.js';
export { cycladesMigrate, ownersAreUuids, inspectMigrate, planMigrate, applyMigrate, verifyMigrate, resolveUnknown, parseUnknownOwners, parseLimitChoices, MAP_TABLE, rangeSize } from './migrate.js';
export { caseSets, OWNER_TABLES } from './identifiers.js';
export { planSettings, IDENTIFIER_SETTINGS, NEW_SUFFIX } from './settings.js';
export type * from './types.js';
