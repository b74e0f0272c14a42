/**
 * Issue 2's REST scenario: `inferd serve` (both models, no batching) against ceiling (a), a bare node:http server
 * that reads the same bodies and answers the bytes inferd answered. Each server runs alone while it is loaded.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CONTENDERS, logResult, type BenchContext } from '../context.ts';
import { restLoad } from '../load-rest.ts';
import { MODEL_NAMES } from '../models.ts';
import { REST_BODIES } from '../payloads.ts';
import { startBaseline, startInferd } from '../processes.ts';
import { loadTable, type Section } from '../report.ts';
import type { LoadResult } from '../results.ts';

const MODELS = [MODEL_NAMES.tiny, MODEL_NAMES.mlp] as const;

/** Load every model at every concurrency against one server; results are appended to ctx.results. */
export async function sweep(ctx: BenchContext, contender: string, url: string, models: readonly (keyof typeof REST_BODIES)[]): Promise<LoadResult[]> {
  const out: LoadResult[] = [];
  for (const model of models) {
    for (const concurrency of ctx.options.concurrency) {
      const r = await restLoad({ contender, url, model, body: REST_BODIES[model], concurrency, durationSec: ctx.options.durationSec, warmupSec: ctx.options.warmupSec });
      logResult(ctx, r);
      ctx.results.push(r);
      out.push(r);
    }
  }
  return out;
}

/** Fetch what a server answers for each model's body (and check it is a 200 with predictions). */
export async function fetchResponses(url: string): Promise<Record<string, string>> {
  const answers: Record<string, string> = {};
  for (const model of MODELS) {
    const res = await fetch(`${url}/v1/models/${model}:predict`, { method: 'POST', body: REST_BODIES[model], headers: { 'content-type': 'application/json' } });
    const text = await res.text();
    if (res.status !== 200 || !text.includes('"predictions"')) throw new Error(`${model}: inferd answered ${res.status} ${text.slice(0, 200)}`);
    answers[model] = text;
  }
  return answers;
}

/** Run the group. */
export async function restGroup(ctx: BenchContext): Promise<Section> {
  ctx.log('REST: inferd serve (tiny + mlp)');
  const profileDir = ctx.options.profileDir ? join(ctx.options.profileDir, 'inferd-rest') : null;
  if (profileDir) await mkdir(profileDir, { recursive: true });
  const inferd = await startInferd({ args: [`--model_config_file=${ctx.models.configFile}`], profileDir });
  let inferdResults: LoadResult[];
  try {
    ctx.cannedResponses = await fetchResponses(inferd.restUrl);
    inferdResults = await sweep(ctx, CONTENDERS.inferdRest, inferd.restUrl, MODELS);
  } finally {
    await inferd.stop();
  }
  ctx.log('REST: bare node:http (canned responses)');
  const responsesFile = join(ctx.models.root, 'responses.json');
  await writeFile(responsesFile, JSON.stringify(ctx.cannedResponses));
  const bare = await startBaseline('bare-http', 'bare-http.ts', [`--responses=${responsesFile}`]);
  let bareResults: LoadResult[];
  try {
    bareResults = await sweep(ctx, CONTENDERS.bareHttp, bare.url, MODELS);
  } finally {
    await bare.stop();
  }
  ctx.log('REST: fastify (canned responses), tiny only');
  const fastify = await startBaseline('fastify-canned', 'fastify-canned.ts', [`--responses=${responsesFile}`]);
  try {
    bareResults.push(...(await sweep(ctx, CONTENDERS.fastifyCanned, fastify.url, [MODEL_NAMES.tiny])));
  } finally {
    await fastify.stop();
  }
  return {
    title: 'REST predict: inferd vs a bare node:http server (issue 2)',
    intro: [
      `\`POST /v1/models/<model>:predict\`, row format, one request in flight per connection (autocannon, keep-alive).`,
      `\`tiny\` is y = 0.5x + 2 with body \`${REST_BODIES.tiny}\`; \`mlp\` is 784 → 1024 → 1024 → 10 with one 784-value row (${REST_BODIES.mlp.length} bytes).`,
      'inferd runs `inferd serve --model_config_file=… --log_level=warn` with default flags (no batching, 1 intra-op thread per ONNX session).',
      'The bare node:http server reads the whole body and answers the exact bytes inferd answered for it (no JSON parsing, no model).',
      '`fastify, canned` (tiny only) does the same inside fastify with a buffer body parser: bare → fastify is the framework\'s share of the gap, fastify → inferd is inferd\'s request path plus the runtime call.',
      'Latencies are per response from autocannon\'s response event (sub-millisecond resolution).',
    ].join(' '),
    tables: [loadTable([...inferdResults, ...bareResults].sort((a, b) => a.model.localeCompare(b.model) || a.concurrency - b.concurrency || a.contender.localeCompare(b.contender)))],
  };
}
