/** Generated code reads better without temporaries used once. */
/**
 * `const lstmResult = lstm.apply(…)` read once is written in place of its one use, so the common
 * case reads `h = lstm.apply(tf.stack(xs, 1)).carry.h`. Generated names are fresh, so a
 * whole-word replacement is exact.
 */
export function inlineSingleUseTemporaries(statements: string[], expression: string | undefined, readElsewhere: Set<string>): { statements: string[]; expression: string | undefined } {
  let changed = true;
  while (changed) {
    changed = false;
    for (let index = 0; index < statements.length; index++) {
      const match = /^const (\w+) = (.*);$/s.exec(statements[index]!);
      if (!match) continue;
      const [, name, value] = match;
      if (readElsewhere.has(name!)) continue;
      const word = new RegExp(`\\b${name}\\b`, 'g');
      const others = [...statements.filter((_, other) => other !== index), expression ?? ''];
      const uses = others.reduce((count, text) => count + (text.match(word)?.length ?? 0), 0);
      if (uses === 0 && /\.unstack\(/.test(value!)) {
        statements = statements.filter((_, other) => other !== index); // per-step outputs nobody reads
        changed = true;
        break;
      }
      if (uses !== 1) continue;
      const replace = (text: string) => text.replace(word, () => value!);
      statements = statements.filter((_, other) => other !== index).map(replace);
      if (expression !== undefined) expression = replace(expression);
      changed = true;
      break;
    }
  }
  return { statements, expression };
}
