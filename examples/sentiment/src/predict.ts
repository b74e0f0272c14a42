/**
 * Classify reviews with the served sentiment model, the way the seed's Python client does: tokenize, then POST
 * `{"instances": [[token ids…], …]}` to TensorFlow Serving's REST API.
 *
 *   npx tsx examples/sentiment/src/predict.ts [--url http://127.0.0.1:8501] "what a great film" "boring plot"
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { pad, tokenize } from './data.ts';

/** Positive-review probabilities from the server for each sentence (rows padded to the longest sentence). */
export async function classifySentences(url: string, sentences: readonly string[]): Promise<number[]> {
  const ids = sentences.map(tokenize);
  const length = Math.max(1, ...ids.map((r) => r.length));
  const res = await fetch(`${url}/v1/models/sentiment:predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ instances: ids.map((r) => pad(r, length)) }),
  });
  const body = (await res.json()) as { predictions?: number[][]; error?: string };
  if (!res.ok || body.predictions === undefined) throw new Error(body.error ?? `HTTP ${res.status}`);
  return body.predictions.map((p) => p[0] as number);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { url: { type: 'string', default: 'http://127.0.0.1:8501' } } });
  const sentences = positionals.length > 0 ? positionals : ['what a wonderful film', 'the plot was boring and the acting awful'];
  const scores = await classifySentences(values.url, sentences);
  sentences.forEach((s, i) => console.log(`${(scores[i] ?? NaN) >= 0.5 ? 'positive' : 'negative'} (${(scores[i] ?? NaN).toFixed(3)})  ${s}`));
}
