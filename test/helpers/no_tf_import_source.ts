/** A legacy file that imports no tfjs package: its rewrite needs `tf`, so it gains a tf import. */
export const noTfImportSource = [
  "import { LSTM } from 'rnn-migrate/legacy';",
  'const lstm = LSTM(2, 3);',
  'export function last(xs) {',
  '  lstm.reset();',
  '  let h;',
  '  for (const x of xs) h = lstm.step(x);',
  '  return h;',
  '}',
  '',
].join('\n');
