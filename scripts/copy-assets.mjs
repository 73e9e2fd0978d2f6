// Copies the non-TypeScript files the tool reads at run time (SQL schemas) into dist/.
import { cpSync, existsSync } from 'node:fs';

for (const dir of ['db/schema']) {
  if (existsSync(`src/${dir}`)) cpSync(`src/${dir}`, `dist/${dir}`, { recursive: true });
}
