// The tfjs package of the project a file belongs to: its nearest package.json that names one.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { tfPackageOf } from '../codemods/tf-package.js';

/** Looks up each folder once; `stopAt` (the repository root) bounds the walk up. */
export class ProjectTfPackages {
  private readonly byFolder = new Map<string, string | undefined>();

  constructor(private readonly stopAt: string | undefined) {}

  of(filePath: string): string | undefined {
    return this.inFolder(dirname(filePath));
  }

  private inFolder(folder: string): string | undefined {
    if (this.byFolder.has(folder)) return this.byFolder.get(folder);
    let found = tfPackageOf(readManifest(join(folder, 'package.json')));
    const parent = dirname(folder);
    if (found === undefined && folder !== this.stopAt && parent !== folder) found = this.inFolder(parent);
    this.byFolder.set(folder, found);
    return found;
  }
}

function readManifest(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined; // none here, or not JSON: a build would fail on it long before us
  }
}
