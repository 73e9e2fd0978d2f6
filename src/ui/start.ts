// Placeholder until the Ink wizard lands: the status view.
import type { Config } from '../config.js';

export async function startWizard(config: Config, _opts: { takeOver?: boolean }): Promise<number> {
  const { main } = await import('../cli/main.js');
  return main(['status', ...(config.file ? ['--config', config.file] : [])]);
}
