/**
 * Server-side commands of the browser suite (they run in Node, beside Vitest, with Playwright's
 * browser context): `runDemo` starts the demo server, opens the page in a new tab of the same
 * Chromium, picks a backend and sizes, clicks Run, waits for the result and saves a screenshot
 * under test-results/.
 */
import { mkdirSync } from 'node:fs';
import type { BrowserContext } from 'playwright';
import type { BrowserCommand } from 'vitest/node';
import { startDemoServer } from '../../demo/serve.js';
import type { CellKind } from '../../src/runtime/kernels/cell_table.js';

export interface DemoRunRequest {
  backend: string;
  cell: CellKind;
  lengths: string;
  batch: number;
  hidden: number;
}

export interface DemoRunResult {
  status: string;
  state: string | null;
  rows: number;
  maxDiffs: number[];
  chartLines: number;
  screenshot: string;
  pageErrors: string[];
}

const runDemo: BrowserCommand<[DemoRunRequest]> = async (ctx, request): Promise<DemoRunResult> => {
  const context = (ctx as unknown as { context: BrowserContext }).context;
  const server = await startDemoServer(0, { watch: false });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  try {
    await page.goto(server.url, { timeout: 180_000 }); // Vite bundles tfjs on the first visit
    await page.selectOption('#backend', request.backend);
    await page.selectOption('#cell', request.cell);
    await page.fill('#batch', String(request.batch));
    await page.fill('#hidden', String(request.hidden));
    await page.fill('#lengths', request.lengths);
    await page.fill('#repeats', '1');
    await page.click('#run');
    await page.waitForFunction(
      () => ['done', 'error'].includes(document.getElementById('status')?.dataset.state ?? ''),
      undefined,
      { timeout: 180_000 },
    );
    mkdirSync('test-results', { recursive: true });
    const screenshot = `test-results/demo-${request.backend}.png`;
    await page.screenshot({ path: screenshot, fullPage: true });
    return {
      status: (await page.textContent('#status')) ?? '',
      state: await page.getAttribute('#status', 'data-state'),
      rows: await page.locator('#results tbody tr').count(),
      maxDiffs: (await page.locator('td[data-max-diff]').evaluateAll((cells) =>
        cells.map((c) => Number((c as HTMLElement).dataset.maxDiff)),
      )) as number[],
      chartLines: await page.locator('#chart svg path').count(),
      screenshot,
      pageErrors,
    };
  } finally {
    await page.close();
    await server.close();
  }
};

export const demoCommands = { runDemo };
