/**
 * `inferd serve --processes=2` start and stop: the primary checks flags and files once before it forks (a bad
 * flag fails once, as with one process); a serving process that exits before it listens (here: a model that
 * cannot load) stops the others, and the primary exits non-zero with that process's error printed once. A terminal's
 * Ctrl-C (SIGINT to the whole process group), or SIGTERM to the whole group (systemd), drains every process once and
 * exits 0. A primary killed with SIGKILL
 * leaves no serving process behind: they see the IPC channel close, drain and exit.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { spawn } from 'node:child_process';
import { corruptModel, halfPlusTwo } from '../support/models.ts';
import { exitOf, freePort, REPO_ROOT, runInferd } from '../support/serve.ts';
import { readFileSync } from 'node:fs';
import { freshRequest, servingPids, waitFor } from '../support/fresh-connection.ts';

describe('inferd serve --processes=2: start-up failures, Ctrl-C, a killed primary', { timeout: 180_000 }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-cluster-fail-'));
    await corruptModel(path.join(dir, 'broken', '1'));
    await halfPlusTwo(path.join(dir, 'hpt', '1'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('a model that cannot load: exit non-zero, the error printed once, nothing listening', async () => {
    const res = await runInferd(['serve', '--processes=2', '--host=127.0.0.1', '--rest_api_port=0', '--port=0', '--model_name=broken',
      `--model_base_path=${path.join(dir, 'broken')}`, '--max_num_load_retries=0']);
    assert.notEqual(res.code, 0, res.stderr);
    assert.equal((res.stderr.match(/Failed to start server\. Error: /g) ?? []).length, 1, res.stderr);
    assert.match(res.stderr, /Failed to start server\. Error: .*broken/);
    assert.doesNotMatch(res.stdout, /"event":"listening"/);
  });

  it('a bad flag value fails once, before any serving process starts', async () => {
    const res = await runInferd(['serve', '--processes=2', '--rest_api_port=0', '--port=0', `--model_base_path=${path.join(dir, 'broken')}`,
      '--batching_parameters_file=/nonexistent']);
    assert.notEqual(res.code, 0);
    assert.equal((res.stderr.match(/Failed to start server\. Error: INVALID_ARGUMENT: --batching_parameters_file requires --enable_batching/g) ?? []).length, 1, res.stderr);
    assert.doesNotMatch(res.stderr, /"pid":/, 'no serving process logged anything');
  });

  // Ctrl-C in a terminal, and systemd's default control-group kill / `kill -- -PGID`: the signal reaches the primary
  // and every serving process at once; each must drain once (not take the primary's request as a second signal).
  for (const signal of ['SIGINT', 'SIGTERM'] as const) it(`${signal} to every process (${signal === 'SIGINT' ? 'Ctrl-C' : 'pkill, a group kill'}): each drains once, exit 0`, async () => {
    const port = await freePort();
    // Its own process group, as a shell gives a foreground job: the signal reaches the primary and every child.
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'inferd.js'), 'serve', '--processes=2', '--host=127.0.0.1',
      `--rest_api_port=${port}`, '--port=0', '--model_name=hpt', `--model_base_path=${path.join(dir, 'hpt')}`], {
      env: { INFERD_RUN_SOURCES: '1', ...process.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = exitOf(child);
    try {
      await waitFor(() => stdout.includes('"event":"listening"') || child.exitCode !== null);
      const res = await freshRequest(port, 'POST', '/v1/models/hpt:predict', { body: '{"instances": [4]}' });
      assert.deepEqual([res.status, JSON.parse(res.body)], [200, { predictions: [4] }]);
      if (signal === 'SIGINT') process.kill(-child.pid!, signal);
      else {
        // pkill's order (and the worst case of a group kill): the primary first, then each serving process after
        // the primary's drain request reached it.
        process.kill(child.pid!, signal);
        await waitFor(() => (stderr.match(/draining: not ready/g) ?? []).length === 2 || child.exitCode !== null);
        for (const pid of servingPids(stderr)) process.kill(pid, signal);
      }
      assert.deepEqual(await exited, { code: 0, signal: null }, stderr);
      assert.equal((stderr.match(/draining: not ready/g) ?? []).length, 2, stderr);
      assert.equal((stderr.match(/drained: exiting/g) ?? []).length, 2, stderr);
      assert.doesNotMatch(stderr, /second signal|without draining/);
    } finally {
      if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL');
    }
  });

  it('SIGKILL to the primary: the serving processes drain and exit (no orphans)', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'inferd.js'), 'serve', '--processes=2', '--host=127.0.0.1',
      `--rest_api_port=${port}`, '--port=0', '--model_name=hpt', `--model_base_path=${path.join(dir, 'hpt')}`], {
      env: { INFERD_RUN_SOURCES: '1', ...process.env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let workers: number[] = [];
    try {
      await waitFor(() => (stdout.includes('"event":"listening"') && servingPids(stderr).length === 2) || child.exitCode !== null);
      workers = servingPids(stderr);
      assert.equal(workers.length, 2, stderr);
      child.kill('SIGKILL');
      // The serving processes keep the stderr pipe: their last lines still arrive here.
      await waitFor(() => workers.every(gone));
      assert.equal((stderr.match(/"signal":"the primary process is gone"[^\n]*draining: not ready/g) ?? []).length, 2, stderr);
      assert.equal((stderr.match(/"signal":"the primary process is gone"[^\n]*drained: exiting/g) ?? []).length, 2, stderr);
    } finally {
      for (const pid of workers) if (!gone(pid)) process.kill(pid, 'SIGKILL');
    }
  });
});

/** The process has exited (no /proc entry, or a zombie waiting for a parent that no longer exists to reap it). */
function gone(pid: number): boolean {
  try {
    return / Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}
