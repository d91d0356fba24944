import { afterEach, describe, expect, it, vi } from 'vitest';
import { Progress, progressDelayMs } from '../../src/cli/progress.js';

class Terminal {
  readonly isTTY = true;
  readonly columns = 80;
  text = '';
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
  cursorTo(): boolean {
    return true;
  }
  clearLine(): boolean {
    return true;
  }
  moveCursor(): boolean {
    return true;
  }
}

afterEach(() => vi.restoreAllMocks());

describe('Progress', () => {
  it('stays silent for the first second, then draws a bar on a terminal', () => {
    let now = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => now);
    const terminal = new Terminal();
    const progress = new Progress(terminal, 10, true);
    progress.tick();
    expect(terminal.text).toBe('');
    now = progressDelayMs + 1;
    progress.tick();
    expect(terminal.text).toContain('2/10 files');
    progress.stop();
  });

  it('draws nothing when disabled (not a terminal, or --no-progress)', () => {
    let now = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => now);
    const terminal = new Terminal();
    const progress = new Progress(terminal, 10, false);
    now = 10 * progressDelayMs;
    for (let i = 0; i < 10; i++) progress.tick();
    progress.stop();
    expect(terminal.text).toBe('');
  });
});
