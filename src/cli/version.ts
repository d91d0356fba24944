import { readFileSync } from 'node:fs';

/** The package's version, read from package.json (two levels up from src/cli and dist/cli alike). */
export function toolVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}
