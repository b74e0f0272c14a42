/**
 * Baseline (c) of issue 6: a plain express + onnxruntime-node server, as a user would write it in an afternoon:
 * express.json() parses `{"instances": [...]}`, one `session.run` per request (no batching), JSON out.
 * ORT session options are onnxruntime-node's defaults unless `--intra_op_threads` is given.
 * Usage: `node --import tsx bench/baseline/express-ort.ts --model=NAME=/abs/model.onnx [--model=...] [--port=0]`.
 * Prints `{"event":"listening","port":N}` when ready; exits on SIGTERM.
 */
import express from 'express';
import * as ort from 'onnxruntime-node';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    model: { type: 'string', multiple: true, default: [] },
    intra_op_threads: { type: 'string' },
  },
});
const sessionOptions: ort.InferenceSession.SessionOptions = values.intra_op_threads ? { intraOpNumThreads: Number(values.intra_op_threads) } : {};
const sessions = new Map<string, ort.InferenceSession>();
for (const spec of values.model) {
  const eq = spec.indexOf('=');
  sessions.set(spec.slice(0, eq), await ort.InferenceSession.create(spec.slice(eq + 1), sessionOptions));
}

/** Rows of numbers (or numbers) → a float32 tensor of shape [n] or [n, width]. */
function toTensor(instances: unknown): ort.Tensor {
  if (!Array.isArray(instances) || instances.length === 0) throw new Error('instances must be a non-empty list');
  if (Array.isArray(instances[0])) {
    const width = (instances[0] as unknown[]).length;
    const data = new Float32Array(instances.length * width);
    instances.forEach((row: number[], r) => data.set(row, r * width));
    return new ort.Tensor('float32', data, [instances.length, width]);
  }
  return new ort.Tensor('float32', Float32Array.from(instances as number[]), [instances.length]);
}

const app = express();
app.use(express.json({ limit: '64mb' }));
app.post('/v1/models/:spec', async (req, res) => {
  const [name, verb] = String(req.params.spec).split(':');
  const session = sessions.get(name ?? '');
  if (!session || verb !== 'predict') {
    res.status(404).json({ error: 'not found' });
    return;
  }
  try {
    const input = toTensor((req.body as { instances?: unknown }).instances);
    const out = await session.run({ [session.inputNames[0]!]: input });
    const y = out[session.outputNames[0]!]!;
    const data = Array.from(y.data as Float32Array);
    const width = y.dims.length > 1 ? Number(y.dims[1]) : 0;
    const predictions = width > 0 ? Array.from({ length: Number(y.dims[0]) }, (_, r) => data.slice(r * width, (r + 1) * width)) : data;
    res.json({ predictions });
  } catch (err) {
    res.status(400).json({ error: String(err) });
  }
});
const server = app.listen(Number(values.port), '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ event: 'listening', port: typeof address === 'object' && address ? address.port : 0 })}\n`);
});
server.keepAliveTimeout = 60_000;
process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  for (const s of sessions.values()) void s.release();
});
