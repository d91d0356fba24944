// The yargs flag table and the programmatic options cannot drift apart: the table's type is
// derived from RunOptions (a missing flag or a flag of the wrong type does not compile; the
// expected-error directives below fail `npm run typecheck` the day that stops being true), and
// every flag becomes an option of the same value.
import { describe, expect, it } from 'vitest';
import { cliOptionTable, type CliFlags, type CliOptionTable } from '../../src/cli/flag-table.js';
import { toRunOptions } from '../../src/cli/main.js';
import { defaultRunOptions, type RunOptions } from '../../src/cli/run-options.js';

describe('the flag table', () => {
  it('is checked against RunOptions by the compiler', () => {
    const table = cliOptionTable({});
    const { force: _force, ...withoutForce } = table;
    // @ts-expect-error a RunOptions field without a flag
    const missing: CliOptionTable = withoutForce;
    // @ts-expect-error a number option declared as a string flag
    const mistyped: CliOptionTable = { ...table, maxWarnings: { type: 'string', describe: 'wrong' } };
    expect([missing, mistyped]).toHaveLength(2);
  });

  it('turns the default flags into the default options', () => {
    const table = cliOptionTable({});
    const flags = Object.fromEntries(
      Object.entries(table).flatMap(([name, option]) => ('default' in option ? [[name, option.default]] : [])),
    ) as unknown as CliFlags;
    const options: RunOptions = toRunOptions({ ...flags, workers: defaultRunOptions().workers }, ['.']);
    expect(options).toEqual({ ...defaultRunOptions(), paths: ['.'] });
  });
});
