/**
 * Side-by-side gRPC comparison of two inferd checkouts in one run (issue 4): `--before=DIR` (another checkout's root,
 * e.g. `git archive <commit> | tar -x -C DIR` with node_modules linked) against this one. Rounds alternate
 * before/after so machine noise hits both alike; each cell is the median over rounds. Steps: MLP Predict with the
 * 1×784 input as float_val and as tensor_content at each concurrency, y = 0.5x + 2 on one float at c=32 (transport
 * cost without the model), and the 4 MiB float32 round trip on
 * y = 0.5x + 2 with the default (typed float_val) output. Also reports the server's CPU time per call (Linux /proc),
 * which is steadier than req/s on a shared machine.
 * Usage: `npx tsx bench/grpc-ab.ts --before=/tmp/inferd-before [--rounds=2] [--seconds=3] [--concurrency=1,8,32]
 *   [--client=http2|grpc-js]`.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT, freePort } from '../test/support/serve.ts';
import { PredictClient, encodePredict, grpcLoad, roundTrip, type FloatEncoding, type GrpcClientTransport } from './load-grpc.ts';
import { MLP_OPTIONS, MODEL_NAMES, buildModels } from './models.ts';
import { LARGE_TENSOR_ELEMENTS, largeTensor, mlpRow } from './payloads.ts';
import { stopChild } from './processes.ts';

const { values } = parseArgs({
  options: {
    before: { type: 'string' },
    rounds: { type: 'string', default: '2' },
    seconds: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '1,8,32' },
    client: { type: 'string', default: 'http2' },
  },
});
if (!values.before) throw new Error('--before=DIR is required');
const seconds = Number(values.seconds);
const transport = values.client as GrpcClientTransport;
const sides = [['before', values.before], ['after', REPO_ROOT]] as const;

/** Start `<root>/bin/inferd.js serve` on a free gRPC port; resolves when it listens. */
async function serve(root: string, args: readonly string[]): Promise<{ port: number; pid: number; stop: () => Promise<void> }> {
  const [rest, port] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, [join(root, 'bin/inferd.js'), 'serve', '--host=127.0.0.1', `--rest_api_port=${rest}`, `--port=${port}`, '--log_level=warn', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('"event":"listening"')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`inferd at ${root} exited with ${code}`)));
  });
  return { port, pid: child.pid!, stop: () => stopChild(child) };
}

/** utime + stime of a process in µs (Linux /proc; USER_HZ 100). */
function cpuMicros(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) * 10_000;
}

const models = await buildModels();
const config = `--model_config_file=${models.configFile}`;
const cells = new Map<string, { rps: number[]; p50: number[]; cpu: number[] }>();
const record = (key: string, rps: number, p50: number, cpu: number): void => {
  const c = cells.get(key) ?? { rps: [], p50: [], cpu: [] };
  c.rps.push(rps);
  c.p50.push(p50);
  c.cpu.push(cpu);
  cells.set(key, c);
};
const steps: string[] = [];
for (let round = 0; round < Number(values.rounds); round++) {
  for (const [side, root] of sides) {
    const server = await serve(root, [config]);
    const client = new PredictClient(`127.0.0.1:${server.port}`, { transport });
    try {
      const tiny = encodePredict(MODEL_NAMES.tiny, 'x', Float32Array.of(1), [1], 'float_val');
      const plan = [
        ...(['float_val', 'tensor_content'] as FloatEncoding[]).flatMap((encoding) => {
          const request = encodePredict(MODEL_NAMES.mlp, 'x', mlpRow(), [1, MLP_OPTIONS.inputSize], encoding);
          return values.concurrency!.split(',').map((c) => ({ step: `mlp ${encoding} c=${c}`, model: MODEL_NAMES.mlp, request, c: Number(c) }));
        }),
        { step: 'tiny float_val c=32', model: MODEL_NAMES.tiny, request: tiny, c: 32 },
      ];
      for (const { step, model, request, c } of plan) {
        if (!steps.includes(step)) steps.push(step);
        await grpcLoad(side, client, model, request, c, 1, 0);
        const cpu0 = cpuMicros(server.pid);
        const r = await grpcLoad(side, client, model, request, c, seconds, 0);
        const cpu = (cpuMicros(server.pid) - cpu0) / (r.ok + r.errors);
        if (r.errors > 0) throw new Error(`${side} ${step}: ${r.errors} errors`);
        record(`${side}|${step}`, r.rps, r.p50, cpu);
        process.stderr.write(`round ${round + 1} ${side.padEnd(6)} ${step.padEnd(28)} ${Math.round(r.rps)} req/s p50 ${r.p50.toFixed(2)} ms server ${cpu.toFixed(0)} µs/req\n`);
      }
      const big = encodePredict(MODEL_NAMES.tiny, 'x', largeTensor(), [LARGE_TENSOR_ELEMENTS], 'tensor_content');
      const cpu0 = cpuMicros(server.pid);
      const rt = await roundTrip(client, big, LARGE_TENSOR_ELEMENTS * 4, seconds);
      const step = '4 MiB round trip (float_val out)';
      if (!steps.includes(step)) steps.push(step);
      record(`${side}|${step}`, rt.calls / seconds, rt.p50, (cpuMicros(server.pid) - cpu0) / (rt.calls + 1));
      process.stderr.write(`round ${round + 1} ${side.padEnd(6)} ${step.padEnd(28)} p50 ${rt.p50.toFixed(1)} ms\n`);
    } finally {
      client.close();
      await server.stop();
    }
  }
}
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
process.stdout.write(`client: ${transport}; ${values.rounds} rounds of ${seconds} s, medians\n`);
process.stdout.write('| step | before req/s | after req/s | after/before | before p50 ms | after p50 ms | before server CPU µs/req | after server CPU µs/req |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n');
for (const step of steps) {
  const b = cells.get(`before|${step}`)!;
  const a = cells.get(`after|${step}`)!;
  const [br, ar] = [median(b.rps), median(a.rps)];
  process.stdout.write(`| ${step} | ${br.toFixed(0)} | ${ar.toFixed(0)} | ${(ar / br).toFixed(2)}× | ${median(b.p50).toFixed(2)} | ${median(a.p50).toFixed(2)} | ${median(b.cpu).toFixed(0)} | ${median(a.cpu).toFixed(0)} |\n`);
}
