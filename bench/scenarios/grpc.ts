/**
 * Issue 4's gRPC scenarios on `inferd serve` (no batching): Predict on the MLP with the 784 floats as typed
 * float_val and as tensor_content at each gRPC concurrency, and a 4 MiB float32 tensor round trip on y = 0.5x + 2.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CONTENDERS, logResult, type BenchContext } from '../context.ts';
import { PredictClient, decodeFloatOutput, encodePredict, grpcLoad, roundTrip, type FloatEncoding, type GrpcClientTransport } from '../load-grpc.ts';
import { MLP_OPTIONS, MODEL_NAMES } from '../models.ts';
import { LARGE_TENSOR_ELEMENTS, largeTensor, mlpRow } from '../payloads.ts';
import { startBaseline, startInferd } from '../processes.ts';
import { loadTable, num, type Section } from '../report.ts';
import type { LoadResult } from '../results.ts';

/** Check one answer against the REST answer for the same row (same model, so equal within float32 noise). */
async function checkMlp(ctx: BenchContext, client: PredictClient, request: Buffer): Promise<void> {
  const y = decodeFloatOutput(await client.predict(request), 'y');
  if (y.length !== MLP_OPTIONS.outputs) throw new Error(`gRPC mlp output has ${y.length} values, expected ${MLP_OPTIONS.outputs}`);
  const rest = ctx.cannedResponses?.[MODEL_NAMES.mlp];
  if (rest) {
    const expected = (JSON.parse(rest) as { predictions: number[][] }).predictions[0] ?? [];
    expected.forEach((v, i) => {
      if (Math.abs(v - y[i]!) > 1e-4 * Math.max(1, Math.abs(v))) throw new Error(`gRPC mlp output ${i} is ${y[i]}, REST said ${v}`);
    });
  }
}

/** MLP Predict sweeps over the given encodings against one gRPC address. */
export async function grpcSweep(
  ctx: BenchContext,
  address: string,
  runs: readonly { contender: string; encoding: FloatEncoding; transport?: GrpcClientTransport }[],
): Promise<LoadResult[]> {
  const out: LoadResult[] = [];
  for (const { contender, encoding, transport } of runs) {
    const client = new PredictClient(address, transport ? { transport } : {});
    try {
      const request = encodePredict(MODEL_NAMES.mlp, 'x', mlpRow(), [1, MLP_OPTIONS.inputSize], encoding);
      await checkMlp(ctx, client, request);
      for (const concurrency of ctx.options.grpcConcurrency) {
        const r = await grpcLoad(contender, client, MODEL_NAMES.mlp, request, concurrency, ctx.options.durationSec, ctx.options.warmupSec);
        logResult(ctx, r);
        ctx.results.push(r);
        out.push(r);
      }
    } finally {
      client.close();
    }
  }
  return out;
}

/** Contender label of the canned server driven by @grpc/grpc-js' client (the client's share of the cost). */
const CANNED_GRPC_JS_CLIENT = 'grpc-js, canned, grpc-js client';

/** The 4 MiB round trip against one server; checks the answer first. */
async function largeRoundTrip(ctx: BenchContext, address: string, output: string): Promise<void> {
  const client = new PredictClient(address);
  try {
    const values = largeTensor();
    const request = encodePredict(MODEL_NAMES.tiny, 'x', values, [LARGE_TENSOR_ELEMENTS], 'tensor_content');
    const y = decodeFloatOutput(await client.predict(request), 'y');
    if (y.length !== values.length || y[999] !== 0.5 * 999 + 2) throw new Error(`4 MiB round trip: wrong answer (length ${y.length}, y[999] = ${y[999]})`);
    const result = await roundTrip(client, request, values.byteLength, ctx.options.durationSec);
    ctx.roundTrips.push({ output, result });
    ctx.log(`  4 MiB round trip, output as ${output}: p50 ${result.p50.toFixed(1)} ms, ${result.mbPerSec.toFixed(0)} MB/s`);
  } finally {
    client.close();
  }
}

/** Run the group. */
export async function grpcGroup(ctx: BenchContext): Promise<Section> {
  ctx.log('gRPC: inferd serve (tiny + mlp)');
  const config = `--model_config_file=${ctx.models.configFile}`;
  const cannedFile = join(ctx.models.root, 'predict-response.bin');
  const inferd = await startInferd({ args: [config] });
  let results: LoadResult[];
  try {
    const address = `127.0.0.1:${inferd.grpcPort}`;
    results = await grpcSweep(ctx, address, [
      { contender: CONTENDERS.grpcFloatVal, encoding: 'float_val' },
      { contender: CONTENDERS.grpcTensorContent, encoding: 'tensor_content' },
    ]);
    ctx.log('gRPC: 4 MiB tensor round trip');
    await largeRoundTrip(ctx, address, 'float_val (default)');
    const client = new PredictClient(address);
    try {
      await writeFile(cannedFile, await client.predict(encodePredict(MODEL_NAMES.mlp, 'x', mlpRow(), [1, MLP_OPTIONS.inputSize], 'tensor_content')));
    } finally {
      client.close();
    }
  } finally {
    await inferd.stop();
  }
  ctx.log('gRPC: grpc-js server with a canned PredictResponse');
  const canned = await startBaseline('grpc-canned', 'grpc-canned.ts', [`--response=${cannedFile}`]);
  try {
    results.push(...(await grpcSweep(ctx, `127.0.0.1:${canned.port}`, [
      { contender: CONTENDERS.grpcCanned, encoding: 'tensor_content' },
      { contender: CANNED_GRPC_JS_CLIENT, encoding: 'tensor_content', transport: 'grpc-js' },
    ])));
  } finally {
    await canned.stop();
  }
  const tc = await startInferd({ args: [config, '--enable_serialization_as_tensor_content'] });
  try {
    await largeRoundTrip(ctx, `127.0.0.1:${tc.grpcPort}`, 'tensor_content (--enable_serialization_as_tensor_content)');
  } finally {
    await tc.stop();
  }
  return {
    title: 'gRPC Predict (issue 4)',
    intro: [
      '`tensorflow.serving.PredictionService/Predict` on one HTTP/2 connection, `concurrency` calls in flight, requests encoded once from proto/ (not timed), responses received as bytes.',
      'The client speaks gRPC directly on node:http2 (bench/load-grpc.ts): bench/grpc-probe.ts measured @grpc/grpc-js\' client at about twice the CPU per call of a canned grpc-js server, so with it the client, not the server, was the limit on these 2 cores;',
      'the `grpc-js, canned, grpc-js client` row shows the same canned server driven by @grpc/grpc-js\' client for comparison.',
      'The MLP input is one 1×784 float32 tensor, as packed `float_val` or as `tensor_content`; outputs use the server default (typed `float_val`).',
      'The 4 MiB round trip sends 1,048,576 float32 in tensor_content to y = 0.5x + 2 and receives the same count back, one call at a time,',
      'once with the default output encoding and once from a server started with `--enable_serialization_as_tensor_content`.',
      '`grpc-js, canned` (bench/baseline/grpc-canned.ts) answers the bytes inferd answered without decoding the request: the ceiling of a grpc-js server plus this client on this machine.',
    ].join(' '),
    tables: [
      loadTable(results),
      {
        columns: ['4 MiB float32 round trip, response as', 'calls', 'p50 ms', 'p99 ms', 'MB/s (request + response)'],
        rows: ctx.roundTrips.map(({ output, result: r }) => [output, String(r.calls), num(r.p50), num(r.p99), num(r.mbPerSec)]),
      },
    ],
  };
}
