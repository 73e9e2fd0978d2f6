// The shapes of steps 6.2 and 6.4 (findings data, plan data, decisions), as `plan --json`
// prints them and the state file stores them.
import type { Decision, DecisionSource, SetDecision } from '../../step.js';

/** What one exact account name holds in pithos. */
export interface AccountHoldings {
  /** The account node's path, exactly. */
  name: string;
  /** Child nodes of the account node. */
  containers: number;
  /** Live objects (latest version in cluster 0). */
  objects: number;
  /** Bytes of those live versions, as a decimal string. */
  bytes: string;
  /** Distinct group names the account owns. */
  groups: number;
  /** Permission entries on the account's paths that grant someone else access. */
  permissions: number;
  /** 'known': astakos has a user whose email is exactly this name; 'unknown': no such user (it may still resolve case-insensitively, see uuid). */
  astakos: 'known' | 'unknown';
  /** The astakos uuid the name resolves to (lower(name) = username), if any. */
  uuid?: string;
  /** Every node of the account's subtree (account, containers, objects live or not). */
  nodes: number;
  /** Every version row in the subtree (history and deletion markers included). */
  versions: number;
  /** The account's explicit quota (policy 'quota', bytes as a decimal string, '0' unlimited); absent: the PITHOS_BACKEND_QUOTA default. */
  quota?: string;
}

export interface DuplicateAccountSet {
  /** Python lower() of the members: the set's name in decisions and answers. */
  key: string;
  /** Ordered by UTF-16 code units. */
  accounts: AccountHoldings[];
  /** Only a suggestion: applied when the operator accepts suggestions. */
  suggested: { action: 'merge'; into: string };
  reasons: string[];
}

/** Rows that would collide in 6.4 without being account duplicates: case variants of one user. */
export interface MemberCaseFindings {
  /** groups rows that differ only by the case of owner or member: (owner, name, members…) examples. */
  groups: { rows: number; examples: { owner: string; name: string; members: string[] }[] };
  /** xfeaturevals rows of one permission that name one user in several spellings. */
  permissions: { rows: number; examples: { path: string; key: number; values: string[] }[] };
  /** xfeatures / public rows whose paths differ only by the spelling of the account part, outside duplicate accounts. */
  paths: { rows: number; examples: string[][] };
}

/** Step 6.2's findings.data. */
export interface PithosDuplicatesFindings {
  sets: DuplicateAccountSet[];
  /** Account names astakos cannot resolve (neither a username in any case nor one of its uuids): they would stay as they are in 6.4. */
  unknown: string[];
  memberCase: MemberCaseFindings;
  /** Subtree sizes of the unknown accounts (what deleting one of them removes). */
  unknownSizes: Record<string, { nodes: number; versions: number }>;
  /** Whether alembic is below 3dd56e750a3 (nodes.latest_version is repaired before merges). */
  latestRepair: boolean;
}

/** A set decision of step 6.2, stored under its set key: the members are accounts. */
export type AccountSetDecision = SetDecision;

/** A 6.2 decision about an account astakos does not know, stored under 'unknown:<name>'. */
export type UnknownAccountDecision = 'keep' | 'delete';

export interface PlannedSet {
  key: string;
  /** Accounts deleted, in order. */
  delete: string[];
  /** Accounts merged into `into`, in order. */
  merge: string[];
  into?: string;
  source: DecisionSource;
  /** The survivor takes the largest explicit quota of the merged accounts ("larger"); otherwise it keeps its own, as 0.12 applied it. */
  takeQuota?: boolean;
}

/** A merge that would give the survivor another quota than 0.12 applied to it: a decision of the step (QuotaQuestion id: the set key). */
export interface QuotaQuestion {
  id: string;
  into: string;
  /** Each account's explicit quota, or null for the default. */
  quotas: { name: string; quota: string | null }[];
  outcomes: { 'as-0.12': string | null; larger: string | null };
}

export interface PithosDuplicatesPlanData {
  sets: PlannedSet[];
  /** Unknown accounts decided 'delete'. */
  deleteUnknown: string[];
  /** Unknown accounts the operator keeps under their names. */
  keepUnknown: string[];
  open: string[];
  memberCaseRows: number;
  /** How each merge that would change the survivor's quota from 0.12's is settled (QuotaQuestion ids). */
  quotas?: { id: string; choice: 'as-0.12' | 'larger'; source: DecisionSource }[];
}

/** Where the alembic chain of a pithos database stands, from its rows and its schema. */
export interface RevisionState {
  /** alembic_version exists. */
  table: boolean;
  rows: string[];
  /** public.url exists. */
  urlColumn: boolean;
  /** A unique index or constraint idx_public_url exists. */
  urlUnique: boolean;
  /** Whether the 3dd56e750a3 latest_version repair must run (alembic below it). */
  latestRepair: boolean;
  /** Why the chain cannot be run, if it cannot. */
  refusal?: string;
}

export interface CollisionReport {
  table: string;
  /** Groups of old values that would become one. */
  groups: number;
  examples: string[][];
}

/** Step 6.4's findings.data. */
export interface PithosMigrateFindings {
  revision: RevisionState;
  names: {
    /** Distinct names upstream would look up (every source). */
    distinct: number;
    /** Of them, resolved to an astakos uuid. */
    resolved: number;
    /** Account names left as they are (not resolvable), with whether the operator chose to keep them. */
    unknownAccounts: string[];
    /** Unresolvable names outside account nodes (musers, grants, group members): left as they are, like upstream. */
    unknownOther: number;
    unknownOtherSample: string[];
  };
  /** Rows each rewrite will change. */
  rows: { nodes: number; versions: number; public: number; xfeatures: number; xfeaturevals: number; groups: number };
  collisions: CollisionReport[];
  negativePopulation: number;
  latestVersionBroken: number;
  publicWithoutUrl: number;
  publicInactive: number;
  /** statistics rows whose size (or population) differs from what the tree holds. */
  statisticsDrift: { size: number; population: number };
  maxNode: number;
  maxSerial: number;
  maxPublicId: number;
  maxFeatureId: number;
}

export interface PithosMigratePlanData {
  revision: RevisionState;
  rows: PithosMigrateFindings['rows'];
  recomputeStatistics: boolean;
  keepUnknown: string[];
  maxNode: number;
  maxSerial: number;
  maxPublicId: number;
  maxFeatureId: number;
  publicWithoutUrl: number;
}

/** Step 6.4's findings.data as inspect reads it: what `plan --json` prints, and what the plan needs besides. */
export interface PithosMigrateInspection extends PithosMigrateFindings {
  /** Whether the mapping table of an earlier attempt exists, and the pairs astakos now gives that it lacks. */
  map: { persistent: boolean; newPairs: number };
  /** Step 6.2's decisions about the unknown accounts (keep or delete), by 'unknown:<name>'. */
  decidedInDuplicates: Record<string, Decision>;
  /** Whether this is a run of the step (collisions then stop it), not a look at its plan. */
  running: boolean;
}

/** Step 6.4's plan.data. */
export interface PithosMigratePlan extends PithosMigratePlanData {
  map: PithosMigrateInspection['map'];
  blockers: string[];
}
