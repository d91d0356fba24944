/**
 * The demo page (`npm run demo:web`), opened in the same Chromium, clicked through on every
 * backend: the legacy loop and the blocked call agree, the table and chart fill in, and a
 * screenshot per backend lands in test-results/ (a CI artifact).
 */
import { commands } from 'vitest/browser';
import { describe, expect, it } from 'vitest';
import type { DemoRunRequest, DemoRunResult } from './commands.js';

declare module 'vitest/browser' {
  interface BrowserCommands {
    runDemo(request: DemoRunRequest): Promise<DemoRunResult>;
  }
}

describe('demo page', () => {
  it.each(['webgl', 'webgpu', 'wasm', 'cpu'])('runs on %s: outputs agree, table, chart and screenshot', async (backend) => {
    const result = await commands.runDemo({ backend, cell: 'lstm', lengths: '4, 8', batch: 2, hidden: 8 });
    expect(result.pageErrors).toEqual([]);
    expect(result.state, result.status).toBe('done');
    expect(result.status).toContain(`Done on ${backend}`);
    expect(result.rows).toBe(2);
    expect(result.maxDiffs.every((d) => d <= 1e-4)).toBe(true);
    expect(result.chartLines).toBe(2);
    expect(result.screenshot).toBe(`test-results/demo-${backend}.png`);
  });
});
