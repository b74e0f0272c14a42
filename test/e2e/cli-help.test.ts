/** `inferd --help` and `inferd serve --help` say what exists: gRPC on by default, OIP, TF.js, the drop-in form. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runInferd } from '../support/serve.ts';

describe('inferd --help', () => {
  it('names the three model formats, both APIs and the tensorflow_model_server drop-in form', async () => {
    const help = await runInferd(['--help']);
    assert.equal(help.code, 0, help.stderr);
    const text = help.stdout.replace(/\s+/g, ' ');
    assert.match(text, /SavedModel, ONNX and TensorFlow\.js/);
    assert.match(text, /Open Inference Protocol/);
    assert.match(text, /flags without a command mean `serve`/);
  });

  it('serve --help says gRPC is on by default, not "when enabled"', async () => {
    const help = await runInferd(['serve', '--help']);
    assert.equal(help.code, 0, help.stderr);
    const text = help.stdout.replace(/\s+/g, ' ');
    assert.doesNotMatch(text, /gRPC when enabled/);
    assert.match(text, /gRPC on --port, 8500 by default/);
  });
});
