// TensorFlow Serving's ResNet client flow: a SavedModel whose serving signature takes encoded JPEG bytes
// (DT_STRING image_bytes → DecodeJpeg → resize → classifier) answers {"instances": [{"b64": "<jpeg>"}]} over REST
// and string_val over gRPC, through `inferd serve`. The reference is computed from the decoded pixels with plain
// loops (the image is one flat colour, so JPEG decoding differences stay within a level or two).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import jpeg from 'jpeg-js';
import { attr, constNode, writeSavedModel } from '../support/savedmodel-builder.ts';
import { postJson, startServer, type RunningServer } from '../support/serve.ts';
import { connect, type TestClients } from '../api/grpc/client.ts';

const F = attr.type('DT_FLOAT');
const COLOUR = [200, 40, 90];
const WEIGHTS = [0.01, -0.02, 0.005, 0.03, 0.0, -0.01, -0.004, 0.02, 0.01]; // [3 channels, 3 classes]

/** Softmax(mean colour / 255 · W) for the flat test image: the expected probabilities. */
function expected(): number[] {
  const logits = [0, 1, 2].map((k) => [0, 1, 2].reduce((s, c) => s + ((COLOUR[c] as number) / 255) * (WEIGHTS[c * 3 + k] as number) * 255, 0));
  const m = Math.max(...logits);
  const e = logits.map((v) => Math.exp(v - m));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

function writeImageModel(dir: string): void {
  writeSavedModel(dir, {
    nodes: [
      { name: 'image_bytes', op: 'Placeholder', attr: { dtype: attr.type('DT_STRING'), shape: attr.shape([-1]) } },
      constNode('scalar_shape', { dtype: 'int32', shape: [0], data: new Int32Array(0) }),
      { name: 'one_image', op: 'Reshape', input: ['image_bytes', 'scalar_shape'], attr: { T: attr.type('DT_STRING') } },
      { name: 'decoded', op: 'DecodeJpeg', input: ['one_image'], attr: { channels: attr.i(3) } },
      { name: 'as_float', op: 'Cast', input: ['decoded'], attr: { SrcT: attr.type('DT_UINT8'), DstT: F } },
      constNode('batch_axis', { dtype: 'int32', shape: [], data: Int32Array.from([0]) }),
      { name: 'batched', op: 'ExpandDims', input: ['as_float', 'batch_axis'], attr: { T: F } },
      constNode('size', { dtype: 'int32', shape: [2], data: Int32Array.from([4, 4]) }),
      { name: 'resized', op: 'ResizeBilinear', input: ['batched', 'size'], attr: { T: F } },
      constNode('hw', { dtype: 'int32', shape: [2], data: Int32Array.from([1, 2]) }),
      { name: 'pooled', op: 'Mean', input: ['resized', 'hw'], attr: { T: F } },
      constNode('w', { dtype: 'float32', shape: [3, 3], data: Float32Array.from(WEIGHTS) }),
      { name: 'logits', op: 'MatMul', input: ['pooled', 'w'], attr: { T: F } },
      { name: 'probabilities', op: 'Softmax', input: ['logits'], attr: { T: F } },
    ],
    signatures: {
      serving_default: {
        inputs: { image_bytes: { name: 'image_bytes:0', dtype: 'DT_STRING', shape: [-1] } },
        outputs: { probabilities: { name: 'probabilities:0', dtype: 'DT_FLOAT', shape: [-1, 3] } },
      },
    },
  });
}

describe('JPEG bytes in, classes out (TF Serving ResNet flow)', () => {
  let dir: string;
  let server: RunningServer;
  let grpc: TestClients;
  let jpegBytes: Buffer;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-image-'));
    writeImageModel(path.join(dir, 'resnet', '1'));
    const pixels = Buffer.alloc(16 * 16 * 4);
    for (let p = 0; p < 256; p++) pixels.set([...COLOUR, 255], p * 4);
    jpegBytes = jpeg.encode({ width: 16, height: 16, data: pixels }, 95).data;
    server = await startServer([`--model_name=resnet`, `--model_base_path=${path.join(dir, 'resnet')}`], { timeoutMs: 120_000 });
    grpc = connect(server.grpcPort);
  });
  after(async () => {
    grpc?.close();
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const assertProbabilities = (got: number[]): void => {
    const want = expected();
    assert.equal(got.length, 3);
    got.forEach((v, i) => assert.ok(Math.abs(v - (want[i] as number)) < 2e-3, `class ${i}: ${v} vs ${want[i]}`));
  };

  it('answers {"instances": [{"b64": ...}]} over REST', async () => {
    const res = await postJson(`${server.restUrl}/v1/models/resnet:predict`, { instances: [{ b64: jpegBytes.toString('base64') }] });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const { predictions } = res.body as { predictions: number[][] };
    assert.equal(predictions.length, 1);
    assertProbabilities(predictions[0] as number[]);
  });

  it('answers string_val over gRPC', async () => {
    const res = await grpc.prediction.Predict({
      model_spec: { name: 'resnet', signature_name: 'serving_default' },
      inputs: { image_bytes: { dtype: 'DT_STRING', tensor_shape: { dim: [{ size: 1 }] }, string_val: [jpegBytes] } },
    });
    const out = res['outputs'].probabilities as { float_val: number[]; tensor_content?: Buffer };
    const values = out.float_val?.length ? out.float_val : Array.from(new Float32Array(new Uint8Array(out.tensor_content as Buffer).slice().buffer));
    assertProbabilities(values);
  });

  it('a corrupt image is INVALID_ARGUMENT, not a server fault', async () => {
    const res = await postJson(`${server.restUrl}/v1/models/resnet:predict`, { instances: [{ b64: Buffer.from('not an image').toString('base64') }] });
    assert.equal(res.status, 400);
    assert.match((res.body as { error: string }).error, /Unknown image file format/);
  });
});
