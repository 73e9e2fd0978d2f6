// The shapes of steps 6.1 and 6.3 (findings data, plan data, decisions), as `plan --json` prints them
// and the state file stores them.

import type { CycladesOwned } from '../../dedup/types.js';
import type { LimitQuestion } from './settings.js';
import type { CascadeReach } from '../../cascade.js';
import type { DecisionSource, SetDecision as OneSetDecision } from '../../step.js';

/** What one exact owner identifier owns in cyclades (deleted VMs and networks included): the same counts as step 2's. */
export type Owned = CycladesOwned;

export interface SetMember extends Owned {
  /** The identifier exactly as stored. */
  id: string;
  /** Whether astakos resolves it (lower(identifier) is a username) or it is an astakos uuid. */
  astakos: 'known' | 'unknown';
}

export interface DuplicateSet {
  /** Python lower() of the members (all equal): the set's name in decisions and answers. */
  key: string;
  /** Ordered by UTF-16 code units. */
  identifiers: SetMember[];
  /** Only a suggestion: applied when the operator accepts suggestions. */
  suggested: { action: 'merge'; into: string };
  reasons: string[];
}

/** Step 6.1's findings.data. */
export interface DuplicatesFindings {
  sets: DuplicateSet[];
  /** Identifiers without "@" that are not astakos uuids (legacy numeric key owners, junk). */
  notEmail: string[];
  /** Identifiers astakos cannot resolve (neither an email it knows nor one of its uuids). */
  unknown: string[];
  /** Per cyclades table (parents first): rows reached from each set of the members (what deleting them removes). */
  reach: CascadeReach<string>;
}

/** A decision of step 6.1, stored under its set key: the members are owner identifiers. */
export type SetDecision = OneSetDecision;

export type UnknownKind = 'email' | 'numeric' | 'uuid' | 'other';

export interface UnknownIdentifier extends Owned {
  id: string;
  /** email: has "@"; numeric: a legacy integer user id (userdata before 0003); uuid: uuid-shaped but not in astakos. */
  kind: UnknownKind;
  suggested: UnknownAction;
  reason: string;
}

/** 'delete' | 'keep' | an astakos uuid (map by hand). */
export type UnknownAction = string;

export interface TableCounts {
  db_virtualmachine: number;
  db_network: number;
  userdata_publickeypair: number;
}

export interface SettingsKeyChange {
  setting: string;
  /** The key as written, or keys when case duplicates collapse. */
  from: string[];
  /** The new key, or null when the entry is dropped. */
  to: string | null;
  /** The value kept (Python source), when case duplicates collapse. */
  value?: string;
  note?: string;
}

export interface SettingsFileRewrite {
  file: string;
  /** Where the new text is (to be) written. */
  target: string;
  diff: string;
}

export interface SettingsRewrite {
  dir: string;
  files: SettingsFileRewrite[];
  changes: SettingsKeyChange[];
  /** Keys astakos does not know (and no 6.3 decision covers), and other problems. */
  problems: string[];
  /** Per-user limits 0.13 would apply otherwise than 0.12: each a decision of the step. */
  limits: LimitQuestion[];
}

/** Step 6.3's findings.data. */
export interface MigrateFindings {
  /** Distinct email identifiers astakos resolves, and the rows that will be rewritten. */
  mapped: { identifiers: number; rows: TableCounts };
  /** Distinct identifiers that already are astakos uuids (left alone). */
  alreadyUuid: number;
  unknown: UnknownIdentifier[];
  settings?: SettingsRewrite;
}

/** Step 6.1's plan.data. */
export interface DuplicatesPlanData {
  sets: { key: string; action: 'merge' | 'delete'; into?: string; delete?: string[]; source: DecisionSource;
    /** What the deleted identifiers own. */
    deletes?: { vms_live: number; vms_deleted: number; networks: number; keys: number } }[];
  open: string[];
}

/** Step 6.3's findings.data as inspect reads it: what `plan --json` prints, and what the plan needs besides. */
export interface MigrateInspection extends MigrateFindings {
  /** Per cyclades table (parents first): rows reached from each set of the unknown identifiers (what deleting them removes). */
  reach: CascadeReach<string>;
  /** The astakos uuids among those the stored decisions and the answers file map identifiers to by hand. */
  handUuids: string[];
}

/** Step 6.3's plan.data. */
export interface MigratePlanData {
  decisions: { id: string; action: UnknownAction; source: DecisionSource }[];
  open: string[];
  /** How each per-user limit 0.13 would apply otherwise than 0.12 is settled (LimitQuestion ids). */
  limits?: { id: string; choice: 'as-0.12' | 'larger'; source: DecisionSource }[];
}
