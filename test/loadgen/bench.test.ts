/**
 * `inferd bench` against a real `inferd serve` child (ONNX models built here): very short sweeps over REST and gRPC,
 * open loop, request files, error counting, and the CLI writing its JSON and SVG. Behaviour only, no timing.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RestTarget } from '../../src/loadgen/rest-target.ts';
import { runBench, writeReportFiles, type BenchOptions } from '../../src/loadgen/bench.ts';
import { runStep } from '../../src/loadgen/runner.ts';
import type { BenchReport } from '../../src/loadgen/report.ts';
import { halfPlusTwo, twoInTwoOut } from '../support/models.ts';
import { runInferd, SHARED_FIXTURES, startServer, type RunningServer } from '../support/serve.ts';

const FAST = { warmupSeconds: 0.1, windowSeconds: 0.3, stability: 0.5, maxWindows: 3 } as const;

/** A minimal well-formedness check of an XML document: every start tag is closed in order. */
function assertWellFormedSvg(text: string): void {
  assert.match(text, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  const stack: string[] = [];
  for (const m of text.matchAll(/<(\/?)([a-zA-Z]+)[^>]*?(\/?)>/g)) {
    if (m[1]) assert.equal(stack.pop(), m[2], `closing </${m[2]}>`);
    else if (!m[3]) stack.push(m[2]!);
  }
  assert.deepEqual(stack, []);
}

function assertReport(report: BenchReport, steps: number): void {
  assert.equal(report.tool, 'inferd bench');
  assert.equal(report.steps.length, steps);
  for (const s of report.steps) {
    assert.deepEqual(s.errors, {}, `no errors at ${JSON.stringify(s.load)}`);
    assert.ok(s.throughput > 0);
    assert.ok(s.latency.count > 0);
    assert.ok(s.latency.p50 <= s.latency.p90 && s.latency.p90 <= s.latency.p99 && s.latency.p99 <= s.latency.max);
    assert.ok(s.windows.length >= 1 && s.windows.length <= FAST.maxWindows);
    assert.equal(s.reportedWindows, Math.min(3, s.windows.length));
  }
}

describe('inferd bench against inferd serve', () => {
  let dir: string;
  let server: RunningServer;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'inferd-loadgen-'));
    await halfPlusTwo(join(dir, 'hp2', '1'));
    await twoInTwoOut(join(dir, 'two', '1'));
    const config = join(dir, 'models.config');
    await writeFile(config, `model_config_list {\n config { name: "hp2" base_path: "${join(dir, 'hp2')}" model_platform: "onnx" }\n config { name: "two" base_path: "${join(dir, 'two')}" model_platform: "onnx" }\n}\n`);
    server = await startServer([`--model_config_file=${config}`]);
  });
  after(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const rest = (extra: Partial<BenchOptions> = {}): BenchOptions => ({
    protocol: 'rest', endpoint: server.restUrl, model: 'hp2', loads: [{ kind: 'concurrency', concurrency: 1 }], measure: FAST, ...extra,
  });

  it('sweeps concurrency over REST with inputs generated from metadata, and writes JSON and SVG', async () => {
    const progress: string[] = [];
    const report = await runBench(rest({
      batch: 4,
      loads: [{ kind: 'concurrency', concurrency: 1 }, { kind: 'concurrency', concurrency: 2 }],
      onProgress: (i, total, tag, p) => progress.push(`${i}/${total} ${tag} ${p.phase}`),
    }));
    assertReport(report, 2);
    assert.deepEqual(report.target, { protocol: 'rest', endpoint: server.restUrl, model: 'hp2', signature: 'serving_default' });
    assert.deepEqual(report.request.shapes, { x: [4] });
    assert.equal(report.request.encoding, 'columnar');
    assert.ok(progress.includes('0/2 c=1 warmup') && progress.includes('1/2 c=2 window'));
    const json = join(dir, 'out.json');
    const chart = join(dir, 'out.svg');
    await writeReportFiles(report, { json, chart });
    const parsed = JSON.parse(await readFile(json, 'utf8')) as BenchReport;
    assert.equal(parsed.steps.length, 2);
    assert.deepEqual(parsed.steps[1]!.load, { kind: 'concurrency', concurrency: 2 });
    const svg = await readFile(chart, 'utf8');
    assertWellFormedSvg(svg);
    assert.match(svg, /c=2/);
  });

  it('sweeps over gRPC with tensor_content on a two-input model', async () => {
    const report = await runBench({
      protocol: 'grpc', endpoint: `127.0.0.1:${server.grpcPort}`, model: 'two', version: 1, tensorContent: true,
      loads: [{ kind: 'concurrency', concurrency: 2 }], measure: FAST,
    });
    assertReport(report, 1);
    assert.equal(report.request.encoding, 'tensor_content');
    assert.deepEqual(report.request.shapes, { a: [1, 2], b: [1, 2] });
    assert.equal(report.target.version, 1);
  });

  it('runs an open-loop rate over REST (row format)', async () => {
    const report = await runBench(rest({ model: 'two', restFormat: 'row', loads: [{ kind: 'rate', rate: 100, maxInFlight: 50 }] }));
    assertReport(report, 1);
    assert.equal(report.request.encoding, 'row');
  });

  it('sends a request file as is over REST, and converted over gRPC', async () => {
    const file = join(dir, 'request.json');
    await writeFile(file, JSON.stringify({ instances: [{ a: [1, 2], b: [3, 4] }, { a: [5, 6], b: [7, 8] }] }));
    const viaRest = await runBench(rest({ model: 'two', inputFile: file }));
    assertReport(viaRest, 1);
    assert.equal(viaRest.request.source, file);
    assert.equal(viaRest.request.bytes, (await readFile(file)).length);
    const viaGrpc = await runBench({ protocol: 'grpc', endpoint: `127.0.0.1:${server.grpcPort}`, model: 'two', inputFile: file, loads: [{ kind: 'concurrency', concurrency: 1 }], measure: FAST });
    assertReport(viaGrpc, 1);
    assert.deepEqual(viaGrpc.request.shapes, { a: [2, 2], b: [2, 2] });
  });

  it('fails fast with the status of the first request, and on unknown models', async () => {
    const file = join(dir, 'bad.json');
    await writeFile(file, JSON.stringify({ instances: [[1, 2]] }));
    await assert.rejects(runBench(rest({ inputFile: file })), /the first request failed with status 400/);
    await assert.rejects(runBench(rest({ model: 'nope' })), /metadata answered 404/);
    await assert.rejects(runBench({ ...rest({ model: 'nope' }), protocol: 'grpc', endpoint: `127.0.0.1:${server.grpcPort}` }), /GetModelMetadata failed: NOT_FOUND/);
  });

  it('counts failed requests by status during a step', async () => {
    const target = await RestTarget.create({ url: server.restUrl, model: { name: 'hp2' }, connections: 2 });
    try {
      target.setBody('{"instances": "not a list"}');
      const step = await runStep(target, { kind: 'concurrency', concurrency: 2 }, { ...FAST, maxWindows: 1 });
      assert.equal(step.latency.count, 0);
      assert.ok((step.errors['400'] ?? 0) > 0);
      assert.deepEqual(Object.keys(step.errors), ['400']);
      assert.equal(step.throughput, 0);
    } finally {
      await target.close();
    }
  });

  it('runs as `inferd bench` from the command line', async () => {
    const json = join(dir, 'cli.json');
    const chart = join(dir, 'cli.svg');
    const res = await runInferd(['bench', `--url=${server.restUrl}`, '--model=two', '--version', '1', '--concurrency=1,2', '--warmup-seconds=0.1', '--window-seconds=0.3',
      '--max-windows=3', '--stability=50', `--json=${json}`, `--chart=${chart}`]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /concurrency\s+throughput\/s\s+p50 ms\s+p90 ms\s+p99 ms/);
    assert.doesNotMatch(res.stdout, /\[#/, 'no progress bar when stdout is not a TTY');
    const report = JSON.parse(await readFile(json, 'utf8')) as BenchReport;
    assert.equal(report.measure.stability, 0.5);
    assert.equal(report.target.version, 1, '--version after the subcommand is the model version');
    assertReport(report, 2);
    assertWellFormedSvg(await readFile(chart, 'utf8'));
    const bad = await runInferd(['bench', '--model=two', '--concurrency=1']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /give exactly one of --url or --grpc/);
  });
});

describe('inferd bench on a SavedModel fixture', { skip: existsSync(join(SHARED_FIXTURES, 'saved_model_half_plus_two_2_versions')) ? false : 'shared fixtures absent' }, () => {
  it('loads saved_model_half_plus_two over gRPC with generated inputs', async () => {
    const server = await startServer(['--model_name=hp', `--model_base_path=${join(SHARED_FIXTURES, 'saved_model_half_plus_two_2_versions')}`]);
    try {
      const report = await runBench({ protocol: 'grpc', endpoint: `127.0.0.1:${server.grpcPort}`, model: 'hp', loads: [{ kind: 'concurrency', concurrency: 2 }], measure: FAST });
      assertReport(report, 1);
      assert.equal(report.target.signature, 'serving_default');
    } finally {
      await server.stop();
    }
  });
});
