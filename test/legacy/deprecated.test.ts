/**
 * Recur, its factories and reset(model) carry @deprecated JSDoc naming the blocked equivalent, so
 * editors strike them through and typescript-eslint's no-deprecated flags legacy use unprompted.
 * Read through the TypeScript compiler, as an editor reads them.
 */
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { expect, it } from 'vitest';

const legacyEntry = fileURLToPath(new URL('../../src/legacy/index.ts', import.meta.url));

it('Recur, RNN, LSTM, GRU and reset are @deprecated in favour of the blocked API; the rest is not', () => {
  const program = ts.createProgram([legacyEntry], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const entry = checker.getSymbolAtLocation(program.getSourceFile(legacyEntry)!)!;
  const deprecation = new Map<string, string | undefined>();
  for (const exported of checker.getExportsOfModule(entry)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const tag = symbol.getJsDocTags(checker).find((t) => t.name === 'deprecated');
    deprecation.set(exported.name, tag ? ts.displayPartsToString(tag.text) : undefined);
  }
  for (const name of ['Recur', 'RNN', 'LSTM', 'GRU', 'reset']) {
    expect(deprecation.get(name), name).toMatch(/'rnn-migrate'/);
    expect(deprecation.get(name), name).toMatch(/npx rnn-migrate/);
  }
  expect(deprecation.get('LSTM')).toMatch(/new LSTM\(inputSize, hiddenSize\)/);
  for (const name of ['configureChecker', 'StaleStateError', 'LSTMCell', 'RnnShapeError']) {
    expect(deprecation.has(name), name).toBe(true);
    expect(deprecation.get(name), name).toBeUndefined();
  }
});
