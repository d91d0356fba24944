import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { captureUserSite, parseStackFrames, userSiteFromStack } from '../../src/legacy/call_site.js';
import { lineOf } from './helpers.js';

const thisFile = fileURLToPath(import.meta.url);

describe('call site of the user', () => {
  it('is this test file, line and column, under vitest source maps', () => {
    const site = captureUserSite(); // site marker
    expect(site).toMatch(new RegExp(`^${thisFile}:${lineOf(thisFile, '// site marker')}:\\d+$`));
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

  it('reads browser stacks: URLs, dev-server queries and pre-bundled dependencies', () => {
    const stack = [
      'Error',
      '    at Recur.step (http://localhost:5173/node_modules/rnn-migrate/dist/legacy/recur.js?v=1a2b:120:9)',
      '    at http://localhost:5173/node_modules/.vite/deps/@tensorflow_tfjs.js?v=1a2b:4711:20',
      '    at train (http://localhost:5173/src/train.ts?t=1700000000:12:5)',
    ].join('\n');
    expect(userSiteFromStack(stack)).toBe('http://localhost:5173/src/train.ts:12:5');
    const firefox = 'step@http://localhost:5173/node_modules/rnn-migrate/dist/legacy/recur.js:120:9\ntrain@http://localhost:5173/src/train.ts:12:5\n';
    expect(userSiteFromStack(firefox)).toBe('http://localhost:5173/src/train.ts:12:5');
  });

  it('is <unknown> when every frame is foreign', () => {
    expect(userSiteFromStack('Error\n    at node:internal/x:1:1')).toBe('<unknown>');
    expect(userSiteFromStack(undefined)).toBe('<unknown>');
  });
});
