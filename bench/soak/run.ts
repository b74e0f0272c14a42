/**
 * Soak (issue 9; not in CI): `npx tsx bench/soak/run.ts [--minutes=N] [--clients=32] [--reload-seconds=3]`.
 * Starts `inferd serve` as a user would (SavedModel and ONNX models built here, a --model_config_file polled every
 * second), then for N minutes runs mixed traffic: good predicts on both models, bad ones (malformed JSON, wrong
 * dtype, unknown model, zero-size and rank-9 inputs, empty reductions after victim requests), while rewriting the
 * config every few seconds (base path, version policy, a model added and removed). Every 10 s and at the end it
 * prints the server's RSS and open fds, requests by outcome, and failed requests: a good request that did not get
 * 200, a bad one that got a 5xx or no answer, or any answer whose value is not the input's function.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, REPO_ROOT } from '../../test/support/serve.ts';
import { addVersion } from '../../test/server/helpers.ts';
import { writeAddConstant, writeReduction } from '../../test/support/savedmodel-small.ts';

const arg = (name: string, fallback: number): number => {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit ? Number(hit.split('=')[1]) : fallback;
};
const MINUTES = arg('minutes', 5);
const CLIENTS = arg('clients', 32);
const RELOAD_SECONDS = arg('reload-seconds', 3);

const dir = await mkdtemp(path.join(tmpdir(), 'inferd-soak-'));
for (const p of [0, 1]) for (const v of [1, 2, 3]) writeAddConstant(path.join(dir, `a${p}`, String(v)), 100 * p + v);
writeReduction(path.join(dir, 'mean', '1'), 'Mean', 1);
await addVersion(path.join(dir, 'onnx'), 1);
await addVersion(path.join(dir, 'extra'), 5);
const configFile = path.join(dir, 'models.config');
const config = (i: number): string => {
  const model = (name: string, base: string, platform: string, latest: number) =>
    `config { name: "${name}" base_path: "${base}" model_platform: "${platform}" model_version_policy { latest { num_versions: ${latest} } } }`;
  return `model_config_list {\n${[
    model('a', path.join(dir, `a${Math.floor(i / 2) % 2}`), 'tensorflow', 1 + (i % 2)),
    model('mean', path.join(dir, 'mean'), 'tensorflow', 1),
    model('onnx', path.join(dir, 'onnx'), 'onnx', 1),
    ...(i % 3 === 1 ? [model('extra', path.join(dir, 'extra'), 'onnx', 1)] : []),
  ].join('\n')}\n}\n`;
};
await writeFile(configFile, config(0));

const port = await freePort();
const grpcPort = await freePort();
const server = spawn(process.execPath, [
  path.join(REPO_ROOT, 'bin', 'inferd.js'), 'serve', '--host=127.0.0.1', `--rest_api_port=${port}`, `--port=${grpcPort}`,
  `--model_config_file=${configFile}`, '--model_config_file_poll_wait_seconds=1', '--file_system_poll_wait_seconds=1',
], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
server.stderr.resume();
await new Promise<void>((resolve, reject) => {
  let out = '';
  server.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.includes('"event":"listening"')) resolve();
  });
  server.once('exit', (code) => reject(new Error(`inferd serve exited ${code}`)));
});

// Listening comes before the first loads finish: wait until every model answers its status with AVAILABLE.
for (const model of ['a', 'mean', 'onnx']) {
  for (;;) {
    const res = await fetch(`http://127.0.0.1:${port}/v1/models/${model}`).catch(() => undefined);
    if (res && (await res.text()).includes('AVAILABLE')) break;
    await new Promise((r) => setTimeout(r, 200));
  }
}
const pid = server.pid as number;
const rssMiB = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
const fds = () => readdirSync(`/proc/${pid}/fd`).length;
const counts = { good: 0, bad: 0, failed: 0 };
const failures: string[] = [];
const fail = (what: string) => {
  counts.failed++;
  if (failures.length < 20) failures.push(what);
};

const url = (model: string) => `http://127.0.0.1:${port}/v1/models/${model}:predict`;
async function post(model: string, body: string): Promise<{ status: number; json?: unknown }> {
  const res = await fetch(url(model), { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  const text = await res.text();
  try {
    return { status: res.status, json: JSON.parse(text.replace(/\bNaN\b/g, 'null')) };
  } catch {
    return { status: res.status };
  }
}

const A_CONSTANTS = new Set([1, 2, 3, 101, 102, 103]);
type Step = () => Promise<void>;
const good: Step[] = [
  async () => {
    const x = Math.round(Math.random() * 100);
    const r = await post('a', JSON.stringify({ instances: [x] }));
    const y = (r.json as { predictions?: number[] } | undefined)?.predictions?.[0];
    if (r.status !== 200 || y === undefined || !A_CONSTANTS.has(y - x)) fail(`a(${x}): ${r.status} ${JSON.stringify(r.json)}`);
  },
  async () => {
    const x = Math.round(Math.random() * 100);
    const r = await post('onnx', JSON.stringify({ instances: [x] }));
    const y = (r.json as { predictions?: number[] } | undefined)?.predictions?.[0];
    if (r.status !== 200 || y !== x + 1) fail(`onnx(${x}): ${r.status} ${JSON.stringify(r.json)}`);
  },
  async () => {
    // Victim, then an empty reduction: Mean over an empty axis is NaN (null in the parsed JSON), never a value.
    await post('mean', JSON.stringify({ inputs: Array.from({ length: 16 }, (_, i) => Array.from({ length: 16 }, (_, j) => 5000 + i * 16 + j)) }));
    const r = await post('mean', JSON.stringify({ inputs: [[], []] }));
    const out = (r.json as { outputs?: unknown[] } | undefined)?.outputs;
    if (r.status !== 200 || JSON.stringify(out) !== '[null,null]') fail(`mean([[],[]]): ${r.status} ${JSON.stringify(r.json)}`);
  },
  async () => {
    const deep = (n: number): unknown => (n === 0 ? [1, 2] : [deep(n - 1)]);
    const r = await post('a', JSON.stringify({ inputs: deep(8) }));
    const flat = JSON.stringify((r.json as { outputs?: unknown } | undefined)?.outputs ?? '').match(/-?\d+(\.\d+)?/g)?.map(Number) ?? [];
    if (r.status !== 200 || flat.length !== 2 || !A_CONSTANTS.has((flat[0] ?? 0) - 1) || (flat[1] ?? 0) - (flat[0] ?? 0) !== 1) fail(`a(rank 9): ${r.status} ${JSON.stringify(r.json)}`);
  },
];
const bad: (() => Promise<number>)[] = [
  async () => (await post('a', '{"instances": [1, ')).status,
  async () => (await post('a', '{"instances": ["text"]}')).status,
  async () => (await post('nope', '{"instances": [1]}')).status,
  async () => (await post('onnx', '{"inputs": [[1, 2], [3]]}')).status,
];

let running = true;
async function client(): Promise<void> {
  while (running) {
    try {
      if (Math.random() < 0.7) {
        counts.good++;
        await (good[Math.floor(Math.random() * good.length)] as Step)();
      } else {
        counts.bad++;
        const status = await (bad[Math.floor(Math.random() * bad.length)] as () => Promise<number>)();
        if (status >= 500 || status < 400) fail(`bad request answered ${status}`);
      }
    } catch (err) {
      fail(`no answer: ${String(err)}`);
    }
  }
}

const started = Date.now();
const report = (label: string) => {
  const s = ((Date.now() - started) / 1000).toFixed(0);
  process.stdout.write(`${label} t=${s}s rss=${rssMiB().toFixed(0)}MiB fds=${fds()} good=${counts.good} bad=${counts.bad} failed=${counts.failed} load=${loadavg().map((l) => l.toFixed(2)).join(',')}\n`);
};
report('start');
const clients = Array.from({ length: CLIENTS }, client);
let cycle = 0;
// Rewritten the way operators should (write a temporary file, then rename): a reader never sees a half-written file.
const reloads = setInterval(() => {
  const next = config(++cycle);
  void writeFile(`${configFile}.tmp`, next).then(() => rename(`${configFile}.tmp`, configFile));
}, RELOAD_SECONDS * 1000);
const ticker = setInterval(() => report('tick'), 10_000);
await new Promise((r) => setTimeout(r, MINUTES * 60_000));
clearInterval(reloads);
clearInterval(ticker);
running = false;
await Promise.all(clients);
report(`end (${cycle} reload cycles)`);
for (const f of failures) process.stdout.write(`  failed: ${f}\n`);
server.kill('SIGTERM');
await new Promise((r) => server.once('exit', r));
await rm(dir, { recursive: true, force: true });
process.exit(counts.failed === 0 ? 0 : 1);
