// Steps 3.3–3.6 performed on a sandbox: the settings snippets an operator would paste,
// appended to the sandbox's settings folders (a later assignment wins, as in Python).
import { appendFileSync, existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { openDb, type Service } from '../db/connection.js';
import { EXIT, UserError } from '../errors.js';
import { generateToken, settingsSnippets, snippetOptionsFrom } from '../runbook/settings-checks.js';

export type SettingsStep = '3.3' | '3.4' | '3.5' | '3.6';

/** A service's token from astakos' im_service (what `snf-manage service-list` shows). */
async function serviceToken(astakosUrl: string, names: string[]): Promise<string> {
  const db = await openDb('astakos', astakosUrl);
  try {
    const r = await db.pool.query<{ auth_token: string | null }>(
      'SELECT auth_token FROM im_service WHERE name = ANY($1) ORDER BY id LIMIT 1', [names]);
    return r.rows[0]?.auth_token ?? '';
  } finally {
    await db.close();
  }
}

export async function simulateSettingsStep(step: SettingsStep, urls: Record<Service, string>,
  dirs: Partial<Record<Service, string>>, log: (line: string) => void): Promise<string[]> {
  for (const s of ['astakos', 'cyclades', 'pithos'] as const) {
    if (!dirs[s] || !existsSync(dirs[s]!)) {
      throw new UserError(`the sandbox has no ${s} settings folder`, 'use the config file written by "sandbox create"', EXIT.usage);
    }
  }
  const token = step === '3.3' ? generateToken()
    : step === '3.5' ? await serviceToken(urls.astakos, ['cyclades'])
    : step === '3.6' ? await serviceToken(urls.astakos, ['pithos+', 'pithos'])
    : '';
  const options = snippetOptionsFrom(dirs);
  // The sandbox runs no memcached: VMAPI points at the embedded database's host, where the
  // reachability check says what it can and cannot see.
  const done: string[] = [];
  for (const snippet of settingsSnippets(step, token, options)) {
    const file = join(dirs[snippet.host as Service]!, basename(snippet.file));
    appendFileSync(file, `\n# added for step ${step} (snf-upgrade sandbox simulate)\n${snippet.lines.join('\n')}\n`, { mode: 0o644 });
    const line = `${snippet.host}: ${snippet.lines.filter((l) => l && !l.startsWith('#')).length} setting(s) written to ${basename(file)}`;
    done.push(line);
    log(line);
  }
  return done;
}
