// The V2 request examples that KServe and Triton document, sent as written to a real `inferd serve` (REST over a
// socket, gRPC through a client generated from the official open_inference_grpc.proto). Bodies are the documents'
// text, adapted only in model names and shapes where the document says so below; answers are checked against values
// computed here from the inputs. Sources (read for this test, quoted as the request bodies):
// - kserve/open-inference-protocol specification/protocol/inference_rest.md "Inference Request Examples" (the same
//   request is open_inference_rest.yaml's inference_request "Example 1"; its "Example 2" has no inputs);
// - triton-inference-server/server docs/protocol/extension_binary_data.md "Examples";
// - KServe's website, sklearn/lightgbm/pmml V2 pages: iris-input-v2.json (REST) and lightgbm iris-input-v2-grpc.json.
// Triton's classification extension is optional and not implemented (documented in docs/api.md).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { startServer, type RunningServer } from '../support/serve.ts';
import { irisLikeModel, OFFICIAL_PROTO, specExampleModel } from './support.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Msg = Record<string, any>;

/** inference_rest.md, "Inference Request Examples" (the body as the document prints it). */
const SPEC_EXAMPLE = `{
  "id" : "42",
  "inputs" : [
    {
      "name" : "input0",
      "shape" : [ 2, 2 ],
      "datatype" : "UINT32",
      "data" : [ 1, 2, 3, 4 ]
    },
    {
      "name" : "input1",
      "shape" : [ 3 ],
      "datatype" : "BOOL",
      "data" : [ true ]
    }
  ],
  "outputs" : [
    {
      "name" : "output0"
    }
  ]
}`;

/** open_inference_rest.yaml, inference_request x-examples "Example 2", as JSON. */
const YAML_EXAMPLE_2 = '{"id":"42","outputs":[{"name":"output0","shape":[3,2],"datatype":"FP32","data":[1,1.1,2,2.1,3,3.1]}]}';

/** extension_binary_data.md, "Examples": the JSON part of the request. */
const TRITON_BINARY_HEADER = `{
  "model_name" : "mymodel",
  "inputs" : [
    {
      "name" : "input0",
      "shape" : [ 2, 2 ],
      "datatype" : "UINT32",
      "parameters" : {
        "binary_data_size" : 16
      }
    },
    {
      "name" : "input1",
      "shape" : [ 3 ],
      "datatype" : "BOOL",
      "parameters" : {
        "binary_data_size" : 3
      }
    }
  ],
  "outputs" : [
    {
      "name" : "output0",
      "parameters" : {
        "binary_data" : true
      }
    }
  ]
}`;

/** KServe's iris-input-v2.json (sklearn, lightgbm and pmml V2 pages). */
const KSERVE_IRIS = `{
  "inputs": [
    {
      "name": "input-0",
      "shape": [2, 4],
      "datatype": "FP32",
      "data": [
        [6.8, 2.8, 4.8, 1.4],
        [6.0, 3.4, 4.5, 1.6]
      ]
    }
  ]
}`;

/** KServe's newer sklearn V2 page: a one-row iris-input-v2.json. */
const KSERVE_IRIS_ONE_ROW = `{
  "inputs": [
    {
      "name": "input-0",
      "shape": [1, 4],
      "datatype": "FP32",
      "data": [[5.1, 3.5, 1.4, 0.2]]
    }
  ]
}`;

/** KServe's lightgbm iris-input-v2-grpc.json (sent with grpcurl to inference.GRPCInferenceService/ModelInfer). */
const KSERVE_IRIS_GRPC = `{
  "model_name": "lightgbm-v2-iris-grpc",
  "inputs": [
    {
      "name": "input-0",
      "shape": [2, 4],
      "datatype": "FP32",
      "contents": { 
        "fp32_contents": [
           6.8, 
           2.8, 
           4.8, 
           1.4,
           6.0, 
           3.4, 
           4.5, 
           1.6]
      }
    }
  ]
}`;

/** What `mymodel` answers for output0: row i is input1[i] + sum(input0), twice (see specExampleModel). */
function output0(input0: readonly number[], input1: readonly boolean[]): number[] {
  const sum = input0.reduce((a, b) => a + b, 0);
  return input1.flatMap((b) => [(b ? 1 : 0) + sum, (b ? 1 : 0) + sum]);
}

/** Row sums in float32 (the iris-like model's output), for a tolerance check. */
const rowSums = (rows: number[][]): number[] => rows.map((r) => r.reduce((a, b) => a + Math.fround(b), 0));

const closeTo = (got: readonly number[], want: readonly number[]) => {
  assert.equal(got.length, want.length);
  got.forEach((g, i) => assert.ok(Math.abs(g - want[i]!) < 1e-4, `${g} ≉ ${want[i]}`));
};

describe('KServe\'s and Triton\'s documented V2 examples against inferd serve', () => {
  let dir: string;
  let server: RunningServer;
  let client: grpc.Client;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-oip-docs-'));
    // `mymodel` with input1 of any length, so the spec's request adapted in its shape answers; the Triton example
    // (input1 of 3) runs on the same model.
    await specExampleModel(path.join(dir, 'mymodel', '1'), 'n');
    await irisLikeModel(path.join(dir, 'iris', '1'));
    await writeFile(path.join(dir, 'models.config'), `model_config_list {
  config { name: "mymodel" base_path: "${path.join(dir, 'mymodel')}" }
  config { name: "sklearn-v2-iris" base_path: "${path.join(dir, 'iris')}" }
  config { name: "lightgbm-v2-iris-grpc" base_path: "${path.join(dir, 'iris')}" }
}
`);
    server = await startServer([`--model_config_file=${path.join(dir, 'models.config')}`]);
    const definition = protoLoader.loadSync(OFFICIAL_PROTO, { keepCase: true, longs: String, enums: String, defaults: true });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const Service = (grpc.loadPackageDefinition(definition) as any).inference.GRPCInferenceService as typeof grpc.Client;
    client = new Service(`127.0.0.1:${server.grpcPort}`, grpc.credentials.createInsecure());
  });
  after(async () => {
    client?.close();
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const post = async (url: string, body: string | Buffer, headers: Record<string, string> = { 'content-type': 'application/json' }) => {
    const res = await fetch(`${server.restUrl}${url}`, { method: 'POST', body, headers });
    return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
  };

  it('open_inference_rest.yaml paths as written: GET /v2/, /v2/health/live, /v2/health/ready, model metadata and ready with a version', async () => {
    for (const p of ['/v2/', '/v2']) {
      const res = await fetch(`${server.restUrl}${p}`);
      assert.equal(res.status, 200, p);
      const md = await res.json() as Msg;
      assert.equal(md.name, 'inferd');
      assert.deepEqual(md.extensions, ['binary_tensor_data']);
    }
    for (const p of ['/v2/health/live', '/v2/health/ready', '/v2/models/mymodel/versions/1/ready']) {
      assert.equal((await fetch(`${server.restUrl}${p}`)).status, 200, p);
    }
    const md = await (await fetch(`${server.restUrl}/v2/models/mymodel/versions/1`)).json() as Msg;
    assert.deepEqual(md, {
      name: 'mymodel', versions: ['1'], platform: 'onnx_onnxv1',
      inputs: [{ name: 'input0', datatype: 'UINT32', shape: [2, 2] }, { name: 'input1', datatype: 'BOOL', shape: [-1] }],
      outputs: [{ name: 'output0', datatype: 'FP32', shape: [-1, 2] }, { name: 'output1', datatype: 'UINT32', shape: [2, 2] }],
    });
  });

  it('the spec\'s inference example: as printed (shape [3], one BOOL) it is a 400; with input1\'s shape made [1] it answers', async () => {
    const asPrinted = await post('/v2/models/mymodel/infer', SPEC_EXAMPLE);
    assert.equal(asPrinted.status, 400);
    assert.deepEqual(JSON.parse(asPrinted.body.toString()), { error: "unexpected number of elements in 'data' of input 'input1': the shape needs 3, got 1" });

    const adapted = SPEC_EXAMPLE.replace('"shape" : [ 3 ]', '"shape" : [ 1 ]');
    assert.notEqual(adapted, SPEC_EXAMPLE);
    const res = await post('/v2/models/mymodel/infer', adapted);
    assert.equal(res.status, 200, res.body.toString());
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(JSON.parse(res.body.toString()), {
      model_name: 'mymodel', model_version: '1', id: '42',
      outputs: [{ name: 'output0', datatype: 'FP32', shape: [1, 2], data: output0([1, 2, 3, 4], [true]) }],
    });
  });

  it('open_inference_rest.yaml "Example 2" (outputs only, no inputs) is a 400 naming the missing inputs', async () => {
    const res = await post('/v2/models/mymodel/infer', YAML_EXAMPLE_2);
    assert.equal(res.status, 400);
    assert.deepEqual(JSON.parse(res.body.toString()), { error: "missing 'inputs' in the inference request" });
  });

  it('Triton\'s binary tensor data example: 19 bytes of inputs after the JSON, output0 as 24 binary bytes', async () => {
    const input0 = Buffer.alloc(16);
    [7, 0, 65536, 3].forEach((v, i) => input0.writeUInt32LE(v, i * 4));
    const input1 = Buffer.from([1, 0, 1]);
    const res = await post('/v2/models/mymodel/infer', Buffer.concat([Buffer.from(TRITON_BINARY_HEADER), input0, input1]), {
      'content-type': 'application/octet-stream', 'inference-header-content-length': String(Buffer.byteLength(TRITON_BINARY_HEADER)),
    });
    assert.equal(res.status, 200, res.body.toString());
    assert.equal(res.headers.get('content-type'), 'application/octet-stream');
    const jsonLength = Number(res.headers.get('inference-header-content-length'));
    assert.equal(Number(res.headers.get('content-length')), jsonLength + 24);
    assert.deepEqual(JSON.parse(res.body.subarray(0, jsonLength).toString()), {
      model_name: 'mymodel', model_version: '1',
      outputs: [{ name: 'output0', datatype: 'FP32', shape: [3, 2], parameters: { binary_data_size: 24 } }],
    });
    const tail = res.body.subarray(jsonLength);
    assert.equal(tail.byteLength, 24);
    const want = output0([7, 0, 65536, 3], [true, false, true]).map((v) => Math.fround(v));
    assert.deepEqual(Array.from({ length: 6 }, (_, i) => tail.readFloatLE(i * 4)), want);
  });

  it('KServe\'s iris-input-v2.json (two rows and one row) to /v2/models/sklearn-v2-iris/infer', async () => {
    for (const [body, rows] of [[KSERVE_IRIS, [[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]]], [KSERVE_IRIS_ONE_ROW, [[5.1, 3.5, 1.4, 0.2]]]] as const) {
      const res = await post('/v2/models/sklearn-v2-iris/infer', body);
      assert.equal(res.status, 200, res.body.toString());
      const answer = JSON.parse(res.body.toString()) as Msg;
      assert.equal(answer.model_name, 'sklearn-v2-iris');
      assert.equal('id' in answer, false, 'no id in the request, none in the answer');
      assert.deepEqual(answer.outputs.map((o: Msg) => [o.name, o.datatype, o.shape]), [['output-0', 'FP32', [rows.length]]]);
      closeTo(answer.outputs[0].data as number[], rowSums(rows.map((r) => [...r])));
    }
  });

  it('KServe\'s iris-input-v2-grpc.json through ModelInfer (as grpcurl sends it)', async () => {
    const request = JSON.parse(KSERVE_IRIS_GRPC) as Msg;
    const res = await new Promise<Msg>((resolve, reject) => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      (client as any).ModelInfer(request, (err: grpc.ServiceError | null, r: Msg) => (err ? reject(err) : resolve(r)));
    });
    assert.equal(res.model_name, 'lightgbm-v2-iris-grpc');
    assert.deepEqual(res.outputs.map((o: Msg) => [o.name, o.datatype, o.shape]), [['output-0', 'FP32', ['2']]]);
    closeTo(res.outputs[0].contents.fp32_contents as number[], rowSums([[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]]));
  });

  it('Triton-only extensions are absent: statistics and config paths are 404, their RPCs UNIMPLEMENTED', async () => {
    for (const p of ['/v2/models/mymodel/stats', '/v2/models/mymodel/config']) {
      const res = await fetch(`${server.restUrl}${p}`);
      assert.equal(res.status, 404, p);
      assert.match(String(((await res.json()) as Msg).error), /Not found/);
    }
    for (const method of ['ModelStatistics', 'ModelConfig']) {
      const err = await new Promise<grpc.ServiceError>((resolve) => {
        client.makeUnaryRequest(`/inference.GRPCInferenceService/${method}`, (x: Buffer) => x, (b: Buffer) => b, Buffer.alloc(0), (e) => resolve(e as grpc.ServiceError));
      });
      assert.equal(err.code, grpc.status.UNIMPLEMENTED, method);
    }
  });

  // Triton's Python client (tritonclient[http]) is not on the npm registry or in Debian, so it only runs where it is
  // installed; the grpc stub test (python-client.test.ts) covers Python over gRPC.
  const tritonclient = spawnSync('python3', ['-c', 'import tritonclient.http, numpy'], { encoding: 'utf8' });
  it('tritonclient.http: the binary example through Triton\'s own Python client', {
    skip: tritonclient.status === 0 ? false : 'python3 tritonclient.http (and numpy) not installed: pip install tritonclient[http] to run it',
  }, () => {
    const script = `
import sys, numpy as np, tritonclient.http as http
c = http.InferenceServerClient(sys.argv[1])
assert c.is_server_live() and c.is_model_ready("mymodel")
i0 = http.InferInput("input0", [2, 2], "UINT32"); i0.set_data_from_numpy(np.array([[1, 2], [3, 4]], dtype=np.uint32), binary_data=True)
i1 = http.InferInput("input1", [3], "BOOL"); i1.set_data_from_numpy(np.array([True, False, True]), binary_data=True)
r = c.infer("mymodel", [i0, i1], outputs=[http.InferRequestedOutput("output0", binary_data=True)])
print(",".join(str(float(v)) for v in r.as_numpy("output0").ravel()))
`;
    const run = spawnSync('python3', ['-c', script, server.restUrl.replace(/^http:\/\//, '')], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(run.stdout.trim().split(',').map(Number), output0([1, 2, 3, 4], [true, false, true]));
  });
});
