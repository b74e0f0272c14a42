/**
 * `inferd inspect` as a user runs it: saved_model_cli-style text, JSON, the op coverage (`--ops`), and a clear error
 * for a bad directory.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { attr, writeSavedModel } from '../support/savedmodel-builder.ts';
import { describe, it } from 'node:test';
import { runInferd, SHARED_FIXTURES } from '../support/serve.ts';

const dir = path.join(SHARED_FIXTURES, 'saved_model_half_plus_two_cpu', '00000123');

describe('inferd inspect', () => {
  it('prints one signature like saved_model_cli show', { skip: existsSync(dir) ? false : `no fixtures at ${SHARED_FIXTURES}` }, async () => {
    const res = await runInferd(['inspect', `--dir=${dir}`, '--tag_set=serve', '--signature_def=regress_x_to_y']);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /inputs\['inputs'\] tensor_info:\n\s+dtype: DT_STRING\n\s+shape: unknown_rank\n\s+name: tf_example:0/);
    assert.match(res.stdout, /Method name is: tensorflow\/serving\/regress/);
    const tags = await runInferd(['inspect', `--dir=${dir}`]);
    assert.match(tags.stdout, /serve/);
    const json = await runInferd(['inspect', `--dir=${dir}`, '--all', '--json']);
    assert.equal(json.code, 0, json.stderr);
    assert.doesNotThrow(() => JSON.parse(json.stdout));
  });

  it('fails with a one-line reason on a directory without a SavedModel', async () => {
    const res = await runInferd(['inspect', '--dir=/nonexistent/model']);
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /Could not find SavedModel \.pb or \.pbtxt at supplied export directory path: \/nonexistent\/model/);
  });

  it('--ops lists the graph\'s ops with their status, naming the unsupported ones', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'inferd-ops-'));
    try {
      const F = attr.type('DT_FLOAT');
      writeSavedModel(tmp, {
        nodes: [
          { name: 'x', op: 'Placeholder', attr: { dtype: F } },
          { name: 'a', op: 'Relu', input: ['x'], attr: { T: F } },
          { name: 'b', op: 'Lgamma', input: ['a'], attr: { T: F } },
          { name: 'c', op: 'Digamma', input: ['b'], attr: { T: F } },
          { name: 'spare', op: 'Erfc', input: ['x'], attr: { T: F } },
        ],
        signatures: { serving_default: { inputs: { x: { name: 'x:0', dtype: 'DT_FLOAT' } }, outputs: { y: { name: 'c:0', dtype: 'DT_FLOAT' } } } },
      });
      const res = await runInferd(['inspect', '--ops', tmp]);
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stdout, /Relu\s+1\s+supported/);
      assert.match(res.stdout, /Lgamma\s+1\s+unsupported \(e\.g\. node b\)/);
      assert.match(res.stdout, /Erfc\s+1\s+unused/);
      assert.match(res.stdout, /Unsupported ops needed to serve: Digamma, Lgamma/);
      const json = await runInferd(['inspect', '--ops', '--json', `--dir=${tmp}`]);
      const ops = (JSON.parse(json.stdout) as { ops: { op: string; status: string }[] }).ops;
      assert.deepEqual(ops.find((o) => o.op === 'Digamma')?.status, 'unsupported');
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
