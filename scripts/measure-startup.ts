/**
 * Start-up time and RSS of `inferd serve`, compiled (dist/) against TypeScript through tsx (INFERD_RUN_SOURCES=1),
 * alternating the two so machine load hits both alike. Usage: `npm run build && tsx scripts/measure-startup.ts [runs]`.
 * Start-up = spawn to the `listening` line (one small ONNX model, REST + gRPC); RSS = VmRSS right after it.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { halfPlusTwo } from '../test/support/models.ts';
import { freePort, REPO_ROOT } from '../test/support/serve.ts';

async function once(fromSources: boolean, base: string): Promise<{ ms: number; rssMiB: number }> {
  const [rest, grpc] = [await freePort(), await freePort()];
  const started = performance.now();
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'inferd.js'), 'serve', '--host=127.0.0.1', `--rest_api_port=${rest}`, `--port=${grpc}`, `--model_base_path=${base}`, '--log_level=warn'], {
    env: { ...process.env, INFERD_RUN_SOURCES: fromSources ? '1' : '0' }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('"event":"listening"')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}`)));
  });
  const ms = performance.now() - started;
  const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
  return { ms, rssMiB: rssKiB / 1024 };
}

const runs = Number(process.argv[2] ?? 5);
const dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-startup-'));
await halfPlusTwo(path.join(dir, 'hpt', '1'));
const results: Record<'tsx' | 'dist', { ms: number; rssMiB: number }[]> = { tsx: [], dist: [] };
for (let i = 0; i < runs; i++) {
  results.tsx.push(await once(true, path.join(dir, 'hpt')));
  results.dist.push(await once(false, path.join(dir, 'hpt')));
}
await rm(dir, { recursive: true, force: true });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
for (const [name, rs] of Object.entries(results)) {
  console.log(`${name}: start-up median ${median(rs.map((r) => r.ms)).toFixed(0)} ms (${rs.map((r) => r.ms.toFixed(0)).join(', ')}), RSS median ${median(rs.map((r) => r.rssMiB)).toFixed(1)} MiB`);
}
console.log(`load average: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
