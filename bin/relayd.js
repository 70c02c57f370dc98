#!/usr/bin/env node
// The published entry point: runs the compiled CLI (built by `npm run build`, which `npm ci` runs via `prepare`).
// The young generation is held small before the CLI's modules are even parsed (young-generation.ts).
import '../dist/src/cli/young-generation.js';

await import('../dist/src/cli/main.js');
