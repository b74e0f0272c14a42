/**
 * c=1 latency with batching on vs off (issue 11: "c=1 p50 with batching on ≤ 1.05× off"), measured so that a
 * loaded machine hurts both sides alike: two `inferd serve` processes (same flags but --enable_batching with
 * max_batch_size 32, batch_timeout_micros 0) stay up side by side, and one keep-alive client alternates rounds of
 * sequential requests between them; the ratio is taken per round and the median reported.
 * `npx tsx bench/c1-batching.ts [rounds] [requestsPerRound]`; prints markdown table rows.
 */
import { rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { join } from 'node:path';
import { buildModels, MODEL_NAMES } from './models.ts';
import { REST_BODIES } from './payloads.ts';
import { startInferd, type InferdServer } from './processes.ts';

const rounds = Number(process.argv[2] ?? 20);
const perRound = Number(process.argv[3] ?? 200);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function post(url: URL, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - t0) : reject(new Error(`status ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

async function p50(server: InferdServer, body: string, n: number): Promise<number> {
  const url = new URL(`${server.restUrl}/v1/models/${MODEL_NAMES.mlp}:predict`);
  const lat: number[] = [];
  for (let i = 0; i < n; i++) lat.push(await post(url, body));
  return median(lat);
}

const models = await buildModels();
const params = join(models.root, 'batching.config');
await writeFile(params, 'max_batch_size { value: 32 }\nbatch_timeout_micros { value: 0 }\nmax_enqueued_batches { value: 1000 }\nnum_batch_threads { value: 1 }\n');
const off = await startInferd({ args: [`--model_config_file=${models.configFile}`] });
const on = await startInferd({ args: [`--model_config_file=${models.configFile}`, '--enable_batching', `--batching_parameters_file=${params}`] });
try {
  for (const [name, body] of [['3dec', REST_BODIES.mlp], ['python', REST_BODIES.mlpPython]] as const) {
    await p50(off, body, 100);
    await p50(on, body, 100);
    const ratios: number[] = [];
    const offs: number[] = [];
    const ons: number[] = [];
    for (let r = 0; r < rounds; r++) {
      // Alternate which server goes first, so a drift in machine load does not favour one side.
      let a: number;
      let b: number;
      if (r % 2 === 0) {
        a = await p50(off, body, perRound);
        b = await p50(on, body, perRound);
      } else {
        b = await p50(on, body, perRound);
        a = await p50(off, body, perRound);
      }
      offs.push(a);
      ons.push(b);
      ratios.push(b / a);
    }
    process.stdout.write(`| ${name} | ${median(offs).toFixed(3)} | ${median(ons).toFixed(3)} | ${median(ratios).toFixed(3)}× | ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)} |\n`);
  }
} finally {
  agent.destroy();
  await Promise.all([off.stop(), on.stop()]);
  await rm(models.root, { recursive: true, force: true });
}
