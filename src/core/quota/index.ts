// The quota steps of the 0.13 upgrade (guide steps 5, 7, 8, 9), done directly on the
// astakos database (which also holds the quotaholder tables) with the upstream semantics:
//   5    loadServiceResources  astakos-init --load-service-resources (+ the pithos → pithos+ rename)
//   7.1  importPithosQuota     pithos-export-quota + user-set-initial-quota --from-file
//   7.2  importCycladesQuota   cyclades-export-quota + user-set-initial-quota --from-file
//   8    syncQuota             astakos-quota --sync (plan = a read-only --verify)
//   9.1  pithosUsageStep       pithos-usage --reset
//   9.2  cycladesUsageStep     cyclades-reset-usage
export { loadServiceResources, desiredServices, planDefinitions, servicesFromAnswer, RENAME_FROM, RENAME_TO } from './services.js';
export type { DefinitionsFindings, DefsPlan, Desired } from './services.js';
export { headroom, type Headroom, type HeadroomRow } from './headroom.js';
export {
  importPithosQuota, importCycladesQuota, exportPithos, exportCyclades, readQuotaLines, quotaFolder, parseQuotaFiles, PITHOS_FILE, CYCLADES_FILE,
} from './initial.js';
export type { ExportEntry, ExportResult, InitialFindings, Rejection } from './initial.js';
export { syncQuota, effectiveLimits, diffChunk, limitChecks, verifiedUsers, RESOURCES_012, CHANGED_012 } from './effective.js';
export type { SyncFindings, UserRow } from './effective.js';
export { pithosUsageStep, cycladesUsageStep } from './usage.js';
export type { Unset, UsageFindings } from './usage.js';
export { formatQuotaLine, parseQuotaLine, fileLines, type QuotaRecord, type ParsedLine } from './quotafile.js';
export { QH_INF, FILE_LIMIT, NUMERIC_MAX, parseLong, fmtLimit } from './numbers.js';
export { CYCLADES_RESOURCES, PITHOS_RESOURCES } from './sources.js';
export { readBaseline, readCycladesLimits, readPithosDefault, type Baseline } from './settings.js';
export { ENTITY_KEY, SYSTEM, usageOf, type Limits, type Counters } from './qh.js';
