// What removing the duplicate astakos users promises the steps after it: no two astakos
// users whose emails differ only in case, as long as the astakos schema is 0.12.5 (once
// migrated, 0.13's unique username = lower(email) keeps it). A user registered since
// would stop migration 0016 half-way.
import { detectSchema } from '../../db/detect.js';
import type { StepPromise } from '../step.js';
import { astakosCollisions } from './inspect.js';

const SHOWN = 3;

export const noDuplicateUsers: StepPromise = {
  async broken(ctx) {
    const pool = (await ctx.db('astakos')).pool;
    if ((await detectSchema(pool, 'astakos')).kind !== '0.12.5') return undefined;
    const groups = await astakosCollisions(pool);
    if (!groups.length) return undefined;
    return {
      what: `${groups.length} ${groups.length === 1 ? 'group' : 'groups'} of astakos users whose emails differ only in case`,
      examples: groups.slice(0, SHOWN).map((g) => g.ids.map((id, i) => `#${id} ${g.emails[i]}`).join(', ')),
      complete: groups.length <= SHOWN,
      fix: 'deletes all but one user of each group once its survivor is decided',
    };
  },
};
