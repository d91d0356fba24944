/**
 * How the browser suite, the demo check and the browser benchmarks launch Chromium: Debian's
 * `chromium` package (CI installs it with apt-get), headless, with WebGL and WebGPU on SwiftShader
 * when the machine has no GPU, and no network access of its own.
 */
import { existsSync } from 'node:fs';

/** Debian's chromium, or CHROMIUM_PATH. Never a browser downloaded by playwright. */
export function chromiumExecutable(): string {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  const found = candidates.find((path): path is string => !!path && existsSync(path));
  if (!found) {
    throw new Error(
      'No Chromium found at /usr/bin/chromium: install it with `apt-get install -y chromium` ' +
        '(or set CHROMIUM_PATH to a Chromium binary).',
    );
  }
  return found;
}

export const chromiumArgs: string[] = [
  '--headless=new',
  '--no-sandbox',
  // WebGL through ANGLE on SwiftShader, and a WebGPU adapter (Dawn falls back to SwiftShader's
  // Vulkan when there is no GPU): both need the unsafe switches since Chromium 137.
  '--enable-unsafe-swiftshader',
  '--enable-unsafe-webgpu',
  '--use-angle=swiftshader',
  // No traffic beyond localhost.
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--no-first-run',
  '--no-default-browser-check',
  '--disable-quic',
  '--metrics-recording-only',
  // A headless box has little /dev/shm.
  '--disable-dev-shm-usage',
];
