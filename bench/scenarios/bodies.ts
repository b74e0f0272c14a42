/**
 * Issue 11's bodies: the MLP row as 3-decimal JSON and as Python floats (`json.dumps(x.tolist())` of float32 data:
 * 17 significant digits), each sent at c=1 and c=32 to bare node:http (canned answer), express + onnxruntime-node,
 * inferd without batching and inferd with batching (max_batch_size 32, batch_timeout_micros 0, 1 batch thread),
 * with the server's CPU per request read from /proc/PID/stat over the measured window. Then, in this process, the
 * decode cost of those bodies plus a 224×224×3 float image and a base64 JPEG body: inferd's decoder (parse to tape +
 * tensors) against V8's JSON.parse of the same bytes (CPU µs per body).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodePredictInputs, parsePredictRequest } from '../../src/api/rest/json/predict-request.ts';
import type { DType } from '../../src/core/dtype.ts';
import type { Signature } from '../../src/core/signature.ts';
import { logResult, type BenchContext } from '../context.ts';
import { restLoad } from '../load-rest.ts';
import { MODEL_NAMES } from '../models.ts';
import { pythonList, REST_BODIES } from '../payloads.ts';
import { startBaseline, startInferd, type ChildServer } from '../processes.ts';
import { num, type Section, type Table } from '../report.ts';
import { ratio, type LoadResult, type Ratio } from '../results.ts';

/** Contender labels of this group. */
export const BODY_CONTENDERS = {
  bare: 'bare node:http',
  express: 'express + ort',
  inferd: 'inferd, no batching',
  batching: 'inferd, batching',
} as const;

/** The bodies sent over HTTP (all to the MLP). */
export const MLP_BODIES = {
  '3dec': REST_BODIES.mlp,
  python: REST_BODIES.mlpPython,
} as const;

function imageBody(): string {
  let state = 99;
  const px = (): number => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return Math.fround((state >>> 8) / 16777216);
  };
  const rows: string[] = [];
  for (let y = 0; y < 224; y++) {
    const cols: string[] = [];
    for (let x = 0; x < 224; x++) cols.push(pythonList([px(), px(), px()]));
    rows.push(`[${cols.join(', ')}]`);
  }
  return `{"instances": [[${rows.join(', ')}]]}`;
}

function jpegBody(): string {
  const bytes = Buffer.alloc(40_000);
  let state = 7;
  for (let i = 0; i < bytes.length; i++) bytes[i] = (state = (Math.imul(state, 1103515245) + 12345) >>> 0) >>> 24;
  bytes.set([0xff, 0xd8, 0xff, 0xe0], 0);
  return `{"instances": [{"b64": "${bytes.toString('base64')}"}]}`;
}

const signatureOf = (alias: string, dtype: DType): Signature => ({
  inputs: { [alias]: { name: `${alias}:0`, dtype } }, outputs: {}, methodName: 'tensorflow/serving/predict',
});

/**
 * CPU µs per call of `fn`, from process.cpuUsage, after a warm-up of at least 5 calls and half of `minMs` (so V8 has
 * optimised the decoder: with 5 warm-up calls alone the MLP decode measured 3–5× its warm cost).
 */
function cpuPerCall(fn: () => unknown, minMs: number): number {
  const warm = performance.now();
  for (let i = 0; i < 5 || performance.now() - warm < minMs / 2; i++) fn();
  const start = process.cpuUsage();
  const wall = performance.now();
  let n = 0;
  while (performance.now() - wall < minMs) {
    fn();
    n++;
  }
  const used = process.cpuUsage(start);
  return (used.user + used.system) / n;
}

/** One row of the decode table. */
export interface DecodeRow {
  readonly body: string;
  readonly bytes: number;
  readonly inferdUs: number;
  readonly jsonParseUs: number;
}

/** Decode cost of each body: inferd's decoder vs JSON.parse of the same bytes, CPU µs per body (about `minMs` each). */
export function decodeCosts(minMs: number): DecodeRow[] {
  const cases: [string, string, Signature][] = [
    ['mlp 3 decimals (784 numbers)', MLP_BODIES['3dec'], signatureOf('x', 'float32')],
    ['mlp Python floats (784 numbers)', MLP_BODIES.python, signatureOf('x', 'float32')],
    ['image 224×224×3 Python floats (150,528 numbers)', imageBody(), signatureOf('x', 'float32')],
    ['b64 JPEG (40,000 bytes)', jpegBody(), signatureOf('image_bytes', 'string')],
  ];
  return cases.map(([body, text, sig]) => {
    const bytes = Buffer.from(text);
    const inferdUs = cpuPerCall(() => decodePredictInputs(parsePredictRequest(bytes), sig), minMs);
    const jsonParseUs = cpuPerCall(() => JSON.parse(bytes.toString('utf8')), minMs);
    return { body, bytes: bytes.length, inferdUs, jsonParseUs };
  });
}

/** The HTTP load steps: every contender × body × concurrency 1 and 32. */
async function loadContender(ctx: BenchContext, contender: string, server: { url: string; pid: number }): Promise<LoadResult[]> {
  const out: LoadResult[] = [];
  for (const [name, body] of Object.entries(MLP_BODIES)) {
    for (const concurrency of [1, 32]) {
      const r = await restLoad({
        contender, url: server.url, model: MODEL_NAMES.mlp, body, concurrency, serverPid: server.pid,
        durationSec: ctx.options.durationSec, warmupSec: ctx.options.warmupSec,
      });
      const labelled = { ...r, model: `mlp/${name}` };
      logResult(ctx, labelled);
      ctx.results.push(labelled);
      out.push(labelled);
    }
  }
  return out;
}

async function withBaseline(server: ChildServer, fn: (s: { url: string; pid: number }) => Promise<LoadResult[]>): Promise<LoadResult[]> {
  try {
    return await fn({ url: server.url, pid: server.child.pid! });
  } finally {
    await server.stop();
  }
}

async function withInferd(
  ctx: BenchContext, profileName: string, args: readonly string[], fn: (s: { url: string; pid: number }) => Promise<LoadResult[]>,
): Promise<{ results: LoadResult[]; answer: string }> {
  // `--profile=DIR`: each server writes its CPU profiles into DIR/<profileName> (summarised by bench/profile.ts).
  const profileDir = ctx.options.profileDir ? join(ctx.options.profileDir, profileName) : null;
  if (profileDir) await mkdir(profileDir, { recursive: true });
  const inferd = await startInferd({ args, profileDir });
  try {
    const res = await fetch(`${inferd.restUrl}/v1/models/${MODEL_NAMES.mlp}:predict`, { method: 'POST', body: MLP_BODIES.python });
    const answer = await res.text();
    if (res.status !== 200) throw new Error(`inferd answered ${res.status}: ${answer.slice(0, 200)}`);
    return { results: await fn({ url: inferd.restUrl, pid: inferd.child.pid! }), answer };
  } finally {
    await inferd.stop();
  }
}

/** The issue 11 goals from this group's rows. */
function goals(results: readonly LoadResult[], decodes: readonly DecodeRow[]): Ratio[] {
  const get = (contender: string, body: string, c: number): LoadResult | undefined =>
    results.find((r) => r.contender === contender && r.model === `mlp/${body}` && r.concurrency === c);
  const out: Ratio[] = [];
  for (const body of Object.keys(MLP_BODIES)) {
    const b = get(BODY_CONTENDERS.batching, body, 32);
    const bare = get(BODY_CONTENDERS.bare, body, 32);
    out.push(
      ratio('issue 11', `${body} body, c=32: inferd batching / express + ort (req/s)`, b?.rps, get(BODY_CONTENDERS.express, body, 32)?.rps, 4, 'same body, same run'),
      ratio('issue 11', `${body} body, c=32: inferd batching / bare node:http (req/s)`, b?.rps, bare?.rps, 0.5, 'bare answers canned bytes'),
      ratio('issue 11', `${body} body, c=32: server CPU per request, inferd batching / bare`, b?.cpuUsPerRequest, bare?.cpuUsPerRequest, 3,
        `${num(b?.cpuUsPerRequest ?? NaN)} µs vs ${num(bare?.cpuUsPerRequest ?? NaN)} µs, /proc/PID/stat`, true),
      ratio('issue 11', `${body} body, c=1: p50 batching on / off`, get(BODY_CONTENDERS.batching, body, 1)?.p50, get(BODY_CONTENDERS.inferd, body, 1)?.p50, 1.05,
        'latency (lower is better)', true),
      ratio('issue 11', `${body} body, c=1: p50 inferd batching / express + ort`, get(BODY_CONTENDERS.batching, body, 1)?.p50, get(BODY_CONTENDERS.express, body, 1)?.p50, 1,
        'latency (lower is better)', true),
    );
  }
  for (const d of decodes) {
    out.push(ratio('issue 11', `JSON decode / JSON.parse: ${d.body}`, d.inferdUs, d.jsonParseUs, 2, 'CPU µs in-process, same bytes', true));
  }
  return out;
}

/** Run the group; its goals are appended to ctx.extraRatios. */
export async function bodiesGroup(ctx: BenchContext): Promise<Section> {
  ctx.log('Bodies (issue 11): inferd without batching');
  const off = await withInferd(ctx, 'inferd-bodies', [`--model_config_file=${ctx.models.configFile}`], (s) => loadContender(ctx, BODY_CONTENDERS.inferd, s));
  ctx.log('Bodies: inferd with batching (32, 0 µs, 1 thread)');
  const params = join(ctx.models.root, 'batching-bodies.txt');
  await writeFile(params, 'max_batch_size { value: 32 }\nbatch_timeout_micros { value: 0 }\nmax_enqueued_batches { value: 1000 }\nnum_batch_threads { value: 1 }\n');
  const on = await withInferd(ctx, 'inferd-bodies-batching', [`--model_config_file=${ctx.models.configFile}`, '--enable_batching', `--batching_parameters_file=${params}`],
    (s) => loadContender(ctx, BODY_CONTENDERS.batching, s));
  ctx.log('Bodies: bare node:http (canned)');
  const responsesFile = join(ctx.models.root, 'responses-bodies.json');
  await writeFile(responsesFile, JSON.stringify({ [MODEL_NAMES.mlp]: off.answer }));
  const bare = await withBaseline(await startBaseline('bare-http', 'bare-http.ts', [`--responses=${responsesFile}`]), (s) => loadContender(ctx, BODY_CONTENDERS.bare, s));
  ctx.log('Bodies: express + onnxruntime-node');
  const express = await withBaseline(await startBaseline('express-ort', 'express-ort.ts', [`--model=${MODEL_NAMES.mlp}=${ctx.models.mlpFile}`]),
    (s) => loadContender(ctx, BODY_CONTENDERS.express, s));
  ctx.log('Bodies: decode cost in-process');
  const decodes = decodeCosts(ctx.options.durationSec * 200);
  const all = [...off.results, ...on.results, ...bare, ...express];
  ctx.extraRatios.push(...goals(all, decodes));
  const loadRows: Table = {
    columns: ['contender', 'body', 'c', 'req/s', 'p50 ms', 'p99 ms', 'server CPU µs/req', 'errors'],
    rows: all.sort((a, b) => a.model.localeCompare(b.model) || a.concurrency - b.concurrency || a.contender.localeCompare(b.contender))
      .map((r) => [r.contender, r.model, String(r.concurrency), num(r.rps), num(r.p50), num(r.p99), num(r.cpuUsPerRequest ?? NaN), String(r.errors)]),
  };
  const decodeRows: Table = {
    columns: ['body', 'bytes', 'inferd decode CPU µs', 'JSON.parse CPU µs', 'ratio'],
    rows: decodes.map((d) => [d.body, String(d.bytes), num(d.inferdUs), num(d.jsonParseUs), `${(d.inferdUs / d.jsonParseUs).toFixed(2)}×`]),
  };
  return {
    title: 'Bodies real clients send (issue 11)',
    intro: [
      `MLP (784 → 1024 → 1024 → 10), one row per request: the 3-decimal body (${MLP_BODIES['3dec'].length} bytes) and the Python-float body`,
      `(${MLP_BODIES.python.length} bytes, \`json.dumps({"instances": x.tolist()})\` of float32 data). Contenders run one at a time:`,
      '`inferd serve` with default flags, the same with `--enable_batching` (max_batch_size 32, batch_timeout_micros 0, num_batch_threads 1),',
      'bare node:http answering inferd\'s bytes, express + onnxruntime-node (bench/baseline/express-ort.ts). Server CPU per request = utime + stime of the',
      'server process (all threads) over the measured window ÷ answered requests. The second table decodes bodies in the bench\'s own process:',
      'inferd\'s decoder (`parsePredictRequest` + `decodePredictInputs`: bytes → tape → typed arrays) against `JSON.parse(buffer.toString())` of the same bytes.',
    ].join(' '),
    tables: [loadRows, decodeRows],
  };
}
