#!/usr/bin/env node
// Thin launcher: all wiring lives in src/cli (compiled to dist/cli).
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(error instanceof Error ? error.stack ?? error.message : String(error));
    process.exitCode = 2;
  },
);
