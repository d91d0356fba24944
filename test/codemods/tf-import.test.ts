/**
 * Which package a generated `tf` import names: the tfjs package the file already uses (fixtures
 * tf-package-*), else the project's (the `tfPackage` option, read from package.json by
 * tfPackageOf), else '@tensorflow/tfjs-core'.
 */
import { describe, expect, it } from 'vitest';
import { legacyToBlocked, migrateSource, parserFor, tfPackageOf } from 'rnn-migrate/codemods';
import jscodeshift from 'jscodeshift';
import { noTfImportSource as noTfImport } from '../helpers/no_tf_import_source.js';


const importLine = (output: string) => output.split('\n').find((line) => line.includes('import * as tf'));

describe('the package of a generated tf import', () => {
  it('is tfjs-core for a file and project that name none', () => {
    expect(importLine(migrateSource(noTfImport, 'a.js').output)).toBe("import * as tf from '@tensorflow/tfjs-core';");
  });

  it("is the project's package when the file imports none", () => {
    const { output } = migrateSource(noTfImport, 'a.js', { tfPackage: '@tensorflow/tfjs-node' });
    expect(importLine(output)).toBe("import * as tf from '@tensorflow/tfjs-node';");
  });

  it("is the file's own package even when the project names another", () => {
    const source = `import { tensor } from '@tensorflow/tfjs';\n${noTfImport}`;
    expect(importLine(migrateSource(source, 'a.js', { tfPackage: '@tensorflow/tfjs-node' }).output)).toBe("import * as tf from '@tensorflow/tfjs';");
  });

  it('reaches jscodeshift runs through the transform option', () => {
    const j = jscodeshift.withParser(parserFor('a.js'));
    const output = legacyToBlocked({ path: 'a.js', source: noTfImport }, { j, jscodeshift: j, stats: () => {}, report: () => {} } as never, { tfPackage: '@tensorflow/tfjs' });
    expect(importLine(output ?? '')).toBe("import * as tf from '@tensorflow/tfjs';");
  });
});

describe('tfPackageOf', () => {
  const cases: Array<[string, unknown, string | undefined]> = [
    ['no manifest', undefined, undefined],
    ['no tfjs dependency', { dependencies: { react: '^18' } }, undefined],
    ['the umbrella package', { dependencies: { '@tensorflow/tfjs': '^4' } }, '@tensorflow/tfjs'],
    ['a Node binding before the umbrella package', { dependencies: { '@tensorflow/tfjs': '^4', '@tensorflow/tfjs-node': '^4' } }, '@tensorflow/tfjs-node'],
    ['the GPU binding first', { dependencies: { '@tensorflow/tfjs-node': '^4', '@tensorflow/tfjs-node-gpu': '^4' } }, '@tensorflow/tfjs-node-gpu'],
    ['dependencies before devDependencies', { dependencies: { '@tensorflow/tfjs-core': '^4' }, devDependencies: { '@tensorflow/tfjs-node': '^4' } }, '@tensorflow/tfjs-core'],
    ['a peer dependency', { peerDependencies: { '@tensorflow/tfjs-core': '^4' } }, '@tensorflow/tfjs-core'],
    ['a malformed dependencies field', { dependencies: 'tfjs' }, undefined],
  ];
  for (const [name, manifest, expected] of cases) it(name, () => expect(tfPackageOf(manifest)).toBe(expected));
});
