// Guarantee 2 of issue 5 — memory comes back. A model is loaded, queried and unloaded 50 times through the
// ModelServer (the path config reloads and the operator API take), in a child process with --expose-gc
// (test/server/memory-cycles-child.ts). After forced GC, RSS and the JS heap after the 50 cycles must be within 10%
// of their values after the first cycle, and every loaded version must have been closed (sessions freed). The child
// forces GC after every cycle, so the measure is what the server retains, not how much garbage V8 let pile up.
// RSS is checked twice: after the last cycle with the server open (the same threads alive as after the first: an
// idle ONNX run thread is kept for the next load) and after the server closed.
// ONNX always (an MLP of ~1.6 MB of weights: a leaked session per cycle would add ~80 MB); SavedModel too when
// compose.ts registers a `tensorflow` runtime and the shared fixtures are present.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { mlp } from '../support/models.ts';
import { REPO_ROOT, SHARED_FIXTURES } from '../support/serve.ts';
import { CYCLES, MLP, type CycleReport } from '../server/memory-cycles-child.ts';

async function runCycles(platform: string, basePath: string): Promise<CycleReport> {
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', path.join(REPO_ROOT, 'test', 'server', 'memory-cycles-child.ts'), platform, basePath], {
    cwd: REPO_ROOT, env: process.env, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 0, `memory child failed:\n${stderr}`);
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as CycleReport;
}

function assertWithin(label: string, first: number, last: number): void {
  const mb = (n: number) => `${(n / 2 ** 20).toFixed(1)} MB`;
  assert.ok(last <= first * 1.1, `${label} after ${CYCLES} cycles (${mb(last)}) is more than 10% above its value after the first (${mb(first)})`);
  if (process.env.INFERD_MEMORY_TRACE) process.stderr.write(`${label}: ${mb(first)} -> ${mb(last)} (${((last / first - 1) * 100).toFixed(1)}%)\n`);
}

describe('memory comes back after load/unload cycles', () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-mem-'));
    await mlp(path.join(dir, 'mlp', '1'), MLP);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it(`ONNX: ${CYCLES} cycles close every session; RSS and heap stay within 10%`, async () => {
    const report = await runCycles('onnx', path.join(dir, 'mlp'));
    assert.equal(report.opened, CYCLES);
    assert.equal(report.open, 0, 'every loaded version was closed');
    assertWithin('RSS (server open)', report.first.rss, report.lastCycle.rss);
    assertWithin('RSS (server closed)', report.first.rss, report.last.rss);
    assertWithin('JS heap', report.first.heapUsed, report.last.heapUsed);
  });

  it(`SavedModel: ${CYCLES} cycles close every version; RSS and heap stay within 10%`, async (t) => {
    const base = path.join(SHARED_FIXTURES, 'saved_model_half_plus_two_cpu');
    if (!existsSync(base)) return t.skip(`shared fixtures absent (${base})`);
    const report = await runCycles('tensorflow', base);
    if (report.skipped) return t.skip(report.skipped);
    assert.equal(report.open, 0, 'every loaded version was closed');
    assertWithin('RSS', report.first.rss, report.last.rss);
    assertWithin('JS heap', report.first.heapUsed, report.last.heapUsed);
  });
});
