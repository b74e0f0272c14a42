/**
 * Which side limits gRPC throughput (issue 4, item 2)? Runs the bench's gRPC client (load-grpc.ts) in this process
 * against one server child (the canned grpc-js server, or `inferd serve`) and reports requests/s together with the
 * CPU each side spent per request (client: process.cpuUsage; server: /proc/<pid>/stat utime+stime), so a side at
 * ~100 % of a core is the limit. Linux only (for the server's CPU).
 * Usage: `npx tsx bench/grpc-probe.ts [--target=canned|inferd] [--channels=1,4] [--concurrency=8,32] [--seconds=3]
 *   [--encoding=tensor_content|float_val] [--client=http2,grpc-js] [--model=mlp|tiny] [--profile=DIR]` (DIR: CPU profiles of client and server).
 */
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Session } from 'node:inspector/promises';
import { parseArgs } from 'node:util';
import { PredictClient, encodePredict, grpcLoad, type FloatEncoding, type GrpcClientTransport } from './load-grpc.ts';
import { MLP_OPTIONS, MODEL_NAMES, buildModels } from './models.ts';
import { mlpRow } from './payloads.ts';
import { startBaseline, startInferd, type ChildServer, type InferdServer } from './processes.ts';

const { values } = parseArgs({
  options: {
    target: { type: 'string', default: 'canned' },
    channels: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '8,32' },
    seconds: { type: 'string', default: '3' },
    encoding: { type: 'string', default: 'tensor_content' },
    profile: { type: 'string' },
    client: { type: 'string', default: 'http2,grpc-js' },
    model: { type: 'string', default: 'mlp' },
  },
});
const seconds = Number(values.seconds);
const ints = (s: string): number[] => s.split(',').map(Number);
const encoding = values.encoding as FloatEncoding;
const TICK = 100; // USER_HZ on Linux

/** utime + stime of a process in ms. */
function procCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICK;
}

const models = await buildModels();
const request = values.model === 'tiny'
  ? encodePredict(MODEL_NAMES.tiny, 'x', Float32Array.of(1), [1], encoding)
  : encodePredict(MODEL_NAMES.mlp, 'x', mlpRow(), [1, MLP_OPTIONS.inputSize], encoding);
const profileDir = values.profile;
if (profileDir) await mkdir(profileDir, { recursive: true });
let server: ChildServer | InferdServer;
let address: string;
if (values.target === 'inferd') {
  server = await startInferd({ args: [`--model_config_file=${models.configFile}`], profileDir: profileDir ?? null });
  address = `127.0.0.1:${server.grpcPort}`;
} else {
  const probe = await startInferd({ args: [`--model_config_file=${models.configFile}`] });
  const c = new PredictClient(`127.0.0.1:${probe.grpcPort}`);
  const canned = join(models.root, 'response.bin');
  await writeFile(canned, await c.predict(request));
  c.close();
  await probe.stop();
  server = await startBaseline('grpc-canned', 'grpc-canned.ts', [`--response=${canned}`]);
  address = `127.0.0.1:${server.port}`;
}
const session = profileDir ? new Session() : undefined;
try {
  if (session) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  }
  const pid = server.child.pid!;
  for (const transport of values.client!.split(',') as GrpcClientTransport[]) for (const channels of ints(values.channels)) {
    const client = new PredictClient(address, { channels, transport });
    try {
      for (const concurrency of ints(values.concurrency)) {
        await grpcLoad('warm-up', client, MODEL_NAMES.mlp, request, concurrency, 0.5, 0);
        const c0 = process.cpuUsage();
        const s0 = procCpuMs(pid);
        const r = await grpcLoad(values.target!, client, MODEL_NAMES.mlp, request, concurrency, seconds, 0);
        const cu = process.cpuUsage(c0);
        const clientMs = (cu.user + cu.system) / 1000;
        const serverMs = procCpuMs(pid) - s0;
        const n = r.ok + r.errors;
        process.stdout.write(
          `${values.target} ${values.model} ${encoding} client=${transport} channels=${channels} c=${concurrency}: ${Math.round(r.rps)} req/s, p50 ${r.p50.toFixed(2)} ms; ` +
            `client ${((clientMs * 1000) / n).toFixed(0)} µs/req (${((100 * clientMs) / (seconds * 1000)).toFixed(0)}% of a core), ` +
            `server ${((serverMs * 1000) / n).toFixed(0)} µs/req (${((100 * serverMs) / (seconds * 1000)).toFixed(0)}% of a core)\n`,
        );
      }
    } finally {
      client.close();
    }
  }
  if (session && profileDir) {
    const { profile } = await session.post('Profiler.stop');
    await writeFile(join(profileDir, 'client.cpuprofile'), JSON.stringify(profile));
  }
} finally {
  session?.disconnect();
  await server.stop();
}
