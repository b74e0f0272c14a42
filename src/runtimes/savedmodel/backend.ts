/**
 * The tfjs backend of this process (or worker thread): tfjs-backend-wasm, with its .wasm files loaded offline from
 * node_modules, or tfjs-backend-cpu when wasm is not wanted or fails to start. Process-wide: tfjs has one engine
 * per thread, so the first caller's preference wins.
 */
import path from 'node:path';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { installKernelGuards, poisonActiveBackend } from '../tfjs-kernels/kernel-guards.ts';

/** A tfjs backend name inferd can run on. */
export type BackendName = 'wasm' | 'cpu';

let ready: Promise<BackendName> | undefined;

/** Directory (with trailing separator) holding tfjs-backend-wasm's .wasm binaries. */
export function wasmDirectory(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
}

/** Initialize tfjs once in this thread; resolves to the backend actually in use. */
export function initBackend(preferred: BackendName = 'wasm'): Promise<BackendName> {
  ready ??= (async (): Promise<BackendName> => {
    tf.enableProdMode();
    if (preferred === 'wasm') {
      // The emscripten glue installs process-wide uncaughtException/unhandledRejection handlers that rethrow
      // (and print the whole glue source); inferd owns process error handling, so remove what it added.
      const before = {
        uncaughtException: process.listeners('uncaughtException'),
        unhandledRejection: process.listeners('unhandledRejection'),
      };
      try {
        setWasmPaths(wasmDirectory());
        installKernelGuards('wasm');
        if (await tf.setBackend('wasm')) {
          poisonActiveBackend();
          return 'wasm';
        }
      } catch {
        // fall through to cpu
      } finally {
        for (const l of process.listeners('uncaughtException')) {
          if (!before.uncaughtException.includes(l)) process.removeListener('uncaughtException', l);
        }
        for (const l of process.listeners('unhandledRejection')) {
          if (!before.unhandledRejection.includes(l)) process.removeListener('unhandledRejection', l);
        }
      }
    }
    installKernelGuards('cpu');
    await tf.setBackend('cpu');
    return 'cpu';
  })();
  return ready;
}

