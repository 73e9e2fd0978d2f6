// Each service's database as the home screen and `status` show it: where, which schema release,
// which other services share it, or why it cannot be reached.
import { servicesSharing, type Config } from '../config.js';
import { DatabaseInUse, redactUrl, SERVICES, type Db, type Service } from '../db/connection.js';
import { describeVersion, detectSchema } from '../db/detect.js';
import { UserError } from '../errors.js';
import { scrubSecrets } from '../secrets.js';
import type { DeploymentInfo } from './types.js';

export async function deploymentInfo(config: Config, db: (service: Service) => Promise<Db>): Promise<DeploymentInfo[]> {
  const out: DeploymentInfo[] = [];
  for (const service of SERVICES) {
    const url = config[service].db;
    if (!url) { out.push({ service, label: '(not configured)', version: '?', error: 'not configured' }); continue; }
    const others = servicesSharing(config, service).filter((s) => s !== service);
    const shared = others.length ? { sharedWith: others } : {};
    try {
      const opened = await db(service);
      out.push({ service, label: opened.label, version: describeVersion(service, await detectSchema(opened.pool, service)), ...shared });
    } catch (err) {
      out.push({ service, label: redactUrl(url), version: '?', error: err instanceof UserError ? err.message : scrubSecrets(String(err)),
        ...(err instanceof DatabaseInUse ? {} : { errorCode: err instanceof UserError ? err.exitCode : 1 }), ...shared });
    }
  }
  return out;
}
