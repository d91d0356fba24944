// The text prefilter may only say "certainly no legacy use" where the analysis agrees: every
// fixture and corpus program the analysis (run without the prefilter) reports on passes it. When
// the analysis learns a new legacy pattern, this fails until the prefilter knows its text.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeFile } from '../../src/codemods/analysis/index.js';
import { legacyMarkers, mayUseLegacy } from '../../src/codemods/prefilter.js';

const root = join(import.meta.dirname, '../..');
const sources = ['fixtures/codemods', 'fixtures/corpus'].flatMap((folder) =>
  readdirSync(join(root, folder), { recursive: true, encoding: 'utf8' })
    .filter((name) => /\.(?:[cm]?[jt]s|[jt]sx)$/.test(name) && !name.includes('.output.'))
    .map((name) => join(folder, name)),
);

describe('mayUseLegacy', () => {
  it('passes every source the analysis reports on', () => {
    let reported = 0;
    for (const path of sources) {
      const source = readFileSync(join(root, path), 'utf8');
      let findings: unknown[];
      try {
        findings = analyzeFile(source, path);
      } catch {
        continue; // a deliberately broken fixture
      }
      if (findings.length === 0) continue;
      reported++;
      expect(mayUseLegacy(source), path).toBe(true);
    }
    expect(reported).toBeGreaterThan(10);
  });

  it('holds only ASCII markers (the CLI searches skipped files byte-wise)', () => {
    for (const marker of legacyMarkers) expect(marker).toMatch(/^[\x20-\x7e]+$/);
    expect(mayUseLegacy("import { LSTM } from 'rnn-migrate';")).toBe(false);
  });
});
