// Step 5's comparison of the new default limits with the 0.12 ones in force (cyclades
// MAX_VMS_PER_USER / MAX_NETWORKS_PER_USER, PITHOS_BACKEND_QUOTA): when a default goes down,
// how many email-verified users on the default (no per-user limit that steps 7.1 / 7.2 carry
// over) would lose headroom — their 0.12 limit or their current usage exceeds the new
// default — and how many already use more than it. For the resources 0.12 did not limit
// (cpu, ram, disk), how many users already use more than the new default.
import { stepUuidMap, type UuidMap } from '../remap/uuids.js';
import type { StepContext } from '../step.js';
import { plural } from './common.js';
import { RESOURCES_012, pithosLimit012, verifiedUsers } from './effective.js';
import { exportCyclades, exportPithos } from './initial.js';
import { fmtLimit, QH_INF } from './numbers.js';
import { cycladesLimit012, readBaseline, type Baseline, type Scalar } from './settings.js';
import { cycladesUsage, pithosQuotas, pithosUsage, type OwnerUsage } from './sources.js';

export interface HeadroomRow {
  resource: string;
  newDefault: string;
  /** The 0.12 default, for the three resources 0.12 limited. */
  oldDefault?: string;
  oldSource?: string;
  /** Verified users whose limit will be the new default. */
  onDefault: number;
  /** Of those, users whose 0.12 limit or current usage exceeds the new default. */
  loseHeadroom: number;
  /** Of those, users whose current usage already exceeds the new default. */
  overNewDefault: number;
  lowered: boolean;
}

export interface Headroom {
  verified: number;
  rows: HeadroomRow[];
  /** Warning lines (also logged by apply). */
  warnings: string[];
  notes: string[];
}

const OLD_NAME: Record<string, string> = {
  'cyclades.vm': 'MAX_VMS_PER_USER',
  'cyclades.network.private': 'MAX_NETWORKS_PER_USER',
  'pithos+.diskspace': 'PITHOS_BACKEND_QUOTA',
};

function oldDefault(b: Baseline, resource: string): Scalar | undefined {
  if (resource === 'cyclades.vm') return b.cyclades.maxVms;
  if (resource === 'cyclades.network.private') return b.cyclades.maxNetworks;
  if (resource === 'pithos+.diskspace') return b.pithos;
  return undefined;
}

const norm = (v: bigint): bigint => (v >= QH_INF ? QH_INF : v);

/** uuid → resource → usage, from a service's usage stream (owners mapped as steps 6.3 / 6.4 map them). */
async function usageByUser(stream: AsyncGenerator<OwnerUsage[]>, uuids: UuidMap): Promise<Map<string, Map<string, bigint>>> {
  const out = new Map<string, Map<string, bigint>>();
  for await (const rows of stream) {
    for (const o of rows) {
      const uuid = uuids.isUuid(o.owner) ? o.owner : o.owner.includes('@') ? uuids.lookup(o.owner) : undefined;
      if (!uuid) continue;
      let m = out.get(uuid);
      if (!m) out.set(uuid, (m = new Map()));
      for (const [r, v] of o.usage) m.set(r, (m.get(r) ?? 0n) + v);
    }
  }
  return out;
}

/** USERSSTEP is the step that removed duplicate astakos users (its merges resolve names too). */
export async function headroom(ctx: StepContext, newDefaults: Map<string, bigint>, usersStep: string): Promise<Headroom> {
  const astakos = await ctx.db('astakos');
  const uuids = await stepUuidMap(ctx, usersStep);
  const baseline = readBaseline(ctx.config);
  const notes: string[] = [];
  // what steps 7.1 / 7.2 will carry over as per-user limits
  const overrides = new Set<string>();
  const cyc = exportCyclades(ctx, uuids);
  for (const e of cyc.entries) overrides.add(`${e.uuid} ${e.resource}`);
  if (cyc.blocking.length) notes.push(`per-user cyclades limits unknown: ${cyc.blocking.join('; ')}`);
  let pithosUse = new Map<string, Map<string, bigint>>();
  let cycladesUse = new Map<string, Map<string, bigint>>();
  const policies = new Map<string, string>();
  let pithosOk = true;
  try {
    const pithos = await ctx.db('pithos');
    for (const e of (await exportPithos(ctx, uuids)).entries) overrides.add(`${e.uuid} ${e.resource}`);
    for await (const rows of pithosQuotas(pithos.pool)) for (const r of rows) policies.set(r.path, r.value);
    pithosUse = await usageByUser(pithosUsage(pithos.pool), uuids);
  } catch (err) {
    pithosOk = false;
    notes.push(`pithos not compared: ${(err as Error).message}`);
  }
  try {
    cycladesUse = await usageByUser(cycladesUsage((await ctx.db('cyclades')).pool), uuids);
  } catch (err) {
    notes.push(`cyclades usage not read: ${(err as Error).message}`);
  }

  const rows = new Map<string, HeadroomRow>();
  for (const [resource, nd] of newDefaults) {
    const old = oldDefault(baseline, resource);
    if (resource === 'pithos+.diskspace' && !pithosOk) continue;
    rows.set(resource, {
      resource, newDefault: nd.toString(), onDefault: 0, loseHeadroom: 0, overNewDefault: 0,
      lowered: old !== undefined && norm(nd) < norm(old.value),
      ...(old ? { oldDefault: old.value.toString(), oldSource: old.source } : {}),
    });
  }
  let verified = 0;
  for await (const users of verifiedUsers(astakos.pool, 1000)) {
    verified += users.length;
    for (const u of users) {
      for (const row of rows.values()) {
        const r = row.resource;
        if (overrides.has(`${u.uuid} ${r}`)) continue;
        const nd = BigInt(row.newDefault);
        const usage = (r.startsWith('pithos+.') ? pithosUse : cycladesUse).get(u.uuid)?.get(r) ?? 0n;
        row.onDefault++;
        if (usage > nd) row.overNewDefault++;
        if (!(RESOURCES_012 as readonly string[]).includes(r)) continue;
        const before = r === 'pithos+.diskspace'
          ? pithosLimit012(policies.get(u.uuid) ?? policies.get(u.email), baseline.pithos.value)
          : cycladesLimit012(baseline, r, u);
        if ((before !== undefined && norm(before) > norm(nd)) || usage > nd) row.loseHeadroom++;
      }
    }
  }

  const warnings: string[] = [];
  for (const row of rows.values()) {
    const r = row.resource;
    const nd = fmtLimit(r, BigInt(row.newDefault));
    if (row.oldDefault !== undefined) {
      const od = fmtLimit(r, BigInt(row.oldDefault));
      if (row.lowered) {
        warnings.push(`${r}: the new default limit ${nd} is lower than 0.12's ${OLD_NAME[r]} ${od} (${row.oldSource}): `
          + `${row.loseHeadroom} of the ${plural(row.onDefault, 'email-verified user')} on the default would lose headroom `
          + `(${row.overNewDefault} of them already use more than ${nd})`);
      } else if (row.overNewDefault) {
        warnings.push(`${r}: ${row.overNewDefault} of the ${plural(row.onDefault, 'email-verified user')} on the default already use more than the new default ${nd}`);
      } else {
        notes.push(`${r}: the new default ${nd} is not lower than 0.12's ${OLD_NAME[r]} ${od}`);
      }
    } else if (row.overNewDefault) {
      warnings.push(`${r} (no limit in 0.12): ${row.overNewDefault} of the ${plural(row.onDefault, 'email-verified user')} on the default already use more than the new default ${nd}`);
    }
  }
  return { verified, rows: [...rows.values()], warnings, notes };
}
