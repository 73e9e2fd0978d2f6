// The operator ran syncdb + migrate; check that it really happened.
import type { Check, StepModule } from '../step.js';
import type { Service } from '../../db/connection.js';
import { describeVersion, detectSchema } from '../../db/detect.js';

/** The module of a manual migrate step: SERVICES are at 0.13 and every astakos user has a uuid. */
export const migrationsDone = (services: readonly Service[]): StepModule => ({
  async verify(ctx) {
    const checks: Check[] = [];
    for (const service of services) {
      const db = await ctx.db(service);
      const v = await detectSchema(db.pool, service);
      checks.push({ label: `${service} at 0.13`, ok: v.kind === '0.13', detail: `${db.label}: ${describeVersion(service, v)}` });
    }
    const astakos = await ctx.db('astakos');
    const hasUuid = await astakos.pool.query(
      `SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'im_astakosuser' AND column_name = 'uuid'`);
    if (hasUuid.rowCount === 0) {
      checks.push({ label: 'every astakos user has a unique uuid', ok: false, detail: 'im_astakosuser has no uuid column yet' });
    } else {
      const r = await astakos.pool.query<{ missing: string; dup: string }>(
        `SELECT (SELECT count(*) FROM im_astakosuser WHERE uuid IS NULL OR uuid = '') AS missing,
                (SELECT count(*) FROM (SELECT uuid FROM im_astakosuser WHERE uuid IS NOT NULL GROUP BY uuid HAVING count(*) > 1) d) AS dup`);
      const { missing, dup } = r.rows[0]!;
      checks.push({
        label: 'every astakos user has a unique uuid', ok: missing === '0' && dup === '0',
        detail: missing === '0' && dup === '0' ? 'yes' : `${missing} without uuid, ${dup} uuid(s) shared`,
      });
    }
    return checks;
  },
});
