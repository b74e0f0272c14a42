/**
 * Side-by-side A/B of two `inferd serve` builds under the same REST load (issue 11: server CPU per request): both
 * servers stay up, and rounds of load alternate between them (which goes first alternates too), so a change in the
 * machine's load hurts both sides alike. Each server runs `<root>/bin/inferd.js` (the compiled dist/ of that
 * checkout when built), serving the bench MLP, with batching as the bodies group runs it (max_batch_size 32,
 * batch_timeout_micros 0, num_batch_threads 1) unless `--batching=off`. Reported per side: median req/s, p50 and
 * server CPU µs per request (/proc, all threads) over the rounds, and the B/A ratio of each.
 *
 * `npx tsx bench/server-ab.ts --a=/path/to/old/checkout [--b=.] [--body=3dec|python] [--concurrency=32]
 *   [--rounds=6] [--seconds=3] [--batching=on|off] [--profile=DIR]` (DIR/a and DIR/b get `node --cpu-prof` profiles,
 * summarised at the end with bench/profile.ts).
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { restLoad } from './load-rest.ts';
import { buildModels, MODEL_NAMES } from './models.ts';
import { threadCpuMicros } from './proc-stat.ts';
import { REST_BODIES } from './payloads.ts';
import { startInferd, type InferdServer } from './processes.ts';
import { summariseProfiles } from './profile.ts';
import type { LoadResult } from './results.ts';

const { values } = parseArgs({
  options: {
    a: { type: 'string' }, b: { type: 'string', default: '.' }, body: { type: 'string', default: '3dec' },
    concurrency: { type: 'string', default: '32' }, rounds: { type: 'string', default: '6' }, seconds: { type: 'string', default: '3' },
    batching: { type: 'string', default: 'on' }, profile: { type: 'string' },
  },
});
if (!values.a) throw new Error('--a=<checkout> is required (the build to compare against)');
const body = values.body === 'python' ? REST_BODIES.mlpPython : REST_BODIES.mlp;
const concurrency = Number(values.concurrency);
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};

const models = await buildModels();
const params = join(models.root, 'batching.config');
await writeFile(params, 'max_batch_size { value: 32 }\nbatch_timeout_micros { value: 0 }\nmax_enqueued_batches { value: 1000 }\nnum_batch_threads { value: 1 }\n');
const flags = [`--model_config_file=${models.configFile}`, ...(values.batching === 'off' ? [] : ['--enable_batching', `--batching_parameters_file=${params}`])];
const sides = { a: resolve(values.a), b: resolve(values.b) } as const;
const servers: Partial<Record<'a' | 'b', InferdServer>> = {};
try {
  for (const side of ['a', 'b'] as const) {
    const profileDir = values.profile ? join(values.profile, side) : null;
    if (profileDir) await mkdir(profileDir, { recursive: true });
    servers[side] = await startInferd({ args: flags, root: sides[side], profileDir });
  }
  const results: Record<'a' | 'b', LoadResult[]> = { a: [], b: [] };
  // Per-thread CPU µs per request of each round: [main thread, busiest other thread, all other threads].
  const answered = { a: 0, b: 0 };
  const threads: Record<'a' | 'b', [number, number, number][]> = { a: [], b: [] };
  const step = async (side: 'a' | 'b', warmupSec: number): Promise<void> => {
    const server = servers[side]!;
    const pid = server.child.pid!;
    const before = threadCpuMicros(pid);
    const r = await restLoad({
      contender: side, url: server.restUrl, model: MODEL_NAMES.mlp, body, concurrency, serverPid: server.child.pid!,
      durationSec: seconds, warmupSec,
    });
    if (r.errors > 0) throw new Error(`${side}: ${r.errors} errors`);
    results[side].push(r);
    answered[side] += Math.round(r.ok * (1 + warmupSec / seconds));
    const deltas = [...threadCpuMicros(pid)].map(([tid, us]) => [tid, (us - (before.get(tid) ?? 0)) / Math.max(1, r.ok * (1 + warmupSec / seconds))] as const);
    const main = deltas.find(([tid]) => tid === pid)?.[1] ?? 0;
    const others = deltas.filter(([tid]) => tid !== pid).map(([, us]) => us).sort((x, y) => y - x);
    threads[side].push([main, others[0] ?? 0, others.reduce((s, x) => s + x, 0)]);
  };
  await step('a', 1);
  await step('b', 1);
  results.a.length = 0;
  results.b.length = 0;
  threads.a.length = 0;
  threads.b.length = 0;
  for (let r = 0; r < rounds; r++) {
    for (const side of r % 2 === 0 ? (['a', 'b'] as const) : (['b', 'a'] as const)) await step(side, 0);
  }
  const row = (side: 'a' | 'b'): [number, number, number] =>
    [median(results[side].map((x) => x.rps)), median(results[side].map((x) => x.p50)), median(results[side].map((x) => x.cpuUsPerRequest ?? Number.NaN))];
  const [a, b] = [row('a'), row('b')];
  process.stdout.write(`body ${values.body}, c=${concurrency}, batching ${values.batching}, ${rounds} rounds × ${seconds} s\n`);
  process.stdout.write('| side | req/s | p50 ms | server CPU µs/req |\n| --- | ---: | ---: | ---: |\n');
  process.stdout.write(`| a ${sides.a} | ${a[0].toFixed(0)} | ${a[1].toFixed(3)} | ${a[2].toFixed(1)} |\n`);
  process.stdout.write(`| b ${sides.b} | ${b[0].toFixed(0)} | ${b[1].toFixed(3)} | ${b[2].toFixed(1)} |\n`);
  process.stdout.write(`| b / a | ${(b[0] / a[0]).toFixed(3)}× | ${(b[1] / a[1]).toFixed(3)}× | ${(b[2] / a[2]).toFixed(3)}× |\n`);
  for (const side of ['a', 'b'] as const) {
    const t = threads[side];
    process.stdout.write(`${side}: per-thread CPU µs/req (median of rounds): main ${median(t.map((x) => x[0])).toFixed(1)}, busiest other thread ${median(t.map((x) => x[1])).toFixed(1)}, all other threads ${median(t.map((x) => x[2])).toFixed(1)}\n`);
  }
  // Rounds are adjacent in time, so the per-round ratio cancels most of a changing machine load.
  const paired = (f: (side: 'a' | 'b', i: number) => number): string => {
    const rs = results.a.map((_, i) => f('b', i) / f('a', i));
    return `${median(rs).toFixed(3)}× (${Math.min(...rs).toFixed(2)}–${Math.max(...rs).toFixed(2)})`;
  };
  process.stdout.write(`median of per-round b/a: req/s ${paired((s, i) => results[s][i]!.rps)}, server CPU/req ${paired((s, i) => results[s][i]!.cpuUsPerRequest ?? Number.NaN)}, main-thread CPU/req ${paired((s, i) => threads[s][i]![0])}\n`);
  process.stdout.write(`requests answered (warm-ups included, about): a ${answered.a}, b ${answered.b}\n`);
  process.stdout.write(`per round CPU µs/req a: ${results.a.map((x) => x.cpuUsPerRequest?.toFixed(0)).join(' ')}; b: ${results.b.map((x) => x.cpuUsPerRequest?.toFixed(0)).join(' ')}\n`);
} finally {
  await Promise.all(Object.values(servers).map((s) => s.stop()));
  await rm(models.root, { recursive: true, force: true });
}
if (values.profile) for (const line of await summariseProfiles(values.profile)) process.stdout.write(`- ${line}\n\n`);
