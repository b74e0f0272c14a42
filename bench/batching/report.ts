/**
 * Markdown of the batching bench: machine, date, command lines, the results table, the ratios against issue 6's
 * targets, the c=1 latency comparison and the in-process table. Written between markers in docs/batching.md so the
 * hand-written parts of that page stay.
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { InProcessResult } from '../in-process.ts';
import type { MachineInfo } from '../machine.ts';
import type { Row } from './contenders.ts';

/** Everything one run produced. */
export interface BatchingResults {
  readonly date: string;
  readonly machine: MachineInfo;
  readonly command: string;
  readonly concurrency: number;
  readonly measure: { readonly warmupSeconds: number; readonly windowSeconds: number; readonly stability: number; readonly maxWindows: number };
  readonly rows: readonly Row[];
  readonly inProcess: readonly InProcessResult[];
  readonly latencyAtOne: { readonly off: readonly number[]; readonly on: readonly number[]; readonly onLabel: string };
  readonly profile: readonly string[];
  readonly seconds: number;
  /** 1-minute load average at the start and the end of the run (other work on the machine skews every number). */
  readonly loadAverage: { readonly start: number; readonly end: number };
}

/** Ratios against the issue's targets. */
export interface Ratios {
  readonly bestBatching: Row;
  readonly express: Row;
  readonly lowerCeiling: Row;
  readonly grpc: Row | undefined;
  readonly vsExpress: number;
  readonly vsCeiling: number;
  readonly grpcVsCeiling: number | undefined;
  /** (p50 on − p50 off) / p50 off, medians over rounds. */
  readonly latencyOverhead: number;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Compute the ratios (the rows must include a batching row, the express baseline and both ceilings). */
export function ratios(r: BatchingResults): Ratios {
  const batching = r.rows.filter((x) => x.group === 'batching');
  const bestBatching = batching.reduce((a, b) => (b.throughput > a.throughput ? b : a));
  const express = r.rows.find((x) => x.group === 'baseline')!;
  const ceilings = r.rows.filter((x) => x.group === 'ceiling');
  const lowerCeiling = ceilings.reduce((a, b) => (b.throughput < a.throughput ? b : a));
  const grpc = r.rows.filter((x) => x.group === 'grpc' && x.params).reduce<Row | undefined>((a, b) => (!a || b.throughput > a.throughput ? b : a), undefined);
  const off = median(r.latencyAtOne.off);
  return {
    bestBatching, express, lowerCeiling, grpc,
    vsExpress: bestBatching.throughput / express.throughput,
    vsCeiling: bestBatching.throughput / lowerCeiling.throughput,
    grpcVsCeiling: grpc ? grpc.throughput / lowerCeiling.throughput : undefined,
    latencyOverhead: off > 0 ? (median(r.latencyAtOne.on) - off) / off : 0,
  };
}

const f = (v: number, d = 1): string => v.toFixed(d);
const pass = (ok: boolean): string => (ok ? '**met**' : '**missed**');

/** The generated markdown section. */
export function markdown(r: BatchingResults): string {
  const q = ratios(r);
  const m = r.machine;
  const lines: string[] = [];
  lines.push(`Measured ${r.date} on ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}, onnxruntime-node ${m.onnxruntime}, @grpc/grpc-js ${m.grpcJs}, commit ${m.commit}. Whole run: ${f(r.seconds, 0)} s; 1-minute load average ${f(r.loadAverage.start, 2)} at the start, ${f(r.loadAverage.end, 2)} at the end${r.loadAverage.start > 1.5 ? ' (**the machine was busy: numbers are skewed**)' : ''}.`);
  lines.push('');
  lines.push(`Command: \`${r.command}\`. Load: \`inferd bench\`'s load generator (src/loadgen) in the bench process, on the same 2 cores as the server; concurrency ${r.concurrency} closed loop, one 784-float row per request (the same ${'`{"instances":[[...]]}`'} body for every REST contender; gRPC sends the same row as tensor_content). Windows: warm-up ${r.measure.warmupSeconds} s, ${r.measure.windowSeconds} s windows until the last 3 agree within ${r.measure.stability * 100}% (at most ${r.measure.maxWindows}); throughput and latency from the last 3 windows.`);
  lines.push('');
  lines.push('| contender | req/s | p50 ms | p99 ms | errors | stable |');
  lines.push('|---|---:|---:|---:|---:|---|');
  for (const x of r.rows) lines.push(`| ${x.contender} | ${f(x.throughput)} | ${f(x.p50, 2)} | ${f(x.p99, 2)} | ${x.errors} | ${x.stable ? 'yes' : 'no'} |`);
  lines.push('');
  lines.push('Ratios against issue 6\'s targets:');
  lines.push('');
  lines.push(`- REST with batching (best: ${q.bestBatching.contender}) vs express + onnxruntime-node: **${f(q.vsExpress, 2)}×** (target ≥ 2×) — ${pass(q.vsExpress >= 2)}.`);
  lines.push(`- REST with batching vs the lower ceiling (${q.lowerCeiling.contender}, ${f(q.lowerCeiling.throughput)}/s): **${f(q.vsCeiling * 100)}%** (target ≥ 50%) — ${pass(q.vsCeiling >= 0.5)}.`);
  if (q.grpc && q.grpcVsCeiling !== undefined) lines.push(`- gRPC tensor_content with batching (${q.grpc.contender}) vs the lower ceiling: **${f(q.grpcVsCeiling * 100)}%** (target ≥ 70%) — ${pass(q.grpcVsCeiling >= 0.7)}.`);
  lines.push(`- Concurrency 1, p50 with batching on (${r.latencyAtOne.onLabel}) vs off: ${r.latencyAtOne.on.map((v) => f(v, 3)).join(' / ')} ms vs ${r.latencyAtOne.off.map((v) => f(v, 3)).join(' / ')} ms (alternating rounds); medians differ by **${f(q.latencyOverhead * 100)}%** (target < 5%) — ${pass(q.latencyOverhead < 0.05)}.`);
  lines.push('');
  lines.push('In-process onnxruntime-node (no HTTP, one `session.run` in flight), rows/s by batch size:');
  lines.push('');
  const batches = [...new Set(r.inProcess.map((x) => x.batch))];
  const threads = [...new Set(r.inProcess.map((x) => x.intraOpThreads))];
  lines.push(`| intra-op threads | ${batches.map((b) => `batch ${b}`).join(' | ')} |`);
  lines.push(`|---|${batches.map(() => '---:').join('|')}|`);
  for (const t of threads) lines.push(`| ${t} | ${batches.map((b) => f(r.inProcess.find((x) => x.batch === b && x.intraOpThreads === t)?.rowsPerSec ?? 0, 0)).join(' | ')} |`);
  lines.push('');
  lines.push('![latency against throughput, batching on and off](batching-chart.svg)');
  lines.push('');
  lines.push('<details><summary>Command lines of every row</summary>');
  lines.push('');
  for (const x of r.rows) lines.push(`- ${x.contender}: ${x.commands.map((c) => `\`${c}\``).join(' then ')}`);
  lines.push('');
  lines.push('</details>');
  if (r.profile.length > 0) {
    lines.push('');
    lines.push('CPU profile of the batching server at the bench concurrency (node --cpu-prof, self time):');
    lines.push('');
    for (const p of r.profile) lines.push(`- ${p}`);
  }
  return lines.join('\n');
}

const START = '<!-- bench:batching:start -->';
const END = '<!-- bench:batching:end -->';

/** Replace the generated section of `file` (between the markers; appended when the markers are missing). */
export async function writeSection(file: string, section: string): Promise<void> {
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch {
    text = '# Dynamic batching\n';
  }
  const block = `${START}\n${section}\n${END}`;
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  text = a >= 0 && b > a ? `${text.slice(0, a)}${block}${text.slice(b + END.length)}` : `${text.trimEnd()}\n\n${block}\n`;
  await writeFile(file, text);
}
