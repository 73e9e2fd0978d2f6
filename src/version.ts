// The tool's version, read from package.json (one folder above this module both in src/ and
// in dist/), so it is written in one place.
import { readFileSync } from 'node:fs';

export const VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
