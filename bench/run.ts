/**
 * `npm run bench`: builds the models, runs every selected scenario group one after another (one load target alive
 * at a time), prints the tables and the target ratios, and regenerates docs/benchmarks.md (keeping its Notes).
 * Flags and env: see options.ts (`--quick` for a smoke run, `--only=rest,inprocess`, `--duration=5`, `--no-write`).
 */
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { REPO_ROOT } from '../test/support/serve.ts';
import type { BenchContext } from './context.ts';
import { machineInfo } from './machine.ts';
import { buildModels } from './models.ts';
import { parseBenchOptions, type ScenarioGroup } from './options.ts';
import { summariseProfiles } from './profile.ts';
import { computeRatios } from './ratios.ts';
import { extractNotes, ratioTable, renderMarkdown, textTable, type Report, type Section } from './report.ts';
import { batchingGroup } from './scenarios/batching.ts';
import { bodiesGroup } from './scenarios/bodies.ts';
import { expressGroup } from './scenarios/express.ts';
import { grpcGroup } from './scenarios/grpc.ts';
import { inProcessGroup } from './scenarios/inprocess.ts';
import { ocrGroup } from './scenarios/ocr.ts';
import { restGroup } from './scenarios/rest.ts';
import { savedModelGroup } from './scenarios/savedmodel.ts';

const started = performance.now();
const loadAtStart = loadavg();
let options: ReturnType<typeof parseBenchOptions>;
try {
  options = parseBenchOptions(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`bench: ${(err as Error).message}\n`);
  process.exit(2);
}
const log = (line: string): void => void process.stderr.write(`${line}\n`);
log(`inferd bench: ${options.durationSec}s windows after ${options.warmupSec}s warm-up; groups ${[...options.groups].join(', ')}`);

const models = await buildModels();
const ctx: BenchContext = { options, models, log, results: [], inProcess: [], roundTrips: [], extraRatios: [], cannedResponses: null };
const groups: [ScenarioGroup, () => Promise<Section>][] = [
  ['bodies', () => bodiesGroup(ctx)],
  ['inprocess', () => inProcessGroup(ctx)],
  ['rest', () => restGroup(ctx)],
  ['express', () => expressGroup(ctx)],
  ['grpc', () => grpcGroup(ctx)],
  ['batching', () => batchingGroup(ctx, options.groups.has('grpc'))],
  ['savedmodel', () => savedModelGroup(ctx)],
  ['ocr', () => ocrGroup(ctx)],
];
const sections: Section[] = [];
let failedGroups = 0;
try {
  for (const [name, run] of groups) {
    if (!options.groups.has(name)) continue;
    try {
      sections.push(await run());
    } catch (err) {
      failedGroups++;
      log(`group ${name} failed: ${(err as Error).stack ?? String(err)}`);
      sections.push({ title: `${name} (failed)`, intro: 'This group threw during the run.', tables: [], skipped: (err as Error).message.split('\n')[0] ?? 'error' });
    }
  }
} finally {
  await rm(models.root, { recursive: true, force: true });
}

const ratios = [...computeRatios(ctx), ...ctx.extraRatios];
const errors = ctx.results.filter((r) => r.errors > 0);
const findings: string[] = errors.map((r) => `**${r.errors} failed requests**: ${r.contender}, ${r.model}, c=${r.concurrency} (must be 0).`);
if (options.profileDir) findings.push(...(await summariseProfiles(options.profileDir)));
const report: Report = {
  machine: machineInfo(),
  date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  commandLine: options.commandLine,
  settings: `${options.durationSec} s measured after ${options.warmupSec} s warm-up per step; REST concurrency ${options.concurrency.join('/')}, gRPC ${options.grpcConcurrency.join('/')}, in-process batch ${options.batchSizes.join('/')}`,
  sections,
  ratios,
  findings,
  wallSec: (performance.now() - started) / 1000,
  loadAverage: { start: loadAtStart, end: loadavg() },
};

for (const section of sections) {
  process.stdout.write(`\n== ${section.title}\n`);
  if (section.skipped) process.stdout.write(`(not run: ${section.skipped})\n`);
  for (const table of section.tables) process.stdout.write(`${textTable(table)}\n`);
}
process.stdout.write(`\n== Targets\n${textTable(ratioTable(ratios))}\n`);
for (const f of findings) process.stdout.write(`- ${f}\n`);

if (options.out) {
  const file = resolve(REPO_ROOT, options.out);
  const previous = existsSync(file) ? await readFile(file, 'utf8') : null;
  await writeFile(file, renderMarkdown(report, extractNotes(previous)));
  log(`wrote ${file}`);
}
log(`bench finished in ${Math.round(report.wallSec)} s`);
process.exitCode = errors.length > 0 || failedGroups > 0 ? 1 : 0;
