/**
 * `inferd serve --processes=2` (node:cluster): one primary, two serving processes sharing the REST and gRPC ports.
 * One server runs the checks in order: requests over fresh connections are answered by both serving processes
 * (the access log names each line's pid) and every answer is y = 0.5x + 2; the metrics endpoint, whichever process
 * answers it, counts every request sent; a SIGKILLed serving process is replaced while requests keep succeeding;
 * SIGTERM with requests in flight drains them all, exits 0 and leaves no process behind.
 * (cluster-startup.test.ts: start-up failures; cluster-reload.test.ts: model changes reach every process.)
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { floatTensor, floatsOf } from '../api/grpc/client.ts';
import { heldGrpcPredict, heldRestPost } from '../support/held-requests.ts';
import { halfPlusTwo } from '../support/models.ts';
import { parsePrometheus, PROMETHEUS_PARSER_SKIP, sampleValue } from '../support/prometheus.ts';
import { accessLogPid as accessPid, freshRequest, servingPids, waitFor } from '../support/fresh-connection.ts';
import { exitOf, startServer, type RunningServer } from '../support/serve.ts';

const METRICS_PATH = '/monitoring/prometheus/metrics';

describe('inferd serve --processes=2', { timeout: 180_000 }, () => {
  let dir: string;
  let server: RunningServer;
  let sent = 0;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-cluster-'));
    await halfPlusTwo(path.join(dir, 'hpt', '1'));
    await writeFile(path.join(dir, 'monitoring.txt'), 'prometheus_config { enable: true }\n');
    server = await startServer(['--processes=2', '--model_name=hpt', `--model_base_path=${path.join(dir, 'hpt')}`,
      `--monitoring_config_file=${path.join(dir, 'monitoring.txt')}`]);
  });
  after(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const predict = async (x: number, id: string) => {
    sent++;
    return freshRequest(server.restPort, 'POST', '/v1/models/hpt:predict', { body: JSON.stringify({ instances: [x] }), requestId: id });
  };

  it('answers over fresh connections from both serving processes, every answer y = 0.5x + 2', async () => {
    // The primary logs the pids on stderr as it prints the listening line on stdout; the pipes are read apart.
    await waitFor(() => servingPids(server.stderr()).length === 2);
    const workers = servingPids(server.stderr());
    assert.ok(!workers.includes(server.child.pid ?? -1), 'the primary serves nothing itself');
    const xs = Array.from({ length: 16 }, (_, i) => i * 3 - 7);
    const answers = await Promise.all(xs.map((x, i) => predict(x, `cluster-a-${i}`)));
    answers.forEach((a, i) => {
      assert.equal(a.status, 200, a.body);
      assert.deepEqual(JSON.parse(a.body), { predictions: [0.5 * xs[i]! + 2] });
    });
    await waitFor(() => xs.every((_, i) => accessPid(server.stderr(), `cluster-a-${i}`) !== undefined));
    const pids = new Set(xs.map((_, i) => accessPid(server.stderr(), `cluster-a-${i}`)));
    assert.ok(pids.size >= 2, `answered by ${[...pids].join(', ')} only`);
    for (const pid of pids) assert.ok(workers.includes(pid ?? -1), `pid ${pid} is a serving process`);
  });

  it('the metrics endpoint counts every request, whichever process answers the scrape', { skip: PROMETHEUS_PARSER_SKIP }, async () => {
    // Scrapes over fresh connections land on different processes; each must show the sum over both.
    for (let i = 0; i < 4; i++) {
      const scrape = await freshRequest(server.restPort, 'GET', METRICS_PATH);
      assert.equal(scrape.status, 200, scrape.body);
      const families = parsePrometheus(scrape.body);
      assert.equal(sampleValue(families, ':tensorflow:serving:request_count_total', { model_name: 'hpt', entrypoint: 'REST', status: 'OK' }), sent);
      assert.equal(sampleValue(families, 'inferd_model_version_state', { model_name: 'hpt', version: '1', state: 'AVAILABLE' }), 1);
    }
  });

  it('replaces a serving process that is killed; requests keep succeeding meanwhile', async () => {
    const [victim, survivor] = servingPids(server.stderr());
    process.kill(victim!, 'SIGKILL');
    await waitFor(() => new RegExp(`serving process ${victim} exited \\(SIGKILL\\); starting a replacement`).test(server.stderr()));
    const during = await Promise.all(Array.from({ length: 8 }, (_, i) => predict(i, `cluster-e-${i}`)));
    for (const [i, a] of during.entries()) assert.deepEqual([a.status, JSON.parse(a.body)], [200, { predictions: [0.5 * i + 2] }]);
    await waitFor(() => /replacement serving process listening/.test(server.stderr()));
    const replacement = Number(/"worker":(\d+)[^\n]*replacement serving process listening/.exec(server.stderr())?.[1]);
    assert.ok(replacement > 0 && replacement !== victim && replacement !== survivor);
    // Fresh connections go round-robin over the two processes: the replacement answers some, correctly.
    const after = await Promise.all(Array.from({ length: 8 }, (_, i) => predict(10 + i, `cluster-r-${i}`)));
    for (const [i, a] of after.entries()) assert.deepEqual([a.status, JSON.parse(a.body)], [200, { predictions: [0.5 * (10 + i) + 2] }]);
    await waitFor(() => after.every((_, i) => accessPid(server.stderr(), `cluster-r-${i}`) !== undefined));
    const pids = new Set(after.map((_, i) => accessPid(server.stderr(), `cluster-r-${i}`)));
    assert.ok(pids.has(replacement), `the replacement ${replacement} answered none of ${[...pids].join(', ')}`);
  });

  it('SIGTERM with requests in flight: all answer, exit 0, no serving process left', async () => {
    const workers = childPids(server.child.pid ?? 0);
    assert.equal(workers.length, 2, `serving processes now: ${workers.join(', ')}`);
    const rest = Array.from({ length: 8 }, (_, i) => heldRestPost(server.restPort, '/v1/models/hpt:predict', JSON.stringify({ instances: [i] })));
    const grpc = Array.from({ length: 4 }, (_, i) =>
      heldGrpcPredict(server.grpcPort, { model_spec: { name: 'hpt' }, inputs: { x: floatTensor([100 + i], [1]) } }));
    await Promise.all([...rest, ...grpc].map((r) => r.accepted));
    const exited = exitOf(server.child);
    const before = server.stderr().length;
    server.child.kill('SIGTERM');
    await waitFor(() => (server.stderr().slice(before).match(/draining: not ready/g) ?? []).length === 2);
    for (const r of [...rest, ...grpc]) r.release();
    for (const [i, a] of (await Promise.all(rest.map((r) => r.answer))).entries()) {
      assert.equal(a.status, 200, a.body);
      assert.deepEqual(JSON.parse(a.body), { predictions: [0.5 * i + 2] });
    }
    for (const [i, a] of (await Promise.all(grpc.map((r) => r.answer))).entries()) {
      assert.equal(a.grpcStatus, 0, a.message);
      assert.deepEqual(floatsOf((a.response?.outputs as Record<string, Record<string, unknown>>).y!), [0.5 * (100 + i) + 2]);
    }
    assert.deepEqual(await exited, { code: 0, signal: null }, server.stderr());
    assert.equal((server.stderr().match(/drained: exiting/g) ?? []).length, 2);
    for (const pid of workers) assert.ok(!existsSync(`/proc/${pid}`) || zombieOrGone(pid), `serving process ${pid} left behind`);
  });
});

/** Child processes of `pid` running inferd (the serving processes), from /proc. */
function childPids(pid: number): number[] {
  const children = new Set<number>();
  for (const task of readdirSafe(`/proc/${pid}/task`)) {
    for (const c of readSafe(`/proc/${pid}/task/${task}/children`).split(/\s+/).filter(Boolean)) children.add(Number(c));
  }
  return [...children].filter((c) => readSafe(`/proc/${c}/cmdline`).includes('inferd.js'));
}

function zombieOrGone(pid: number): boolean {
  const stat = readSafe(`/proc/${pid}/stat`);
  return stat === '' || / Z /.test(stat);
}

function readSafe(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
