/** `inferd inspect` as a user runs it: saved_model_cli-style text, JSON, and a clear error for a bad directory. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
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
});
