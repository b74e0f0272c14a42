/**
 * The runtime conformance suite (shared/DESIGN.md convention 5): every runtime passes the same tests on the
 * same kinds of models. A runtime supplies a factory per capability that writes a version directory in its own
 * format; a capability it cannot provide is listed in `skips` with the reason, and its tests are skipped with it.
 *
 * Model contracts (aliases are what the runtime's serving_default signature must expose):
 * - halfPlusTwo: x float32 → y = 0.5x + 2, elementwise, any batch size (required).
 * - twoInTwoOut: a, b float32 [n, 2] → sum = a + b, product = a·b; rejects a second dim other than 2.
 * - addOneInt64: x int64 [n] → y = x + 1.   - logicalNot: x bool [n] → y = !x.
 * - stringIdentity: x string [n] → y = x.   - identity[dtype]: x dtype [n] → y = x.
 * - corrupt: a version directory the runtime detects but cannot load.
 */
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DType } from '../../src/core/dtype.ts';
import { InferdError } from '../../src/core/errors.ts';
import type { LoadedModel, Runtime, RunRequest } from '../../src/core/runtime.ts';
import { type Tensor, type TensorDataByDType, allocate, decodeString, elementCount, stringTensor, tensor } from '../../src/core/tensor.ts';

/** Writes one model into a version directory (which exists and is empty). */
export type ModelFactory = (versionDir: string) => Promise<unknown>;

/** A model for one capability, and the input shape it takes for a batch of n (default `n => [n]`). */
export interface ModelCase {
  readonly write: ModelFactory;
  readonly shape?: (batch: number) => number[];
}

/** Capabilities to test. Missing optional ones must appear in `skips`. */
export interface ConformanceModels {
  readonly halfPlusTwo: ModelCase;
  readonly twoInTwoOut?: ModelCase;
  readonly addOneInt64?: ModelCase;
  readonly logicalNot?: ModelCase;
  readonly stringIdentity?: ModelCase;
  readonly identity?: Partial<Record<DType, ModelCase>>;
  readonly corrupt?: ModelCase;
  /** Test names (see `CASES`) or capability names skipped, each with the reason. */
  readonly skips?: Readonly<Record<string, string>>;
}

const BATCHES = [1, 2, 7] as const;
const rowShape = (c: ModelCase, n: number): number[] => (c.shape ? c.shape(n) : [n]);

/** Expect a promise to reject with an InferdError of `code`; returns the error for message checks. */
export async function rejectsWithCode(p: Promise<unknown>, code: InferdError['code']): Promise<InferdError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof InferdError, `expected an InferdError, got ${String(err)}`);
    assert.equal(err.code, code, `expected ${code}, got ${err.code}: ${err.message}`);
    return err;
  }
  assert.fail(`expected rejection with ${code}`);
}

/** Register the suite under `describe(name)`. `makeRuntime` is called once; the runtime is closed after the suite. */
export function runtimeConformance(
  name: string,
  makeRuntime: () => Promise<Runtime>,
  makeModels: () => ConformanceModels | Promise<ConformanceModels>,
): void {
  describe(`runtime conformance: ${name}`, () => {
    let runtime: Runtime;
    let models: ConformanceModels;
    let root: string;
    let counter = 0;
    const open: LoadedModel[] = [];

    before(async () => {
      runtime = await makeRuntime();
      models = await makeModels();
      root = await mkdtemp(join(tmpdir(), `inferd-conformance-${name}-`));
    });
    after(async () => {
      await Promise.all(open.map((m) => m.close()));
      await runtime.close();
      await rm(root, { recursive: true, force: true });
    });

    const dirFor = async (c: ModelCase): Promise<string> => {
      const dir = join(root, `m${counter++}`, '1');
      await mkdir(dir, { recursive: true });
      await c.write(dir);
      return dir;
    };
    const load = async (c: ModelCase): Promise<LoadedModel> => {
      const model = await runtime.load({ modelName: 'm', version: 1, path: await dirFor(c) });
      open.push(model);
      return model;
    };
    const run = (m: LoadedModel, inputs: Record<string, Tensor>, extra: Partial<RunRequest> = {}) =>
      m.run({ signatureName: 'serving_default', inputs, ...extra });

    /** Declare a test that needs capability `cap` (skipped with the reason when it is absent or listed). */
    const test = (title: string, cap: string, fn: () => Promise<void>): void => {
      it(title, async (t) => {
        const reason = models.skips?.[title] ?? models.skips?.[cap];
        const present = cap === 'halfPlusTwo' || cap === 'runtime' || (models as unknown as Record<string, unknown>)[cap] !== undefined;
        if (reason !== undefined) {
          t.skip(reason);
          return;
        }
        assert.ok(present, `capability '${cap}' is neither provided nor listed in skips with a reason`);
        await fn();
      });
    };

    test('detect recognises a model directory and rejects an empty one', 'runtime', async () => {
      assert.equal(await runtime.detect(await dirFor(models.halfPlusTwo)), true);
      const empty = join(root, `empty${counter++}`);
      await mkdir(empty, { recursive: true });
      assert.equal(await runtime.detect(empty), false);
    });

    test('metadata has serving_default with the predict method', 'halfPlusTwo', async () => {
      const m = await load(models.halfPlusTwo);
      const sig = m.metadata.signatures['serving_default'];
      assert.ok(sig, 'serving_default signature');
      assert.equal(sig.methodName, 'tensorflow/serving/predict');
      assert.equal(sig.inputs['x']?.dtype, 'float32');
      assert.equal(sig.outputs['y']?.dtype, 'float32');
    });

    test('float32 elementwise model is correct for batch sizes 1, 2, 7', 'halfPlusTwo', async () => {
      const m = await load(models.halfPlusTwo);
      for (const n of BATCHES) {
        const shape = rowShape(models.halfPlusTwo, n);
        const x = Float32Array.from({ length: elementCount(shape) }, (_, i) => i * 1.5 - 3);
        const { y } = await run(m, { x: tensor('float32', shape, x) });
        assert.ok(y);
        assert.equal(y.dtype, 'float32');
        assert.deepEqual(y.shape, shape);
        assert.deepEqual([...(y.data as Float32Array)], [...x].map((v) => 0.5 * v + 2));
      }
    });

    test('input of the wrong dtype is INVALID_ARGUMENT', 'halfPlusTwo', async () => {
      const m = await load(models.halfPlusTwo);
      const shape = rowShape(models.halfPlusTwo, 2);
      const err = await rejectsWithCode(run(m, { x: tensor('float64', shape, new Float64Array(elementCount(shape))) }), 'INVALID_ARGUMENT');
      assert.match(err.message, /x/);
    });

    test('unknown signature is NOT_FOUND', 'halfPlusTwo', async () => {
      const m = await load(models.halfPlusTwo);
      await rejectsWithCode(
        m.run({ signatureName: 'no_such_signature', inputs: { x: tensor('float32', rowShape(models.halfPlusTwo, 1), new Float32Array(1)) } }),
        'NOT_FOUND',
      );
    });

    test('50 concurrent runs all answer correctly', 'halfPlusTwo', async () => {
      const m = await load(models.halfPlusTwo);
      const results = await Promise.all(Array.from({ length: 50 }, async (_, i) => {
        const shape = rowShape(models.halfPlusTwo, (i % 7) + 1);
        const x = Float32Array.from({ length: elementCount(shape) }, (_, j) => i * 10 + j);
        const { y } = await run(m, { x: tensor('float32', shape, x) });
        return { x, y };
      }));
      for (const { x, y } of results) assert.deepEqual([...(y?.data as Float32Array)], [...x].map((v) => 0.5 * v + 2));
    });

    test('an aborted signal rejects with CANCELLED, a timeout with DEADLINE_EXCEEDED', 'halfPlusTwo', async () => {
      const m = await load(models.halfPlusTwo);
      const x = tensor('float32', rowShape(models.halfPlusTwo, 1), new Float32Array(1));
      const ctl = new AbortController();
      ctl.abort();
      await rejectsWithCode(run(m, { x }, { signal: ctl.signal }), 'CANCELLED');
      await rejectsWithCode(run(m, { x }, { signal: AbortSignal.abort(new DOMException('late', 'TimeoutError')) }), 'DEADLINE_EXCEEDED');
      const late = new AbortController();
      const pending = run(m, { x }, { signal: late.signal });
      late.abort();
      await rejectsWithCode(pending, 'CANCELLED');
      assert.ok((await run(m, { x })).y, 'model still serves after cancellations');
    });

    test('close is idempotent and a run after close rejects', 'halfPlusTwo', async () => {
      const m = await runtime.load({ modelName: 'm', version: 1, path: await dirFor(models.halfPlusTwo) });
      const x = tensor('float32', rowShape(models.halfPlusTwo, 1), new Float32Array([4]));
      const inflight = run(m, { x });
      await Promise.all([m.close(), m.close()]);
      assert.deepEqual([...((await inflight).y?.data as Float32Array)], [4], 'a run in flight at close still completes');
      await m.close();
      await assert.rejects(run(m, { x }), (err) => err instanceof InferdError);
    });

    test('loading a missing directory fails with an error naming the path', 'runtime', async () => {
      const missing = join(root, 'does-not-exist', '1');
      await assert.rejects(runtime.load({ modelName: 'm', version: 1, path: missing }), (err) => {
        assert.ok(err instanceof InferdError);
        assert.ok(err.message.includes(missing), err.message);
        return true;
      });
    });

    test('loading a corrupt model fails with an error naming the path', 'corrupt', async () => {
      const dir = await dirFor(models.corrupt!);
      await assert.rejects(runtime.load({ modelName: 'm', version: 1, path: dir }), (err) => {
        assert.ok(err instanceof InferdError);
        assert.ok(err.message.includes(dir), err.message);
        return true;
      });
    });

    test('two inputs and two outputs, with and without outputFilter', 'twoInTwoOut', async () => {
      const c = models.twoInTwoOut!;
      const m = await load(c);
      const shape = rowShape(c, 2);
      const a = tensor('float32', shape, new Float32Array([1, 2, 3, 4]));
      const b = tensor('float32', shape, new Float32Array([5, 6, 7, 8]));
      const all = await run(m, { a, b });
      assert.deepEqual(Object.keys(all).sort(), ['product', 'sum']);
      assert.deepEqual([...(all['sum']?.data as Float32Array)], [6, 8, 10, 12]);
      assert.deepEqual([...(all['product']?.data as Float32Array)], [5, 12, 21, 32]);
      const only = await run(m, { a, b }, { outputFilter: ['product'] });
      assert.deepEqual(Object.keys(only), ['product']);
      assert.deepEqual(only['product']?.shape, shape);
      await rejectsWithCode(run(m, { a, b }, { outputFilter: ['nope'] }), 'INVALID_ARGUMENT');
    });

    test('a shape the model rejects is INVALID_ARGUMENT', 'twoInTwoOut', async () => {
      const m = await load(models.twoInTwoOut!);
      const bad = tensor('float32', [2, 3], new Float32Array(6));
      await rejectsWithCode(run(m, { a: bad, b: bad }), 'INVALID_ARGUMENT');
    });

    test('int64 model keeps 64-bit values exact', 'addOneInt64', async () => {
      const m = await load(models.addOneInt64!);
      for (const n of BATCHES) {
        const x = BigInt64Array.from({ length: n }, (_, i) => 2n ** 40n * BigInt(i) - 3n);
        const { y } = await run(m, { x: tensor('int64', rowShape(models.addOneInt64!, n), x) });
        assert.equal(y?.dtype, 'int64');
        assert.deepEqual([...(y?.data as BigInt64Array)], [...x].map((v) => v + 1n));
      }
    });

    test('bool model negates', 'logicalNot', async () => {
      const m = await load(models.logicalNot!);
      const { y } = await run(m, { x: tensor('bool', rowShape(models.logicalNot!, 3), new Uint8Array([1, 0, 1])) });
      assert.equal(y?.dtype, 'bool');
      assert.deepEqual([...(y?.data as Uint8Array)], [0, 1, 0]);
    });

    test('string model round-trips UTF-8 bytes', 'stringIdentity', async () => {
      const m = await load(models.stringIdentity!);
      const values = ['hello', '', 'héllo wörld ✓', '日本語'];
      const { y } = await run(m, { x: stringTensor(rowShape(models.stringIdentity!, values.length), values) });
      assert.equal(y?.dtype, 'string');
      assert.deepEqual((y?.data as Uint8Array[]).map(decodeString), values);
    });

    test('identity models round-trip every listed dtype', 'identity', async () => {
      for (const [dtype, c] of Object.entries(models.identity ?? {}) as [DType, ModelCase][]) {
        const m = await load(c);
        const n = 5;
        const data = sampleData(dtype, n);
        const { y } = await run(m, { x: tensor(dtype, rowShape(c, n), data) });
        assert.equal(y?.dtype, dtype, `dtype of ${dtype} identity`);
        assert.deepEqual([...(y?.data as Iterable<unknown>)], [...(data as Iterable<unknown>)], `${dtype} values`);
      }
    });
  });
}

/** Distinctive sample values of a dtype (edge values where the type has them). */
function sampleData<D extends DType>(dtype: D, n: number): TensorDataByDType[D] {
  const data = allocate(dtype, n);
  for (let i = 0; i < n; i++) {
    switch (dtype) {
      case 'int64': (data as BigInt64Array)[i] = i === 0 ? -(2n ** 63n) : BigInt(i) * 1234567890123n; break;
      case 'uint64': (data as BigUint64Array)[i] = i === 0 ? 2n ** 64n - 1n : BigInt(i) * 987654321987n; break;
      case 'string': (data as Uint8Array[])[i] = new TextEncoder().encode(`s${i}`); break;
      case 'bool': (data as Uint8Array)[i] = i % 2; break;
      case 'float32': case 'float64': (data as Float64Array)[i] = i === 0 ? -0.5 : i * 1.25; break;
      case 'int8': (data as Int8Array)[i] = i === 0 ? -128 : i * 25; break;
      case 'int16': (data as Int16Array)[i] = i === 0 ? -32768 : i * 1000; break;
      case 'int32': (data as Int32Array)[i] = i === 0 ? -(2 ** 31) : i * 100000; break;
      case 'uint8': (data as Uint8Array)[i] = i === 0 ? 255 : i * 7; break;
      case 'uint16': case 'float16': case 'bfloat16': (data as Uint16Array)[i] = i === 0 ? 0xffff - 0x400 : 0x3c00 + i; break;
      case 'uint32': (data as Uint32Array)[i] = i === 0 ? 2 ** 32 - 1 : i * 100000; break;
    }
  }
  return data;
}
