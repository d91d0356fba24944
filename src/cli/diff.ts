// --dry: a unified diff per changed file (a/ and b/ prefixes, so `git apply` and `patch -p1`
// take it as it is), coloured only when the chalk instance is.
import type { ChalkInstance } from 'chalk';
import { createTwoFilesPatch } from 'diff';

export function unifiedDiff(relPath: string, before: string, after: string, chalk: ChalkInstance): string {
  const patch = createTwoFilesPatch(`a/${relPath}`, `b/${relPath}`, before, after, undefined, undefined, {
    context: 3,
  });
  const lines = patch.replace(/^=+\n/, '').split('\n');
  const coloured = lines.map((line) => {
    if (line.startsWith('---') || line.startsWith('+++')) return chalk.bold(line);
    if (line.startsWith('@@')) return chalk.cyan(line);
    if (line.startsWith('+')) return chalk.green(line);
    if (line.startsWith('-')) return chalk.red(line);
    return line;
  });
  return coloured.join('\n');
}
