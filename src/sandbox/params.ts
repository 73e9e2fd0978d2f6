// Sandbox sizes. A scale is a number of (regular) astakos users; everything else in the
// three databases is proportional to it, plus a fixed set of hard cases at every scale.
import { UserError, EXIT } from '../errors.js';

export type ScaleName = 'tiny' | 'small' | 'medium' | 'large';
export type Scale = ScaleName | number;

export const SCALES: Record<ScaleName, number> = {
  tiny: 40,
  small: 1_000,
  medium: 10_000,
  large: 100_000,
};

export interface GenParams {
  /** Regular astakos users (hard-case users come on top). */
  users: number;
  seed: number;
  /** Ganeti backends in cyclades. */
  backends: number;
  /** Objects in the one very large container (the upstream merge/delete chokes on 10,000+). */
  bigContainer: number;
  /** Mean number of objects of a non-empty pithos account is about objScale / ln(objScale). */
  objScale: number;
  /** Probabilities of the proportional hard cases. */
  pTwin: number;
  pTriple: number;
  pCycVariant: number;
  pPithosVariant: number;
  orphans: number;
  uuidIdents: number;
  numericKeyOwners: number;
}

export function parseScale(text: string): Scale {
  if (text in SCALES) return text as ScaleName;
  if (/^[1-9][0-9]*$/.test(text)) return Number(text);
  throw new UserError(`unknown scale "${text}"`,
    'use tiny, small, medium, large or a number of users (e.g. --scale 5000)', EXIT.usage);
}

export function usersOf(scale: Scale): number {
  return typeof scale === 'number' ? scale : SCALES[scale];
}

export function genParams(scale: Scale, seed = 1): GenParams {
  const users = usersOf(scale);
  if (!Number.isInteger(users) || users < 10 || users > 5_000_000) {
    throw new UserError(`scale ${users} is out of range`, 'use between 10 and 5000000 users', EXIT.usage);
  }
  if (!Number.isInteger(seed) || seed < 0 || seed > 2_147_483_647) {
    throw new UserError(`seed ${seed} is out of range`, 'use a whole number between 0 and 2147483647', EXIT.usage);
  }
  return {
    users,
    seed,
    backends: users < 500 ? 2 : users < 20_000 ? 3 : 5,
    bigContainer: users < 500 ? 150 : users < 5_000 ? 1_500 : users < 50_000 ? 5_000 : 12_000,
    objScale: 90,
    pTwin: 0.01,
    pTriple: 0.0008,
    pCycVariant: 0.004,
    pPithosVariant: 0.004,
    orphans: Math.max(2, Math.round(users * 0.004)),
    uuidIdents: Math.max(1, Math.round(users * 0.001)),
    numericKeyOwners: Math.max(3, Math.round(users / 5_000)),
  };
}
