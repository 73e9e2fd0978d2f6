// The Synnefo 0.12.5 → 0.13 runbook as data: the guide's steps in order, corrected by
// the errata of the upstream code.
import { text, yesNo, type AnswerParser } from '../core/answers.js';
import type { StepModule, StepPromise } from '../core/step.js';
import { SERVICES, type Service } from '../db/connection.js';
import { findDuplicates, parseSurvivors, removeDuplicates } from '../core/dedup/index.js';
import { noDuplicateUsers } from '../core/dedup/promise.js';
import { servicesDownAndBackup } from '../core/preflight/services-down.js';
import { migrationsDone } from '../core/preflight/migrations.js';
import { settingsStep, type SettingsPart } from '../core/settings/checks.js';
import { closingChecks, cronCheck, LOGIN_REWRITE_RULE, newSettingsChecks, PROJECT_CONTROL, quotaholderOnCheck, rewriteRuleCheck, withChecks } from '../core/guide/checks.js';
import { cycladesDuplicates, cycladesMigrate, ownersAreUuids, parseLimitChoices, parseUnknownOwners } from '../core/remap/cyclades/index.js';
import { accountsAreUuids, parseKeepAccounts, parseQuotaChoices, parseStatistics, parseUnknownAccounts, pithosDuplicates, pithosMigrate } from '../core/remap/pithos/index.js';
import { setAnswers } from '../core/remap/sets.js';
import {
  cycladesUsageStep, importCycladesQuota, importPithosQuota, loadServiceResources, parseQuotaFiles, pithosUsageStep, servicesFromAnswer, syncQuota,
} from '../core/quota/index.js';

export type StepKind = 'manual' | 'check' | 'migrate';

export interface HostCommand {
  host: Service | 'ganeti';
  lines: string[];
}

export interface StepDef {
  id: string;
  phase: string;
  title: string;
  kind: StepKind;
  /** What the step does and why, in the operator's terms. */
  why: string;
  /** Steps that must be done (or skipped) before this one can run. */
  needs: string[];
  /** Upstream mistakes that matter at this step. */
  errata?: string[];
  /** For manual steps: what to run on each host. */
  commands?: HostCommand[];
  /** How the step is verified, in a line. */
  verifiedBy: string;
  module?: StepModule;
  /** The conflict table the operator decides on this step (2.1, 2.2, 6.1, 6.2). */
  decisions?: DecisionTable;
  /** The list of identifiers astakos does not know, answered one by one (6.2, 6.3). */
  unknown?: UnknownTable;
  /** The sandbox can perform this manual step's effect on the data (`s` in the wizard). */
  simulate?: boolean;
  /** The settings this step checks and shows as lines to paste per host and file (3.3–3.6). */
  snippets?: SettingsPart;
  /** The environment variable that sets this step's batch size (lowering it helps a batch fit a timeout). */
  batchKnob?: string;
  /** The services whose schema this step moves from 0.12.5 to 0.13 (before it 0.12.5, after it 0.13). */
  migrates?: Service[];
  /**
   * What this step, once done, promises the steps after it, up to THROUGH (default: the last):
   * read again before each of them runs or is confirmed, since the databases change behind the
   * tool's back. When it no longer holds, that step stops naming what appeared, and `run` of
   * this step, although done, runs it again to restore it.
   */
  promise?: { check: StepPromise; through?: string };
  /** The step's own work is a checked backup of every database (step 1). */
  backsUp?: boolean;
  /** The step ends a phase worth going back to: once it is done, a checked backup of every database is taken (phase<N>, engine/phase-backups.ts). */
  phaseBackup?: boolean;
  /** The services this step starts: once it is done their sessions are expected, shown and not blocking (4 starts astakos). */
  starts?: Service[];
  /** The step ends the upgrade: it cannot be confirmed while `snf-upgrade verify` finds anything. */
  verifiesDeployment?: boolean;
  /** What no check can read and the operator's confirmation vouches for (step 11's closing checklist ends with them). */
  word?: string[];
  /**
   * The answers-file keys this step reads ({"<id>": {"<key>": value}}), each with its parser;
   * every step also accepts "ignore-sessions" and "confirm" (core/answers.ts COMMON_ANSWERS).
   */
  answers?: Record<string, AnswerParser>;
}

/** What the operator decides in a step's conflict table. */
export interface DecisionTable {
  /** users: one survivor per group of astakos users; sets: merge or delete per set of identifiers. */
  kind: 'users' | 'sets';
  /** The step whose decisions this one reads and writes (2.1 shows 2.2's). */
  step: string;
  /** Whether every group must be decided before the step runs (2.1 only finds them). */
  beforeRun: boolean;
  /** What applying the decisions does, for the key line. */
  verb: 'delete' | 'merge';
  /** What a set's members are, for the summary line (sets only). */
  noun?: string;
}

/** The identifiers astakos does not know, one answer each. */
export interface UnknownTable {
  /** owner: a cyclades owner identifier with what it owns; account: a pithos account name. */
  kind: 'owner' | 'account';
  noun: string;
  answers: { key: string; value: string; label: string }[];
  /** Whether an identifier may be given to an astakos user by hand (a uuid or an email: `m`). */
  mapToUser: boolean;
}

const PHASES: Record<string, string> = {
  '1': 'Bring services down, back up databases',
  '2': 'Remove case-duplicate astakos users',
  '3': 'Upgrade packages, migrate schemas, configure',
  '4': 'Start astakos and the quotaholder',
  '5': 'Load resource definitions',
  '6': 'Move cyclades and pithos to uuids',
  '7': 'Move quota limits to astakos',
  '8': 'Enforce the new quota limits',
  '9': 'Initialise resource usage',
  '10': 'Install periodic project checks',
  '11': 'Restart all services',
};
export const phaseTitle = (phase: string): string => PHASES[phase] ?? phase;
/** Whether DEF's phase ends with a backup of its own (step 1's, or a phase backup) because of DEF: no other is advised then. */
const endsWithBackup = (def: StepDef): boolean => !!def.backsUp || !!def.phaseBackup;
/** Whether PHASE ends with a backup of its own. */
export const phaseBacksUp = (phase: string, steps: readonly StepDef[] = STEPS): boolean => steps.some((s) => s.phase === phase && endsWithBackup(s));

export const STEPS: StepDef[] = [
  {
    id: '1', phase: '1', kind: 'check', title: 'Services down, databases backed up',
    why: 'Nothing may write to the databases while they migrate, and every change needs a way back.',
    needs: [],
    commands: [
      { host: 'astakos', lines: ['service gunicorn stop', 'service apache2 stop'] },
      { host: 'cyclades', lines: ['service gunicorn stop', 'service snf-dispatcher stop'] },
      { host: 'pithos', lines: ['service gunicorn stop'] },
    ],
    verifiedBy: 'no other session on any database (pg_stat_activity); a pg_dump of each (here, or on its host when this pg_dump cannot dump it) that pg_restore can list',
    module: servicesDownAndBackup,
    backsUp: true,
    answers: Object.fromEntries(SERVICES.map((s) => [`dump-${s}`, text('path of the dump made on the database host')])),
  },
  {
    id: '2.1', phase: '2', kind: 'check', title: 'Find users whose emails differ only in case',
    why: '0.13 makes emails case-insensitive (username = lower(email)); only one account per email can stay.',
    needs: ['1'],
    errata: ['The guide\'s script compares with Django iexact (UPPER), while 0.13 enforces username = lower(email): this tool groups users equal under either.'],
    verifiedBy: 'the conflict table lists every group of astakos users whose lower(email) collide',
    module: findDuplicates({ removeStep: '2.2' }),
    decisions: { kind: 'users', step: '2.2', beforeRun: false, verb: 'delete' },
  },
  {
    id: '2.2', phase: '2', kind: 'migrate', title: 'Remove duplicate astakos users',
    phaseBackup: true,
    why: 'Migration 0016 stops while case-duplicate emails remain; the operator picks the survivor of each group.',
    needs: ['2.1'],
    errata: [
      'If duplicates remain, 0016 stops and prompts on stdin (and fails when non-interactive).',
      'The undocumented ASTAKOS_MIGRATION_0045_DELETE_DUPLICATE_USER_IDS setting deletes users blindly during migrate: do not use it.',
    ],
    verifiedBy: 'no case-insensitive collision left; no row references a deleted user',
    module: removeDuplicates({ findStep: '2.1', schemaStep: '3.2' }),
    decisions: { kind: 'users', step: '2.2', beforeRun: true, verb: 'delete' },
    // until 3.2's migrate, which stops half-way on a duplicate; the 0.13 schema keeps it after
    promise: { check: noDuplicateUsers, through: '3.2' },
    answers: { survivors: parseSurvivors },
  },
  {
    id: '3.1', phase: '3', kind: 'manual', title: 'Install the 0.13 packages',
    why: 'The new code brings the schema migrations and the quotaholder.',
    needs: ['2.2'],
    errata: ['Installing the packages starts services again: stop gunicorn and snf-dispatcher afterwards.'],
    commands: [
      { host: 'astakos', lines: ['apt-get install kamaki snf-common snf-webproject snf-quotaholder-app snf-astakos-app', 'service gunicorn stop'] },
      { host: 'cyclades', lines: ['apt-get install kamaki snf-common snf-webproject snf-pithos-backend snf-cyclades-app', 'service gunicorn stop', 'service snf-dispatcher stop'] },
      { host: 'pithos', lines: ['apt-get install kamaki snf-common snf-webproject snf-pithos-backend snf-pithos-app snf-pithos-webclient', 'service gunicorn stop'] },
      { host: 'ganeti', lines: ['apt-get install kamaki snf-common snf-cyclades-gtools snf-pithos-backend'] },
    ],
    verifiedBy: 'the operator confirms; 3.2 then checks the schemas',
  },
  {
    id: '3.2', phase: '3', kind: 'manual', title: 'syncdb + migrate (verified)',
    why: 'Brings the astakos and cyclades schemas to 0.13 and gives every astakos user a uuid.',
    needs: ['3.1'],
    errata: [
      'If asked about stale content types, answer "no".',
      '0016 rewrites auth_user.username to lower(email); nothing outside astakos should rely on the old usernames.',
    ],
    commands: [
      { host: 'astakos', lines: ['snf-manage syncdb', 'snf-manage migrate'] },
      { host: 'cyclades', lines: ['snf-manage syncdb', 'snf-manage migrate'] },
    ],
    verifiedBy: 'astakos at im 0024 and cyclades at db 0061 (South rows and columns); every astakos user has a unique uuid',
    module: migrationsDone(['astakos', 'cyclades']),
    simulate: true,
    migrates: ['astakos', 'cyclades'],
  },
  {
    id: '3.3', phase: '3', kind: 'manual', title: 'Quota settings for all services',
    why: 'Every service talks to the quotaholder with one shared token.',
    needs: ['3.2'],
    errata: ['QUOTAHOLDER_URL is not read by any 0.13 code; the ASTAKOS_/CYCLADES_/PITHOS_ variants and QUOTAHOLDER_TOKEN are.'],
    verifiedBy: 'the settings folders, when configured, are checked (otherwise the operator confirms)',
    module: settingsStep('quota'),
    simulate: true,
    snippets: 'quota',
  },
  {
    id: '3.4', phase: '3', kind: 'manual', title: 'Set up astakos',
    why: '0.13 reads Django\'s SERVER_EMAIL and ADMINS instead of the astakos-specific settings.',
    needs: ['3.3'],
    errata: ['ASTAKOS_DEFAULT_CONTACT_EMAIL changed its default to the guide\'s sample support address: set your own.'],
    commands: [{ host: 'astakos', lines: [`remove from the Apache configuration: ${LOGIN_REWRITE_RULE}`, 'service apache2 reload'] }],
    verifiedBy: 'the settings folders, when configured, are checked; the RewriteRule is looked for in every file of the astakos "apache" folder when one is configured (otherwise the operator confirms)',
    module: withChecks(settingsStep('astakos'), (ctx) => [rewriteRuleCheck(ctx.config)]),
    simulate: true,
    snippets: 'astakos',
  },
  {
    id: '3.5', phase: '3', kind: 'manual', title: 'Set up cyclades',
    why: 'Cyclades needs its service token, and memcached for VMAPI.',
    needs: ['3.4'],
    commands: [
      { host: 'astakos', lines: ['snf-manage service-list'] },
      { host: 'cyclades', lines: ['apt-get install memcached python-memcache'] },
    ],
    verifiedBy: 'the settings folders, when configured, are checked (otherwise the operator confirms)',
    module: settingsStep('cyclades'),
    simulate: true,
    snippets: 'cyclades',
  },
  {
    id: '3.6', phase: '3', kind: 'manual', title: 'Set up pithos',
    phaseBackup: true,
    why: 'Pithos forwards the user catalog to astakos; quotaholder use stays off until the migration is over.',
    needs: ['3.5'],
    errata: ['PITHOS_USE_QUOTAHOLDER must be False during the migration.'],
    verifiedBy: 'the settings folders, when configured, are checked (otherwise the operator confirms)',
    module: settingsStep('pithos'),
    simulate: true,
    snippets: 'pithos',
  },
  {
    id: '4', phase: '4', kind: 'manual', title: 'Start astakos and the quotaholder',
    why: 'Later steps need astakos; keep it closed to the public while migrating.',
    needs: ['3.6'],
    commands: [{ host: 'astakos', lines: ['service apache2 start', 'service gunicorn start'] }],
    verifiedBy: 'the operator confirms',
    simulate: true,
    starts: ['astakos'],
  },
  {
    id: '5', phase: '5', kind: 'migrate', title: 'Load resource definitions into astakos',
    why: 'The quota system needs its services and resources with default limits.',
    needs: ['4'],
    errata: [
      'A service named "pithos" must be renamed to "pithos+" before astakos-init, or it crashes.',
      'The sample\'s "order" is ignored for services that already exist.',
    ],
    verifiedBy: 'im_service / im_resource hold the definitions; no default lower than 0.12\'s without a warning',
    module: loadServiceResources({ usersStep: '2.2' }),
    answers: { services: servicesFromAnswer, 'lower-defaults': yesNo, 'keep-0.12-defaults': yesNo, 'rename-pithos': yesNo },
  },
  {
    id: '6.1', phase: '6', kind: 'migrate', title: 'Cyclades: merge or delete duplicate users',
    why: 'Cyclades owners that differ only in case must become one before the uuid rewrite.',
    needs: ['3.2'],
    verifiedBy: 'no case-insensitive duplicate owner left in cyclades',
    module: cycladesDuplicates({ usersStep: '2.2' }),
    decisions: { kind: 'sets', step: '6.1', beforeRun: true, verb: 'merge', noun: 'cyclades owner identifiers' },
    answers: { sets: setAnswers('identifier') },
  },
  {
    id: '6.2', phase: '6', kind: 'migrate', title: 'Pithos: merge or delete duplicate accounts',
    why: 'Pithos accounts that differ only in case must become one before the uuid rewrite.',
    needs: ['3.2'],
    errata: ['Upstream --list-duplicate uses a regex: "." "+" "(" in names create or hide duplicates.', 'Upstream merge fails on the 0.12 schema.'],
    verifiedBy: 'no case-insensitive duplicate account left in pithos',
    module: pithosDuplicates({ usersStep: '2.2' }),
    decisions: { kind: 'sets', step: '6.2', beforeRun: true, verb: 'merge', noun: 'pithos accounts' },
    answers: { sets: setAnswers('account'), unknown: parseUnknownAccounts, quotas: parseQuotaChoices },
    unknown: {
      kind: 'account', noun: 'accounts', mapToUser: false,
      answers: [{ key: 'd', value: 'delete', label: 'delete it all' }, { key: 'K', value: 'keep', label: 'keep under its name' }],
    },
    batchKnob: 'SNF_UPGRADE_PITHOS_CHUNK',
  },
  {
    id: '6.3', phase: '6', kind: 'migrate', title: 'Cyclades: owners → uuids',
    why: 'From 0.13 on, cyclades identifies users by astakos uuid.',
    needs: ['6.1'],
    errata: ['"snf-manage user-list" prints no emails in 0.13: this tool reads the mapping from the astakos database.'],
    verifiedBy: 'no email-shaped owner left; every uuid exists in astakos',
    module: withChecks(cycladesMigrate({ usersStep: '2.2' }), (ctx) => newSettingsChecks(ctx.config, false)),
    promise: { check: ownersAreUuids({ usersStep: '2.2' }) },
    answers: { unknown: parseUnknownOwners, limits: parseLimitChoices },
    unknown: {
      kind: 'owner', noun: 'identifiers', mapToUser: true,
      answers: [{ key: 'd', value: 'delete', label: 'delete its rows' }, { key: 'K', value: 'keep', label: 'keep as is' }],
    },
    batchKnob: 'SNF_UPGRADE_REMAP_BATCH',
  },
  {
    id: '6.4', phase: '6', kind: 'migrate', title: 'Pithos: account names → uuids',
    phaseBackup: true,
    why: 'From 0.13 on, pithos paths and permissions name accounts by uuid.',
    needs: ['6.2'],
    commands: [{ host: 'pithos', lines: ['once this step is done: set PITHOS_USE_QUOTAHOLDER = True in the pithos settings (/etc/synnefo)'] }],
    verifiedBy: 'alembic at 27381099d477; no email-shaped account; statistics consistent; then PITHOS_USE_QUOTAHOLDER = True is asked for (and checked by every later step)',
    module: withChecks(pithosMigrate({ usersStep: '2.2', duplicatesStep: '6.2' }), (ctx) => [quotaholderNow(ctx.config)]),
    promise: { check: accountsAreUuids({ usersStep: '2.2', duplicatesStep: '6.2' }) },
    answers: { unknown: parseKeepAccounts('6.2'), statistics: parseStatistics },
    migrates: ['pithos'],
    batchKnob: 'SNF_UPGRADE_PITHOS_BATCH',
  },
  {
    id: '7.1', phase: '7', kind: 'migrate', title: 'Pithos quota limits → astakos',
    why: 'Per-user storage limits move into astakos initial quotas.',
    needs: ['5', '6.4'],
    errata: ['user-set-initial-quota needs --from-file; as written in the guide it imports nothing.'],
    verifiedBy: 'every non-default pithos limit is an initial quota of the same user',
    module: quotaholderSoon(importPithosQuota({ usersStep: '2.2' })),
    answers: { file: parseQuotaFiles },
  },
  {
    id: '7.2', phase: '7', kind: 'migrate', title: 'Cyclades quota limits → astakos',
    why: 'Per-user VM and network limits move into astakos initial quotas.',
    needs: ['5', '6.3'],
    verifiedBy: 'every VMS_USER_QUOTA / NETWORKS_USER_QUOTA entry is an initial quota',
    module: quotaholderSoon(importCycladesQuota({ usersStep: '2.2' })),
    answers: { file: parseQuotaFiles },
  },
  {
    id: '8', phase: '8', kind: 'migrate', title: 'Enforce the new quota limits',
    why: 'The quotaholder learns each user\'s effective limits.',
    needs: ['7.1', '7.2'],
    errata: ['Only email-verified users are synced; upstream --verify is not read-only.'],
    verifiedBy: 'every verified user\'s holdings equal the computed effective limits',
    module: quotaholderSoon(syncQuota),
  },
  {
    id: '9.1', phase: '9', kind: 'migrate', title: 'Pithos usage',
    why: 'The quotaholder starts knowing nothing of current usage.',
    needs: ['8'],
    errata: ['The command is "pithos-usage --reset", not "pithos-reset-usage".'],
    verifiedBy: 'holdings equal the NORMAL-cluster sizes per account',
    module: quotaholderSoon(pithosUsageStep),
  },
  {
    id: '9.2', phase: '9', kind: 'migrate', title: 'Cyclades usage',
    why: 'VMs, CPUs, RAM, disk and private networks in use are sent to the quotaholder.',
    needs: ['8'],
    verifiedBy: 'holdings equal the counts of live VMs and networks per user',
    module: quotaholderSoon(cycladesUsageStep),
  },
  {
    id: '10', phase: '10', kind: 'manual', title: 'Install periodic project checks',
    why: 'Expired projects are only terminated by a periodic command.',
    needs: ['9.1', '9.2'],
    errata: ['The option is --check-expired, not --list-expired; even it syncs with the quotaholder.'],
    commands: [{ host: 'astakos', lines: [`echo "0 * * * * root ${PROJECT_CONTROL}" > /etc/cron.d/snf-project-control`] }],
    verifiedBy: 'the cron line in the astakos "cron" copy when one is configured (otherwise the operator confirms)',
    module: quotaholderSoon(withChecks(undefined, (ctx) => [cronCheck(ctx.config)])),
  },
  {
    id: '11', phase: '11', kind: 'manual', title: 'Restart all services',
    why: 'The upgrade is over; set PITHOS_USE_QUOTAHOLDER = True and bring everything up.',
    needs: ['10'],
    commands: [
      { host: 'astakos', lines: ['service gunicorn restart'] },
      { host: 'cyclades', lines: ['service gunicorn restart', 'service snf-dispatcher restart'] },
      { host: 'pithos', lines: ['service gunicorn restart'] },
    ],
    word: ['astakos reopened to the public (closed since step 4: firewall or web-server access control)', 'every service restarted on every host (the commands above)'],
    verifiedBy: 'closing checklist: the rewritten settings installed and PITHOS_USE_QUOTAHOLDER = True in the settings copies, the login RewriteRule gone (when an apache copy is configured) and snf-upgrade verify finding nothing — these block confirm; astakos reopened to the public and every service restarted: the operator\'s word',
    module: withChecks(undefined, (ctx) => closingChecks(ctx.config)),
    simulate: true,
    verifiesDeployment: true,
  },
];

/** The pithos quotaholder switch right after the pithos names became uuids: asked for, not yet blocking. */
function quotaholderNow(config: Parameters<typeof quotaholderOnCheck>[0]): ReturnType<typeof quotaholderOnCheck> {
  const c = quotaholderOnCheck(config, false);
  return c.ok ? c : { ...c, label: `${c.label}: set it now` };
}

/** A step between the pithos rewrite and the last one: also says whether the pithos quotaholder switch is on (never blocking here). */
function quotaholderSoon(module: StepModule | undefined): StepModule {
  return withChecks(module, (ctx) => [quotaholderOnCheck(ctx.config, false)]);
}

export function findStep(id: string): StepDef | undefined {
  return STEPS.find((s) => s.id === id);
}

export function stepIndex(id: string): number {
  return STEPS.findIndex((s) => s.id === id);
}

const onlyOne = (what: string, found: StepDef[]): StepDef => {
  if (found.length !== 1) throw new Error(`the runbook must have exactly one ${what}, not ${found.length}`);
  return found[0]!;
};

/** The step whose module backs up every database (phase backups reuse its context). */
export const backupStep = (): StepDef => onlyOne('step that backs up', STEPS.filter((s) => s.backsUp));

/** The step that moves SERVICE's schema from 0.12.5 to 0.13. */
export const migratingStep = (service: Service): StepDef => onlyOne(`step that migrates ${service}`, STEPS.filter((s) => s.migrates?.includes(service)));

/** The first step whose checks or changes read the settings folders. */
export const firstSettingsStep = (): StepDef => STEPS.find((s) => s.snippets)!;
