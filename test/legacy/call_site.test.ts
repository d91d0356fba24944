import { describe, expect, it } from 'vitest';
import { captureUserSite, parseStackFrames, userSiteFromStack } from '../../src/legacy/call_site.js';

describe('call site of the user', () => {
  it('is this test file, line and column, under vitest source maps', () => {
    const site = captureUserSite(); const line = new Error().stack!.split('\n')[1]!;
    expect(site).toMatch(/test\/legacy\/call_site\.test\.ts:6:\d+$/);
    expect(line).toContain('call_site.test.ts:6:');
  });

  it('skips frames of an installed copy of the package, tfjs and node internals', () => {
    const stack = [
      'Error',
      '    at captureUserSite (file:///app/node_modules/rnn-migrate/dist/legacy/call_site.js:70:16)',
      '    at Recur.step (/app/node_modules/rnn-migrate/dist/legacy/recur.js:120:9)',
      '    at /app/node_modules/@tensorflow/tfjs-core/dist/engine.js:327:30',
      '    at async train (file:///app/src/train.ts:41:23)',
      '    at node:internal/process/task_queues:95:5',
    ].join('\n');
    expect(userSiteFromStack(stack)).toBe('/app/src/train.ts:41:23');
  });

  it('parses Windows paths and frames without a function name', () => {
    const frames = parseStackFrames('Error\n    at C:\\app\\train.js:3:7\n    at run (file:///C:/app/x.js:1:2)');
    expect(frames[0]).toEqual({ file: 'C:\\app\\train.js', line: 3, column: 7 });
    expect(frames[1]!.line).toBe(1);
  });

  it('is <unknown> when every frame is foreign', () => {
    expect(userSiteFromStack('Error\n    at node:internal/x:1:1')).toBe('<unknown>');
    expect(userSiteFromStack(undefined)).toBe('<unknown>');
  });
});
