/**
 * Reads V8 CPU profiles (`node --cpu-prof`, written by the inferd child when `--profile=DIR` is given) and
 * summarises where the server's time went: self time per function and per package/source folder, as markdown
 * bullet text. Also runnable alone: `tsx bench/profile.ts DIR`.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: CpuProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a frame's code lives: `node_modules/<pkg>`, `src/<folder>`, `node:internal`, or a V8 pseudo-frame. */
export function bucketOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  const src = /\/(src\/[^/]+(?:\/[^/]+)?)\//.exec(url);
  if (src) return src[1]!;
  if (url.startsWith('node:')) return 'node:internal';
  return url.split('/').slice(-2).join('/');
}

/** Self time per function and per bucket of one profile (µs). */
export function selfTimes(profile: CpuProfile): { total: number; functions: Map<string, number>; buckets: Map<string, number> } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const functions = new Map<string, number>();
  const buckets = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id);
    const dt = profile.timeDeltas[i] ?? 0;
    if (!node || node.callFrame.functionName === '(idle)') return;
    total += dt;
    const { functionName, url, lineNumber } = node.callFrame;
    const fn = `${functionName || '(anonymous)'} ${url ? `${url.replace(/^.*\/(node_modules|src)\//, '$1/')}:${lineNumber + 1}` : ''}`.trim();
    functions.set(fn, (functions.get(fn) ?? 0) + dt);
    const bucket = bucketOf(url, functionName);
    buckets.set(bucket, (buckets.get(bucket) ?? 0) + dt);
  });
  return { total, functions, buckets };
}

const top = (m: Map<string, number>, total: number, n: number): string =>
  [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `\`${k}\` ${((100 * v) / total).toFixed(1)}%`).join(', ');

/** Markdown bullets summarising every .cpuprofile under `dir` (recursively one level), busiest first. */
export async function summariseProfiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const folders = [dir, ...(await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => join(dir, d.name))];
  for (const folder of folders) {
    for (const name of (await readdir(folder)).filter((f) => f.endsWith('.cpuprofile'))) {
      const { total, functions, buckets } = selfTimes(JSON.parse(await readFile(join(folder, name), 'utf8')) as CpuProfile);
      if (total === 0) continue;
      out.push(`Profile ${join(folder, name)} (${(total / 1e6).toFixed(1)} s busy): by package/folder ${top(buckets, total, 10)}; top functions (self) ${top(functions, total, 15)}.`);
    }
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: tsx bench/profile.ts DIR');
  for (const line of await summariseProfiles(dir)) process.stdout.write(`- ${line}\n\n`);
}
