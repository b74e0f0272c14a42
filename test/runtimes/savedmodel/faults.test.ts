// A JavaScript fault inside a kernel reaches the client as INTERNAL naming the node and op (never the raw
// property-access text) and is logged with its stack; a fault inside a While body names the body's node.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { registerOp } from '@tensorflow/tfjs-converter';
import { SavedModelRuntime } from '../../../src/runtimes/savedmodel/runtime.ts';
import { InferdError } from '../../../src/core/errors.ts';
import { attr, writeSavedModel } from '../../support/savedmodel-builder.ts';

const F = attr.type('DT_FLOAT');

describe('runtime faults', () => {
  let rt: SavedModelRuntime;
  let tmp: string;
  before(async () => {
    rt = await SavedModelRuntime.create({ workers: 0 });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'inferd-faults-'));
    registerOp('InferdTestFault', () => {
      const missing = undefined as unknown as { backend: unknown };
      return missing.backend as never;
    });
  });
  after(async () => {
    await rt?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  async function capture<T>(f: () => Promise<T>): Promise<{ result: PromiseSettledResult<T>; stderr: string }> {
    const chunks: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array) => {
      chunks.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      const [result] = await Promise.allSettled([f()]);
      return { result: result as PromiseSettledResult<T>, stderr: chunks.join('') };
    } finally {
      process.stderr.write = write;
    }
  }

  it('a fault in a plain graph is INTERNAL naming node and op, logged with the stack', async () => {
    const dir = path.join(tmp, 'plain', '1');
    writeSavedModel(dir, {
      nodes: [
        { name: 'x', op: 'Placeholder', attr: { dtype: F } },
        { name: 'relu', op: 'Relu', input: ['x'], attr: { T: F } },
        { name: 'boom', op: 'InferdTestFault', input: ['relu'], attr: { T: F } },
      ],
      signatures: { serving_default: { inputs: { x: { name: 'x:0', dtype: 'DT_FLOAT' } }, outputs: { y: { name: 'boom:0', dtype: 'DT_FLOAT' } } } },
    });
    const m = await rt.load({ modelName: 'plain', version: 1, path: dir });
    const { result, stderr } = await capture(() => m.run({ signatureName: 'serving_default', inputs: { x: { dtype: 'float32', shape: [2], data: Float32Array.from([1, -1]) } } }));
    assert.equal(result.status, 'rejected');
    const err = (result as PromiseRejectedResult).reason as InferdError;
    assert.ok(err instanceof InferdError);
    assert.equal(err.code, 'INTERNAL');
    assert.match(err.message, /node boom \(op InferdTestFault\)/);
    assert.doesNotMatch(err.message, /Cannot read properties/);
    const line = JSON.parse(stderr.trim().split('\n').pop() as string) as { node: string; stack: string };
    assert.equal(line.node, 'boom');
    assert.match(line.stack, /TypeError: Cannot read properties of undefined/);
    await m.close();
  });
});
