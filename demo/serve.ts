/**
 * `npm run demo:web`: serves the demo page (demo/index.html) on localhost with Vite, resolving
 * 'rnn-migrate' and 'rnn-migrate/legacy' to this checkout's src/ and serving the wasm backend's
 * binaries from node_modules. PORT sets the port (default 5173; 0 picks a free one).
 */
import { fileURLToPath } from 'node:url';
import { createServer, type ViteDevServer } from 'vite';

const root = fileURLToPath(new URL('..', import.meta.url));
const fromRoot = (path: string) => fileURLToPath(new URL(`../${path}`, import.meta.url));

export interface DemoServer {
  url: string;
  close(): Promise<void>;
}

/**
 * `watch: false` (the browser suite, the benchmark) turns off file watching and hot reload, so an
 * edit elsewhere in the checkout cannot reload a page in the middle of a measurement.
 */
export async function startDemoServer(port = 5173, { watch = true }: { watch?: boolean } = {}): Promise<DemoServer> {
  const server: ViteDevServer = await createServer({
    root,
    configFile: false,
    // Its own dependency cache: the browser suite's Vite server may be running beside it.
    cacheDir: fromRoot('node_modules/.vite/rnn-migrate-demo'),
    logLevel: 'warn',
    clearScreen: false,
    resolve: {
      alias: [
        { find: /^rnn-migrate\/legacy$/, replacement: fromRoot('src/legacy/index.ts') },
        { find: /^rnn-migrate$/, replacement: fromRoot('src/index.ts') },
      ],
    },
    optimizeDeps: {
      entries: [fromRoot('demo/index.html'), fromRoot('bench/browser/index.html')],
      include: [
        '@tensorflow/tfjs-core',
        '@tensorflow/tfjs-backend-cpu',
        '@tensorflow/tfjs-backend-wasm',
        '@tensorflow/tfjs-backend-webgl',
        '@tensorflow/tfjs-backend-webgpu',
        '@tensorflow/tfjs-core/dist/register_all_gradients',
        '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops',
        '@tensorflow/tfjs-layers',
      ],
    },
    server: { host: '127.0.0.1', port, strictPort: port !== 0, open: false, hmr: watch, watch: watch ? {} : null },
  });
  await server.listen();
  const address = server.httpServer?.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  return { url: `http://127.0.0.1:${actualPort}/demo/`, close: () => server.close() };
}

const runDirectly = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (runDirectly) {
  const port = process.env.PORT === undefined ? 5173 : Number(process.env.PORT);
  const { url, close } = await startDemoServer(port);
  console.log(`rnn-migrate demo: ${url}  (Ctrl+C to stop)`);
  const stop = () => void close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
