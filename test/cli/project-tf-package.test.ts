// A rewrite that needs `tf` in a file importing no tfjs package names the project's own package:
// the nearest package.json (up to the git root) that depends on one.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeRepo, removeTempDirs, runCli } from './helpers.js';
import { noTfImportSource as noTfImport } from '../helpers/no_tf_import_source.js';


const tfImportOf = (path: string) => readFileSync(path, 'utf8').split('\n').find((line) => line.includes('import * as tf'));

afterEach(removeTempDirs);

describe("the generated tf import names the project's package", () => {
  it('from the nearest package.json, per package of a monorepo', async () => {
    const repo = makeRepo({
      'package.json': JSON.stringify({ devDependencies: { '@tensorflow/tfjs-core': '^4' } }),
      'packages/node-app/package.json': JSON.stringify({ dependencies: { '@tensorflow/tfjs-node': '^4' } }),
      'packages/node-app/src/model.js': noTfImport,
      'packages/plain/package.json': JSON.stringify({ dependencies: { react: '^18' } }),
      'packages/plain/src/model.js': noTfImport,
    });
    const { code } = await runCli(repo, ['.']);
    expect(code).toBe(0);
    expect(tfImportOf(join(repo, 'packages/node-app/src/model.js'))).toBe("import * as tf from '@tensorflow/tfjs-node';");
    // No tfjs dependency in its own package.json: the one above it names tfjs-core.
    expect(tfImportOf(join(repo, 'packages/plain/src/model.js'))).toBe("import * as tf from '@tensorflow/tfjs-core';");
  });

  it('from the umbrella package when the project depends on @tensorflow/tfjs', async () => {
    const repo = makeRepo({ 'package.json': JSON.stringify({ dependencies: { '@tensorflow/tfjs': '^4' } }), 'src/model.js': noTfImport });
    expect((await runCli(repo, ['.'])).code).toBe(0);
    expect(tfImportOf(join(repo, 'src/model.js'))).toBe("import * as tf from '@tensorflow/tfjs';");
  });
});
