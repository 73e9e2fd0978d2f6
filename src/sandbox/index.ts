// The sandbox: generated Synnefo 0.12.5 deployments for tests and the demo, and the
// simulated effect of the manual upgrade steps on them.
export { createSandbox, dropSandbox, sandboxPaths, sandboxUrls, tableCounts, readSandboxConfig } from './create.js';
export type { CreateOptions, CreateResult, DropOptions, SandboxPaths } from './create.js';
export { loadSchema, schemaSections, readSchemaFile, schemaFileUrl, PITHOS_ROOT_NODE_SQL } from './schema.js';
export type { SchemaVersion, SchemaSection, Queryable } from './schema.js';
export { catalogSnapshot } from './catalog.js';
export type { CatalogSnapshot } from './catalog.js';
export { genParams, parseScale, SCALES } from './params.js';
export type { Scale, ScaleName, GenParams } from './params.js';
export { SPECIALS } from './universe.js';
export { simulateStep, SIMULATED_STEPS, DJANGO_EMAIL_RE } from './simulate.js';
export type { SimulatedStep, SimulateOptions, SimulateResult } from './simulate.js';
export { hardCaseReport, sandboxInvariants, contentHashes } from './report.js';
export { sandboxCommand, SANDBOX_USAGE, formatCounts } from './command.js';
export type { SandboxIo } from './command.js';
