/**
 * Helpers for the server-level tests (reload, management, memory): a model whose answer tells which version
 * produced it (y = x + version), atomic version folders, and small waits.
 */
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { ONNX_MODEL_FILE } from '../support/models.ts';
import { writeModel } from '../support/onnx-builder.ts';

/** Write y = x + `constant` (float32 x, y of shape ['batch']) to `<versionDir>/model.onnx`. */
export function addConstant(versionDir: string, constant: number): Promise<string> {
  return writeModel(path.join(versionDir, ONNX_MODEL_FILE), {
    name: `add_${constant}`,
    inputs: [{ name: 'x', dtype: 'float32', shape: ['batch'] }],
    outputs: [{ name: 'y', dtype: 'float32', shape: ['batch'] }],
    initializers: [{ name: 'c', dtype: 'float32', dims: [], data: new Float32Array([constant]) }],
    nodes: [{ op: 'Add', inputs: ['x', 'c'], outputs: ['y'] }],
  });
}

/**
 * Add version `version` of y = x + version under `base`, atomically: the folder is built under a hidden name and
 * renamed into place, so a poll never sees a half-written version.
 */
export async function addVersion(base: string, version: number): Promise<void> {
  const staging = path.join(base, `.staging-${version}-${process.pid}`);
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  await addConstant(staging, version);
  await rename(staging, path.join(base, String(version)));
}

/** Sleep `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Poll `check` every `intervalMs` (default 50) until it holds; fail with `what` after `timeoutMs`. */
export async function waitUntil(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000, intervalMs = 50): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await sleep(intervalMs);
  }
  throw new Error(`timed out waiting for ${what}`);
}
