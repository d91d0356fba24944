/**
 * Browser suite (`npm run test:browser`): the GPU kernels, the blocked and legacy layers and the
 * demo page run in headless Chromium from Debian's `chromium` package (never a downloaded browser).
 * On a machine without a GPU, Chromium runs WebGL (ANGLE) and WebGPU (Dawn) on SwiftShader.
 */
import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';
import nodeConfig from './vitest.config.js';
import { chromiumArgs, chromiumExecutable } from './test/browser/chromium.js';
import { demoCommands } from './test/browser/commands.js';

export default defineConfig({
  // The same public entry points as the node suite.
  resolve: nodeConfig.resolve,
  optimizeDeps: {
    // Pre-bundle every tfjs entry up front: a dependency discovered mid-run makes Vite reload the
    // page, which fails the test file that was running.
    include: [
      '@tensorflow/tfjs-core',
      '@tensorflow/tfjs-core/dist/register_all_gradients',
      '@tensorflow/tfjs-backend-cpu',
      '@tensorflow/tfjs-backend-webgl',
      '@tensorflow/tfjs-backend-webgpu',
      '@tensorflow/tfjs-backend-wasm',
      '@tensorflow/tfjs-layers',
      'seedrandom',
    ],
  },
  test: {
    include: ['test/browser/**/*.test.ts'],
    testTimeout: 240_000,
    hookTimeout: 240_000,
    // One page at a time: SwiftShader is CPU-bound and the machine is small.
    fileParallelism: false,
    browser: {
      enabled: true,
      headless: true,
      screenshotFailures: false,
      provider: playwright({
        launchOptions: { executablePath: chromiumExecutable(), args: chromiumArgs },
      }),
      instances: [{ browser: 'chromium' }],
      commands: demoCommands,
    },
  },
});
