/**
 * Multi-core scaling of `inferd serve` (issue 11: "a box with 16 cores must not serve at one core's speed").
 * Plain-node runnable once compiled (`npm run build && npm run build:bench`, then `node dist-bench/bench/multicore.js`):
 * no tsx, no wrk, no network. For each core count N it builds the bench MLP (784 → 1024 → 1024 → 10, ONNX), starts
 * `inferd serve` from dist/ (bin/inferd.js) pinned with `taskset -c 0-(N-1)`, once per `--processes` setting (default
 * `1,auto`: one serving process, then --processes=0, one per two cores; the same setting twice is measured once).
 * Thread counts are the server's defaults, which follow the N pinned cores (os.availableParallelism() honours the
 * affinity mask): one process gets N REST codec threads, up to N ONNX run threads (one session each) and N batch
 * threads; P processes get ceil(N / P) of each per process. Intra-op 1, batching on (max_batch_size 32). It drives
 * it with inferd's own load generator (`inferd bench`, src/loadgen) from separate client processes pinned to the
 * remaining cores (at N = all cores they share the server's cores; the table says so): REST JSON with the
 * Python-float body and gRPC tensor_content, each at every concurrency. Server CPU µs/request and cores busy come
 * from /proc/PID/stat of the server and its descendants over the clients' measured windows. Prints a markdown
 * table and writes everything as JSON to --out.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { BenchReport } from '../src/loadgen/report.ts';
import { buildModels, MODEL_NAMES } from './models.ts';
import { REST_BODIES } from './payloads.ts';
import { processCpuMicros, treeCpuMicros, treeRssBytes } from './proc-stat.ts';

const HELP = `usage: node dist-bench/bench/multicore.js [--cores 1,4,16] [--processes 1,auto] [--concurrency 32,256] [--seconds 8]
       [--clients 4] [--protocols rest,grpc] [--batching on|off] [--out multicore.json]`;

/** The repository root: the nearest folder above this file holding bin/inferd.js (works from bench/ and dist-bench/bench/). */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'bin', 'inferd.js'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('bin/inferd.js not found above the bench');
    dir = up;
  }
  return dir;
}

const ROOT = repoRoot();
const INFERD = join(ROOT, 'bin', 'inferd.js');

interface Options {
  readonly cores: number[];
  /** `--processes` values to run at each core count: a number, or 'auto' (`--processes=0`). */
  readonly processes: (number | 'auto')[];
  readonly concurrency: number[];
  readonly seconds: number;
  readonly clients: number;
  readonly protocols: ('rest' | 'grpc')[];
  readonly batching: boolean;
  readonly out: string | undefined;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      cores: { type: 'string', default: '1,4,16' },
      processes: { type: 'string', default: '1,auto' },
      concurrency: { type: 'string', default: '32,256' },
      seconds: { type: 'string', default: '8' },
      clients: { type: 'string', default: '4' },
      protocols: { type: 'string', default: 'rest,grpc' },
      batching: { type: 'string', default: 'on' },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    process.exit(0);
  }
  const list = (s: string, what: string): number[] => {
    const l = s.split(',').map(Number);
    if (l.some((v) => !Number.isInteger(v) || v < 1)) throw new Error(`--${what} takes positive integers, got "${s}"`);
    return l;
  };
  const protocols = values.protocols.split(',');
  if (protocols.some((p) => p !== 'rest' && p !== 'grpc')) throw new Error(`--protocols takes rest and/or grpc, got "${values.protocols}"`);
  const seconds = Number(values.seconds);
  if (!(seconds > 0)) throw new Error(`--seconds must be > 0, got "${values.seconds}"`);
  const processes = values.processes.split(',').map((p) => (p === 'auto' ? 'auto' as const : Number(p)));
  if (processes.some((p) => p !== 'auto' && !(Number.isInteger(p) && p >= 1))) throw new Error(`--processes takes positive integers and auto, got "${values.processes}"`);
  return {
    cores: list(values.cores, 'cores'),
    processes,
    concurrency: list(values.concurrency, 'concurrency'),
    seconds,
    clients: list(values.clients, 'clients')[0]!,
    protocols: protocols as ('rest' | 'grpc')[],
    batching: values.batching !== 'off',
    out: values.out,
  };
}

/** `taskset -c <cpus>` prefix, or none when taskset is missing or the list covers every core. */
function pinned(cpus: string | null, hasTaskset: boolean): string[] {
  return cpus !== null && hasTaskset ? ['taskset', '-c', cpus] : [];
}

function startChild(argv: string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
  const [cmd, ...args] = argv;
  return spawn(cmd!, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
}

function collect(child: ChildProcess): { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  return { out: () => out, err: () => err };
}

const exited = (child: ChildProcess): Promise<number | null> =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve(child.exitCode) : new Promise((res) => child.once('exit', (code) => res(code)));

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = exited(child);
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await done;
  clearTimeout(timer);
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = net.createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => res(port));
    });
  });
}

interface Server {
  readonly child: ChildProcess;
  /** Serving processes it runs (the listening line's `processes`; 1 when absent). */
  readonly processes: number;
  readonly restUrl: string;
  readonly grpcAddress: string;
}

/** Start `inferd serve` pinned to cores 0..n-1 with `--processes` and wait until it answers a predict. */
async function startServer(n: number, total: number, hasTaskset: boolean, configFile: string, paramsFile: string | null, processes: number | 'auto'): Promise<Server> {
  const [restPort, grpcPort] = [await freePort(), await freePort()];
  const flags = [
    'serve', '--host=127.0.0.1', `--rest_api_port=${restPort}`, `--port=${grpcPort}`, '--log_level=warn',
    `--processes=${processes === 'auto' ? 0 : processes}`,
    `--model_config_file=${configFile}`, '--tensorflow_intra_op_parallelism=1',
    ...(paramsFile === null ? [] : ['--enable_batching', `--batching_parameters_file=${paramsFile}`]),
  ];
  const child = startChild([...pinned(n < total ? `0-${n - 1}` : null, hasTaskset), process.execPath, INFERD, ...flags]);
  const io = collect(child);
  const deadline = Date.now() + 120_000;
  while (!io.out().includes('"event":"listening"')) {
    if (child.exitCode !== null) throw new Error(`inferd serve exited with ${child.exitCode}:\n${io.err()}`);
    if (Date.now() > deadline) {
      await stop(child);
      throw new Error(`inferd serve did not listen in 120 s:\n${io.err()}`);
    }
    await sleep(100);
  }
  const line = io.out().split('\n').find((l) => l.includes('"event":"listening"')) ?? '{}';
  const running = (JSON.parse(line) as { processes?: number }).processes ?? 1;
  const restUrl = `http://127.0.0.1:${restPort}`;
  const res = await fetch(`${restUrl}/v1/models/${MODEL_NAMES.mlp}:predict`, { method: 'POST', body: REST_BODIES.mlpPython });
  if (res.status !== 200) throw new Error(`inferd answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
  return { child, processes: running, restUrl, grpcAddress: `127.0.0.1:${grpcPort}` };
}

/** One load step's numbers (all client processes together). */
interface Step {
  readonly cores: number;
  /** Serving processes (`--processes`). */
  readonly processes: number;
  readonly protocol: 'rest' | 'grpc';
  readonly concurrency: number;
  readonly clients: number;
  /** Where the clients ran: `cores a-b` or `shared with the server (all cores)`. */
  readonly clientCpus: string;
  readonly throughput: number;
  /** Request-weighted mean of the clients' p50s, ms. */
  readonly p50: number;
  /** Largest of the clients' p99s, ms (an upper bound of the merged p99). */
  readonly p99: number;
  readonly errors: number;
  /** Server (and descendants) CPU per successful request over the measured span, µs. */
  readonly serverCpuUsPerRequest: number;
  /** Server CPU seconds per wall second over the measured span. */
  readonly serverCoresBusy: number;
  /** Client processes' CPU seconds per wall second over the same span. */
  readonly clientCoresBusy: number;
  readonly serverRssMiB: number;
}

interface StepPlan {
  readonly cores: number;
  readonly processes: number;
  readonly total: number;
  readonly protocol: 'rest' | 'grpc';
  readonly concurrency: number;
  readonly clients: number;
  readonly seconds: number;
  readonly bodyFile: string;
  readonly hasTaskset: boolean;
}

const WARMUP_SECONDS = 1;

async function runStep(server: Server, plan: StepPlan, dir: string): Promise<Step> {
  const clientCpus = plan.cores < plan.total ? `${plan.cores}-${plan.total - 1}` : null;
  const window = plan.seconds / 3;
  const perClient = Array.from({ length: plan.clients }, (_, i) => Math.floor(plan.concurrency / plan.clients) + (i < plan.concurrency % plan.clients ? 1 : 0)).filter((c) => c > 0);
  const target = plan.protocol === 'rest' ? ['--url', server.restUrl] : ['--grpc', server.grpcAddress, '--tensor-content'];
  const clients = perClient.map((c, i) => {
    const json = join(dir, `client-${plan.cores}-${plan.protocol}-${plan.concurrency}-${i}.json`);
    const child = startChild([
      ...pinned(clientCpus, plan.hasTaskset), process.execPath, INFERD, 'bench', ...target, '--model', MODEL_NAMES.mlp, '--input', plan.bodyFile,
      '--concurrency', String(c), `--warmup-seconds=${WARMUP_SECONDS}`, `--window-seconds=${window}`, '--stability=99', '--max-windows=3', '--json', json,
    ]);
    return { child, json, io: collect(child), done: exited(child) };
  });
  const serverPid = server.child.pid!;
  // Sample CPU every 200 ms until every client has exited. A client's measured windows are the 3 × window seconds
  // before its exit, so the span every client was measuring in is [last exit − 3 windows, first exit].
  const samples: { t: number; server: number; clients: number }[] = [];
  const exits: number[] = [];
  for (const c of clients) void c.done.then(() => exits.push(performance.now()));
  while (exits.length < clients.length) {
    samples.push({ t: performance.now(), server: treeCpuMicros(serverPid), clients: clients.reduce((s, c) => s + processCpuMicros(c.child.pid!), 0) });
    await sleep(200);
  }
  const codes = await Promise.all(clients.map((c) => c.done));
  const rss = treeRssBytes(serverPid);
  const reports: BenchReport[] = [];
  for (const [i, c] of clients.entries()) {
    if (codes[i] !== 0 && codes[i] !== 2) throw new Error(`inferd bench exited with ${codes[i]}:\n${c.io.err()}`);
    reports.push(JSON.parse(await readFile(c.json, 'utf8')) as BenchReport);
  }
  const firstExit = Math.min(...exits);
  let from = Math.max(...exits) - plan.seconds * 1000;
  if (firstExit - from < 1000) from = firstExit - plan.seconds * 1000; // clients started far apart: the first one's windows
  const span = samples.filter((s) => s.t >= from && s.t <= firstExit);
  const a = span[0] ?? samples[0]!;
  const b = span[span.length - 1] ?? samples[samples.length - 1]!;
  const wallUs = Math.max(1, (b.t - a.t) * 1000);
  const steps = reports.map((r) => r.steps[0]!);
  const throughput = steps.reduce((s, x) => s + x.throughput, 0);
  const serverCoresBusy = (b.server - a.server) / wallUs;
  return {
    cores: plan.cores, processes: plan.processes, protocol: plan.protocol, concurrency: plan.concurrency, clients: perClient.length,
    clientCpus: clientCpus === null ? `shared with the server (all ${plan.total} cores)` : `cores ${clientCpus}`,
    throughput,
    p50: steps.reduce((s, x) => s + x.latency.p50 * x.throughput, 0) / Math.max(1e-9, throughput),
    p99: Math.max(...steps.map((x) => x.latency.p99)),
    errors: steps.reduce((s, x) => s + Object.values(x.errors).reduce((t, n) => t + n, 0), 0),
    serverCpuUsPerRequest: throughput > 0 ? (serverCoresBusy * 1e6) / throughput : 0,
    serverCoresBusy,
    clientCoresBusy: (b.clients - a.clients) / wallUs,
    serverRssMiB: rss / 2 ** 20,
  };
}

const fmt = (v: number, digits = 0): string => v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function table(steps: readonly Step[]): string {
  const lines = [
    '| server cores | processes | protocol, body | c | clients (cpus) | req/s | p50 ms | p99 ms | server CPU µs/req | server cores busy | client cores busy | server RSS MiB | errors |',
    '|---:|---:|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const s of steps) {
    const what = s.protocol === 'rest' ? 'REST JSON, Python floats' : 'gRPC tensor_content';
    lines.push(`| ${s.cores} | ${s.processes} | ${what} | ${s.concurrency} | ${s.clients} (${s.clientCpus}) | ${fmt(s.throughput)} | ${fmt(s.p50, 2)} | ${fmt(s.p99, 2)} | ${fmt(s.serverCpuUsPerRequest)} | ${fmt(s.serverCoresBusy, 2)} | ${fmt(s.clientCoresBusy, 2)} | ${fmt(s.serverRssMiB)} | ${s.errors} |`);
  }
  return lines.join('\n');
}

/**
 * Throughput of each (cores, processes) over the first step's (smallest core count, first processes setting), and
 * over one process at the same core count, per protocol and concurrency.
 */
function scaling(steps: readonly Step[]): string {
  const base = steps[0];
  if (!base) return '';
  const same = (a: Step, b: Step) => a.protocol === b.protocol && a.concurrency === b.concurrency;
  const rows = steps.filter((s) => s.cores !== base.cores || s.processes !== base.processes).map((s) => {
    const ref = steps.find((r) => r.cores === base.cores && r.processes === base.processes && same(r, s));
    const single = steps.find((r) => r.cores === s.cores && r.processes === 1 && same(r, s));
    if (!ref || ref.throughput <= 0) return null;
    const vsSingle = single && single !== s && single.throughput > 0 ? `${fmt(s.throughput / single.throughput, 2)}×` : '';
    return `| ${s.protocol} c=${s.concurrency} | ${base.cores} cores × ${base.processes} → ${s.cores} cores × ${s.processes} processes | ${fmt(s.throughput / ref.throughput, 2)}× | ${vsSingle} |`;
  }).filter((r) => r !== null);
  return rows.length === 0 ? '' : ['| step | cores × processes | req/s ratio | vs 1 process, same cores |', '|---|---|---:|---:|', ...rows].join('\n');
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const total = os.availableParallelism();
  const hasTaskset = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  const cores = options.cores.filter((n) => n <= total);
  for (const n of options.cores) if (n > total) process.stderr.write(`skipping ${n} cores: this machine has ${total}\n`);
  const models = await buildModels();
  const dir = await mkdtemp(join(os.tmpdir(), 'inferd-multicore-'));
  const bodyFile = join(dir, 'python-floats.json');
  await writeFile(bodyFile, REST_BODIES.mlpPython);
  const machine = { cpus: total, cpuModel: os.cpus()[0]?.model ?? 'unknown', node: process.version, platform: `${os.platform()} ${os.release()}`, taskset: hasTaskset, loadavg: os.loadavg() };
  process.stdout.write(`# inferd multi-core bench\n\n${new Date().toISOString()}; ${machine.cpus} cores (${machine.cpuModel}), node ${machine.node}, ${machine.platform}; load average ${machine.loadavg.map((l) => l.toFixed(2)).join(' ')}${hasTaskset ? '' : '; taskset missing: NOTHING IS PINNED'}\n`);
  process.stdout.write(`MLP 784 → 1024 → 1024 → 10 (ONNX), one row per request; REST body ${REST_BODIES.mlpPython.length} bytes (Python floats); gRPC tensor_content of the same row. Serving processes: ${options.processes.join(', ')} per core count; threads: the server's defaults for its share of the N cores. Batching ${options.batching ? 'on (max_batch_size 32, batch_timeout_micros 0, num_batch_threads: default)' : 'off'}; ${options.seconds} s measured per step after ${WARMUP_SECONDS} s warm-up; ${options.clients} client processes (\`inferd bench\`).\n\n`);
  const steps: Step[] = [];
  try {
    let paramsFile: string | null = null;
    if (options.batching) {
      // num_batch_threads unset: each process's default, its share of the cores it is pinned to.
      paramsFile = join(dir, 'batching.config');
      await writeFile(paramsFile, 'max_batch_size { value: 32 }\nbatch_timeout_micros { value: 0 }\nmax_enqueued_batches { value: 1000 }\n');
    }
    for (const n of cores) {
      const measured = new Set<number>();
      for (const setting of options.processes) {
        const server = await startServer(n, total, hasTaskset, models.configFile, paramsFile, setting);
        try {
          if (measured.has(server.processes)) {
            process.stderr.write(`${n} cores: --processes=${setting} runs ${server.processes} process(es), measured already\n`);
            continue;
          }
          measured.add(server.processes);
          const idleRss = treeRssBytes(server.child.pid!) / 2 ** 20;
          process.stderr.write(`${n} cores, ${server.processes} process(es): inferd serve pid ${server.child.pid}, RSS ${idleRss.toFixed(0)} MiB after one request\n`);
          for (const protocol of options.protocols) {
            for (const concurrency of options.concurrency) {
              const step = await runStep(server, { cores: n, processes: server.processes, total, protocol, concurrency, clients: Math.min(options.clients, concurrency), seconds: options.seconds, bodyFile, hasTaskset }, dir);
              steps.push(step);
              process.stderr.write(`  ${protocol} c=${concurrency}: ${fmt(step.throughput)} req/s, p50 ${fmt(step.p50, 2)} ms, server ${fmt(step.serverCoresBusy, 2)} cores busy, ${fmt(step.serverCpuUsPerRequest)} µs CPU/req, errors ${step.errors}\n`);
            }
          }
        } finally {
          await stop(server.child);
        }
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
    await rm(models.root, { recursive: true, force: true });
  }
  process.stdout.write(`${table(steps)}\n\n`);
  const scale = scaling(steps);
  if (scale) process.stdout.write(`${scale}\n\n`);
  process.stdout.write('p50: request-weighted mean of the client processes\' p50s; p99: the largest client p99. Server CPU: /proc/PID/stat of inferd serve and its descendants over the measured span.\n');
  if (cores.includes(total)) process.stdout.write(`At ${total} cores the clients share the server's cores: that row understates the server.\n`);
  if (options.out) {
    await writeFile(resolve(options.out), `${JSON.stringify({ tool: 'bench/multicore', date: new Date().toISOString(), machine, options, steps }, null, 2)}\n`);
    process.stdout.write(`wrote ${options.out}\n`);
  }
}

await main();
