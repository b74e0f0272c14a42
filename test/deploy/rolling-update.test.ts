/**
 * A rolling update with zero failed requests (issue 12 item 5), played on loopback the way deploy/kubernetes runs it:
 * three `inferd serve` replicas behind a round-robin TCP balancer that routes only to replicas whose
 * /v2/health/ready answers 200 (support/round-robin-balancer.ts, the Service + endpoint controller), 32 keep-alive
 * clients sending predicts without pause, and each replica replaced in turn as the Deployment's strategy does
 * (maxSurge 1, maxUnavailable 0): start the new replica, wait until the balancer sees it ready, then SIGTERM the old
 * one, which drains (not ready at once, serving with `Connection: close` for --drain_delay_seconds while the
 * balancer takes it out, then closes its ports, finishes in flight, exits 0). Every request must succeed with the
 * right answer. The timing relation to the Kubernetes probes and grace period is in docs/deploy.md.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { halfPlusTwo } from '../support/models.ts';
import { RoundRobinBalancer } from '../support/round-robin-balancer.ts';
import { exitOf, startServer, type RunningServer } from '../support/serve.ts';
import { textAnswer } from '../support/http-text.ts';

const REPLICAS = 3;
const CLIENTS = 32;
/** Upper bound on each client's requests (the loop also stops when the rollout is over). */
const MAX_REQUESTS_PER_CLIENT = 20_000;
/** The drain delay must outlast the balancer noticing the replica is not ready (a 100 ms poll here, seconds in a cluster). */
const DRAIN_DELAY_SECONDS = 3;
/** Each client's pause between requests: 32 clients still keep every replica busy without starving the replacements' start-up of CPU. */
const CLIENT_PAUSE_MS = 20;

interface ClientResult {
  ok: number;
  failures: string[];
}

/** POST one predict over the client's own keep-alive connection; resolves to status and body. */
function predict(agent: http.Agent, port: number, x: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ instances: [x] });
    const req = http.request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/v1/models/hpt:predict',
      agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      timeout: 30_000,
    }, (res) => {
      textAnswer(res).then(resolve, reject);
    });
    req.on('timeout', () => req.destroy(new Error('client timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

/** One client: predicts without pause until `stop()` says so; every answer is checked against 0.5·x + 2. */
async function runClient(id: number, port: number, stop: () => boolean): Promise<ClientResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const result: ClientResult = { ok: 0, failures: [] };
  try {
    for (let n = 0; n < MAX_REQUESTS_PER_CLIENT && !stop(); n++) {
      const x = id * MAX_REQUESTS_PER_CLIENT + n;
      try {
        const { status, body } = await predict(agent, port, x);
        const want = JSON.stringify({ predictions: [0.5 * x + 2] });
        if (status === 200 && JSON.stringify(JSON.parse(body)) === want) result.ok++;
        else result.failures.push(`client ${id} x=${x}: ${status} ${body.slice(0, 200)}`);
      } catch (err) {
        result.failures.push(`client ${id} x=${x}: ${(err as Error).message}`);
      }
      await new Promise((resolve) => setTimeout(resolve, CLIENT_PAUSE_MS));
    }
  } finally {
    agent.destroy();
  }
  return result;
}

describe('rolling update behind a readiness-aware round-robin balancer', () => {
  let dir: string;
  const balancer = new RoundRobinBalancer({ pollIntervalMs: 100, probeTimeoutMs: 1000 });
  const servers = new Set<RunningServer>();

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-rollout-'));
    await halfPlusTwo(path.join(dir, 'hpt', '1'));
  });
  after(async () => {
    await balancer.close();
    await Promise.all([...servers].map((s) => s.stop()));
    await rm(dir, { recursive: true, force: true });
  });

  /** A new replica ("pod"): started, added to the endpoints, ready once the balancer's poll has seen it so. */
  const startReplica = async (name: string) => {
    const server = await startServer(
      [`--model_base_path=${path.join(dir, 'hpt')}`, '--model_name=hpt', `--drain_delay_seconds=${DRAIN_DELAY_SECONDS}`, '--drain_timeout_seconds=20'],
      { grpc: false },
    );
    servers.add(server);
    balancer.add(name, server.restPort);
    await balancer.waitReady(name);
    return server;
  };

  it(`${CLIENTS} clients, ${REPLICAS} replicas replaced one by one with SIGTERM: zero failed requests, every answer right`, async (t) => {
    const port = await balancer.listen();
    let replicas = await Promise.all(Array.from({ length: REPLICAS }, (_, i) => startReplica(`old-${i}`)));

    let rolloutDone = false;
    const clients = Array.from({ length: CLIENTS }, (_, id) => runClient(id, port, () => rolloutDone));

    const openAtSignal: number[] = [];
    const exits: { code: number | null; signal: NodeJS.Signals | null }[] = [];
    for (let i = 0; i < REPLICAS; i++) {
      // Surge: the replacement is ready before the old replica is told to stop (maxSurge 1, maxUnavailable 0).
      const fresh = await startReplica(`new-${i}`);
      const old = replicas[i]!;
      // Under load: the old replica has client connections open through the balancer when it gets SIGTERM.
      while (balancer.backend(`old-${i}`).open === 0) await new Promise((resolve) => setTimeout(resolve, 20));
      openAtSignal.push(balancer.backend(`old-${i}`).open);
      const exited = exitOf(old.child);
      old.child.kill('SIGTERM');
      exits.push(await exited);
      servers.delete(old);
      balancer.remove(`old-${i}`);
      replicas = replicas.map((r, j) => (j === i ? fresh : r));
    }
    rolloutDone = true;
    const results = await Promise.all(clients);

    const failures = results.flatMap((r) => r.failures);
    const ok = results.reduce((sum, r) => sum + r.ok, 0);
    t.diagnostic(`${ok} requests answered, ${failures.length} failed; connections per new replica: ${[0, 1, 2].map((i) => balancer.backend(`new-${i}`).connections).join(', ')}`);
    assert.deepEqual(failures.slice(0, 10), [], `${failures.length} failed requests of ${ok + failures.length}`);
    assert.equal(balancer.refused, 0, 'no connection was refused or routed to a closed port');
    assert.ok(ok > 0, 'the clients made requests');
    for (const e of exits) assert.deepEqual(e, { code: 0, signal: null }, 'each old replica drained and exited 0');
    for (const open of openAtSignal) assert.ok(open > 0);
    // The traffic moved to the new replicas: they took the connections the old ones handed back.
    const moved = [0, 1, 2].reduce((sum, i) => sum + balancer.backend(`new-${i}`).connections, 0);
    assert.ok(moved > 0, 'the new replicas received connections');
    for (const r of replicas) assert.match(r.stderr(), /AVAILABLE/);
  });
});
