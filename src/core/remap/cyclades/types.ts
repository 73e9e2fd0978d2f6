// The shapes of steps 6.1 and 6.3 (findings data, decisions), as `plan --json` prints them
// and the state file stores them.

/** What one exact owner identifier owns in cyclades (deleted VMs and networks included). */
export interface Owned {
  /** db_virtualmachine rows with deleted = false. */
  vms_live: number;
  /** db_virtualmachine rows with deleted = true. */
  vms_deleted: number;
  /** db_network rows (deleted ones included, as upstream counts them). */
  networks: number;
  /** userdata_publickeypair rows. */
  keys: number;
}

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
}

/** A duplicate-owners set decision, stored under state.setDecision(<that step>, <set key>, …). */
export interface SetDecision {
  action: 'merge' | 'delete';
  /** merge: the identifier every other member becomes; delete: where the members left over go (if more than one is left). */
  into?: string;
  /** delete: the identifiers whose rows are deleted (exact). */
  delete?: string[];
}

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
