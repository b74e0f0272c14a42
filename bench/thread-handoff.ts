/**
 * What one hand-off to a worker thread and back costs (issue 11, c=1: the ONNX run-thread hop), without a model:
 * an echo worker takes a 784-float input and answers 10 floats, sequentially, one job in flight. Ways compared:
 * - `post`: worker.postMessage both ways with run-threads.ts' message shape (input copied, output transferred);
 * - `post, input transferred`: the same with the input's buffer transferred (a fresh copy per job, as it would be);
 * - `channel`: a MessageChannel port pair instead of the Worker object's own port;
 * - `post in, Atomics out`: postMessage to the worker, the answer in a SharedArrayBuffer, main waits with Atomics.waitAsync;
 * - `Atomics both ways`: the worker blocks in Atomics.wait between jobs, runs each job through its event loop
 *   (setImmediate, as onnxruntime-node's session.run does) and answers through the SharedArrayBuffer.
 * Reported: p50 round-trip wall µs and process CPU µs per job (both threads). Modes alternate over rounds.
 * `npx tsx bench/thread-handoff.ts [rounds] [jobsPerRound]`; prints a markdown table.
 */
import { MessageChannel, Worker } from 'node:worker_threads';

const MODES = ['post', 'post, input transferred', 'channel', 'post in, Atomics out', 'Atomics both ways'] as const;
type Mode = (typeof MODES)[number];

/** Atomics.waitAsync (Node ≥ 16; TypeScript's lib here predates it). */
const waitAsync = (Atomics as unknown as {
  waitAsync(a: Int32Array, index: number, value: number): { async: boolean; value: Promise<string> | string };
}).waitAsync;

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { mode, sab } = workerData;
const ctrl = new Int32Array(sab, 0, 4);
const data = new Float32Array(sab, 16);
const answer = (m, port) => {
  const out = new Float32Array(10);
  out[0] = m.feeds.x.data[0];
  port.postMessage({ type: 'outputs', id: m.id, outputs: { y: { type: 'float32', data: out, dims: [1, 10] } } }, [out.buffer]);
};
if (mode === 'post' || mode === 'post, input transferred') parentPort.on('message', (m) => answer(m, parentPort));
else if (mode === 'channel') parentPort.once('message', (port) => port.on('message', (m) => answer(m, port)));
else if (mode === 'post in, Atomics out') {
  parentPort.on('message', (m) => { data[0] = m.feeds.x.data[0]; Atomics.store(ctrl, 1, 1); Atomics.notify(ctrl, 1); });
} else {
  const next = () => {
    Atomics.wait(ctrl, 0, 0);
    if (ctrl[0] === 2) return;
    Atomics.store(ctrl, 0, 0);
    setImmediate(() => { data[0] += 1; Atomics.store(ctrl, 1, 1); Atomics.notify(ctrl, 1); next(); });
  };
  next();
}`;

interface Echo {
  once(): Promise<unknown>;
  close(): Promise<void>;
}

function start(mode: Mode): Echo {
  const sab = new SharedArrayBuffer(16 + 4 * 1024);
  const ctrl = new Int32Array(sab, 0, 4);
  const data = new Float32Array(sab, 16);
  const worker = new Worker(WORKER, { eval: true, workerData: { mode, sab } });
  const input = new Float32Array(784).fill(0.5);
  const job = (id: number, x: Float32Array) => ({ type: 'run', id, feeds: { x: { type: 'float32', data: x, dims: [1, 784] } }, fetches: ['y'] });
  const reply = async (): Promise<void> => {
    const r = waitAsync(ctrl, 1, 0);
    if (r.async) await r.value;
    Atomics.store(ctrl, 1, 0);
  };
  let id = 0;
  const close = async (): Promise<void> => {
    Atomics.store(ctrl, 0, 2);
    Atomics.notify(ctrl, 0);
    await worker.terminate();
  };
  if (mode === 'post in, Atomics out') {
    return { once: async () => { worker.postMessage(job(++id, input)); await reply(); }, close };
  }
  if (mode === 'Atomics both ways') {
    return { once: async () => { data.set(input); Atomics.store(ctrl, 0, 1); Atomics.notify(ctrl, 0); await reply(); }, close };
  }
  const pending = new Map<number, (m: unknown) => void>();
  const onMessage = (m: { id: number }): void => {
    pending.get(m.id)?.(m);
    pending.delete(m.id);
  };
  let send: (m: unknown, transfer?: ArrayBuffer[]) => void;
  if (mode === 'channel') {
    const { port1, port2 } = new MessageChannel();
    worker.postMessage(port2, [port2]);
    port1.on('message', onMessage);
    send = (m, transfer) => port1.postMessage(m, transfer);
    const inner = close;
    return { once: () => post(), close: async () => { port1.close(); await inner(); } };
  }
  worker.on('message', onMessage);
  send = (m, transfer) => worker.postMessage(m, transfer);
  function post(): Promise<unknown> {
    return new Promise((resolve) => {
      const i = ++id;
      pending.set(i, resolve);
      if (mode === 'post, input transferred') {
        const copy = input.slice();
        send(job(i, copy), [copy.buffer as ArrayBuffer]);
      } else send(job(i, input));
    });
  }
  return { once: post, close };
}

const rounds = Number(process.argv[2] ?? 6);
const perRound = Number(process.argv[3] ?? 2000);
const echoes = new Map(MODES.map((m) => [m, start(m)]));
const lat = new Map<Mode, number[]>(MODES.map((m) => [m, []]));
const cpu = new Map<Mode, number>(MODES.map((m) => [m, 0]));
try {
  for (const e of echoes.values()) for (let i = 0; i < 300; i++) await e.once();
  for (let r = 0; r < rounds; r++) {
    for (const mode of r % 2 === 0 ? MODES : [...MODES].reverse()) {
      const e = echoes.get(mode)!;
      const c0 = process.cpuUsage();
      for (let i = 0; i < perRound; i++) {
        const t = performance.now();
        await e.once();
        lat.get(mode)!.push((performance.now() - t) * 1000);
      }
      const c = process.cpuUsage(c0);
      cpu.set(mode, cpu.get(mode)! + c.user + c.system);
    }
  }
  process.stdout.write('| hand-off | p50 round trip µs | process CPU µs per job |\n| --- | ---: | ---: |\n');
  for (const mode of MODES) {
    const l = lat.get(mode)!.sort((a, b) => a - b);
    process.stdout.write(`| ${mode} | ${l[l.length >> 1]!.toFixed(1)} | ${(cpu.get(mode)! / (rounds * perRound)).toFixed(1)} |\n`);
  }
} finally {
  await Promise.all([...echoes.values()].map((e) => e.close()));
}
