// Synnefo settings files: parse (never execute), read values, rewrite dict keys, diff.
export {
  loadSettingsDir, parseSettings, readSettingsText,
  type Assignment, type Note, type ParseOptions, type SettingsDir, type SettingsFile,
} from './parse.js';
export { positionOf, SettingsError } from './syntax.js';
export { decodeString, parseNumber } from './literals.js';
export {
  formatPyValue, isTuple, keyId, makeTuple, pyEquals, PyDict, PySet, pyString, toJsonValue, typeName,
  type DictEntry, type PyValue, type Range,
} from './values.js';
export { rewriteDictKeys, writeBeside, type DictKeyChange, type MergeFn, type RewriteOptions, type RewriteResult } from './rewrite.js';
export { diffLines, unifiedDiff, type DiffOp, type DiffOptions } from './diff.js';
export { maskSecrets } from '../../secrets.js';
export {
  DEFAULT_ASTAKOS_SERVICES_SOURCE, DEFAULT_LIMITS_012, defaultAstakosServices, HOSTS, KNOWN_RESOURCES, loadDirs, quotaSettings,
  readAstakosServices, userLimitEntries,
  type FoundSetting, type Host, type Loaded, type QuotaSettings, type ServiceDef, type ServiceResource, type SettingsDirs,
} from './quota.js';
