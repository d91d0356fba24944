// The outside world of one CLI run: streams, environment and working folder. main() takes it as
// an optional argument so tests run the CLI in-process and read what it printed.
import { Chalk, type ChalkInstance } from 'chalk';

export interface OutputStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() };
}

/**
 * Colour only for a terminal, never with NO_COLOR (https://no-color.org: any non-empty value) or
 * TERM=dumb; FORCE_COLOR (non-zero) forces it, as in chalk and Node.
 */
export function useColor(stream: OutputStream, env: NodeJS.ProcessEnv): boolean {
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '') {
    return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  }
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

export function chalkFor(stream: OutputStream, env: NodeJS.ProcessEnv): ChalkInstance {
  return new Chalk({ level: useColor(stream, env) ? 1 : 0 });
}

/** The outside world as a program gives it to `run()`: no stream means nothing is printed there. */
export type RunIo = Partial<CliIo>;

const silent: OutputStream = { write: () => true };

export function ioOf(io: RunIo): CliIo {
  return { stdout: io.stdout ?? silent, stderr: io.stderr ?? silent, env: io.env ?? process.env, cwd: io.cwd ?? process.cwd() };
}
