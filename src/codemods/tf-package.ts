// Which tfjs package a project depends on, for the generated `tf` import of a file that imports
// none. Imports nothing, so the CLI can ask it without loading the parser.

/** tfjs packages a project may depend on, the one to import from first. */
const TF_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node', '@tensorflow/tfjs', '@tensorflow/tfjs-core'];

/**
 * The tfjs package a package.json's dependencies name (dependencies, then peer, then dev
 * dependencies; a Node binding before the umbrella package before tfjs-core), or undefined.
 */
export function tfPackageOf(manifest: unknown): string | undefined {
  if (typeof manifest !== 'object' || manifest === null) return undefined;
  for (const field of ['dependencies', 'peerDependencies', 'devDependencies']) {
    const dependencies = (manifest as Record<string, unknown>)[field];
    if (typeof dependencies !== 'object' || dependencies === null) continue;
    const found = TF_PACKAGES.find((name) => Object.hasOwn(dependencies, name));
    if (found) return found;
  }
  return undefined;
}
