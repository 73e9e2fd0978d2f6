// The shapes of steps 2.1 and 2.2 (findings data, plan data), as the wizard's conflict table
// and `plan --json` show them.
import type { CascadeReach } from '../cascade.js';
import type { DecisionSource } from '../step.js';

export interface CycladesOwned {
  /** db_virtualmachine rows with userid = the email exactly and deleted = false. */
  vms_live: number;
  /** db_virtualmachine rows with userid = the email exactly and deleted = true. */
  vms_deleted: number;
  /** db_network rows with userid = the email exactly (deleted ones included, as upstream counts them). */
  networks: number;
  /** userdata_publickeypair rows with "user" = the email exactly. */
  keys: number;
}

export interface PithosOwned {
  /** Child nodes of the account node whose path = the email exactly. */
  containers: number;
  /** Live objects (latest version in cluster 0) in those containers. */
  objects: number;
  /** Sum of the sizes of those live versions, as a decimal string (bigint). */
  bytes: string;
  /** Distinct group names the account owns. */
  groups: number;
  /** xfeaturevals entries on the account's paths that grant access to someone else. */
  permissions: number;
}

export interface DuplicateUser {
  id: number;
  /** auth_user.email exactly as stored. */
  email: string;
  username: string;
  is_active: boolean;
  email_verified: boolean;
  /** ISO-8601 UTC. */
  date_joined: string;
  last_login: string | null;
  /** Authentication modules (0.12.5: the provider column, '' counted as 'local', as 0016 does). */
  providers: string[];
  /** im_invitation rows this user sent (deleted with the user). */
  invitations: number;
  /** im_additionalmail rows of this user (deleted with the user). */
  additional_mails: number;
  cyclades: CycladesOwned;
  pithos: PithosOwned;
}

export interface DuplicateGroup {
  /** The lowercased email (Python lower(), what 0.13 stores as username); the smallest one if the members differ. */
  key: string;
  /** Ordered by id. */
  users: DuplicateUser[];
  /** Suggested survivor (a user id of this group); only a suggestion, never applied silently. */
  suggested: number;
  reasons: string[];
}

export interface DedupFindings {
  groups: DuplicateGroup[];
  /** Ids of astakos users with no email (empty or only whitespace): never grouped, listed as a finding. */
  noEmail?: number[];
  /** Case-variant identifiers in one service whose key has no duplicate group in astakos (for 6.1 / 6.2). */
  serviceOnly: { cyclades: string[][]; pithos: string[][] };
}

/** Step 2.2's findings.data: 2.1's, and which rows deleting each user of a group takes along. */
export interface RemoveFindings extends DedupFindings {
  /** Per astakos table (parents first): rows reached from each set of the groups' users. */
  reach: CascadeReach<number>;
}

/** Who survives in one group, and who goes. */
export interface GroupDecision {
  key: string;
  survivor: number;
  survivorEmail: string;
  source: DecisionSource;
  deleted: { id: number; email: string }[];
}

/** Step 2.2's plan.data. */
export interface DedupPlanData {
  decisions: GroupDecision[];
  /** Every user id to delete, ascending. */
  deleteIds: number[];
}
