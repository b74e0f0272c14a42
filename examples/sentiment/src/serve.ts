/**
 * Serve the sentiment model with inferd (REST :8501, gRPC :8500), as `docker run … tensorflow/serving` would.
 *
 *   npx tsx examples/sentiment/src/serve.ts
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DEFAULT_BASE } from './train.ts';

const INFERD = fileURLToPath(new URL('../../../bin/inferd.js', import.meta.url));
const child = spawn(process.execPath, [INFERD, 'serve', '--rest_api_port=8501', '--port=8500', '--model_name=sentiment', `--model_base_path=${DEFAULT_BASE}`], { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => child.kill(signal));
child.once('exit', (code) => process.exit(code ?? 0));
