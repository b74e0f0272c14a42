#!/usr/bin/env node
// inferd's executable: runs the compiled JavaScript in dist/ (`npm run build`; no TypeScript at run time).
// From a clone that was not built, or with INFERD_RUN_SOURCES=1 (the test suite sets it, so tests never run a stale
// build), it runs the TypeScript sources through tsx, a dev dependency.
import { existsSync } from 'node:fs';
import process from 'node:process';
import { URL } from 'node:url';

const compiled = new URL('../dist/cli/main.js', import.meta.url);
if (process.env.INFERD_RUN_SOURCES !== '1' && existsSync(compiled)) {
  await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
