/**
 * `inferd serve --processes=2` start-up failures: the primary checks flags and files once before it forks (a bad
 * flag fails once, as with one process); a serving process that exits before it listens (here: a model that
 * cannot load) stops the others, and the primary exits non-zero with that process's error printed once.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { corruptModel } from '../support/models.ts';
import { runInferd } from '../support/serve.ts';

describe('inferd serve --processes=2 start-up failure', { timeout: 60_000 }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-cluster-fail-'));
    await corruptModel(path.join(dir, 'broken', '1'));
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
});
