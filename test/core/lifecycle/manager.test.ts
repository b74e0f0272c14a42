/**
 * The lifecycle manager with the real ONNX runtime as its loader: states, resolution and its error texts, handles
 * that hold an unload, retries, and shutdown.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { InferdError } from '../../../src/core/errors.ts';
import { LifecycleManager, type TransitionEvent } from '../../../src/core/lifecycle/manager.ts';
import { OnnxRuntime } from '../../../src/runtimes/onnx/index.ts';
import { addOne, halfPlusTwo } from '../../support/models.ts';

describe('LifecycleManager', () => {
  let dir: string;
  let runtime: OnnxRuntime;
  const v = (n: number) => ({ version: n, path: path.join(dir, String(n)) });

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-mgr-'));
    await halfPlusTwo(path.join(dir, '1'));
    await addOne(path.join(dir, '2'), 'float32');
    runtime = await OnnxRuntime.create();
  });
  after(async () => {
    await runtime.close();
    await rm(dir, { recursive: true, force: true });
  });
  // Every manager a test creates is closed after it, pass or fail (close is idempotent): a failed assertion must
  // not leave loaded versions and retry timers behind to hang the process.
  const managers: LifecycleManager[] = [];
  const created = (manager: LifecycleManager): LifecycleManager => (managers.push(manager), manager);
  afterEach(async () => {
    await Promise.all(managers.splice(0).map((m) => m.close()));
  });

  const make = async (extra: { maxLoadRetries?: number; failFirst?: number } = {}) => {
    const events: TransitionEvent[] = [];
    let attempts = 0;
    const manager = created(await LifecycleManager.create({
      loader: async (name, version, signal) => {
        attempts += 1;
        if (attempts <= (extra.failFirst ?? 0)) throw InferdError.unavailable(`attempt ${attempts} fails`);
        return runtime.load({ modelName: name, version: version.version, path: version.path, signal });
      },
      maxLoadRetries: extra.maxLoadRetries ?? 0,
      loadRetryIntervalMs: 5,
      onTransition: (e) => events.push(e),
    }));
    return { manager, events };
  };

  const predict = async (manager: LifecycleManager, req: { name: string; version?: number; label?: string }, x: number) => {
    const handle = manager.acquire(req);
    try {
      const out = await handle.model.run({ signatureName: 'serving_default', inputs: { x: { dtype: 'float32', shape: [1], data: new Float32Array([x]) } } });
      return { version: handle.version, y: out.y?.data[0] };
    } finally {
      handle.release();
    }
  };

  it('loads aspired versions and resolves latest, specific and labelled requests', async () => {
    const { manager, events } = await make();
    manager.setAspiredVersions('m', [v(1)]);
    await manager.whenSettled(['m']);
    assert.deepEqual(manager.status('m'), [{ version: 1, state: 'AVAILABLE' }]);
    assert.deepEqual(events.map((e) => e.state), ['START', 'LOADING', 'AVAILABLE']);
    assert.deepEqual(await predict(manager, { name: 'm' }, 2), { version: 1, y: 3 });
    manager.setLabels('m', { stable: 1 });
    assert.deepEqual(await predict(manager, { name: 'm', label: 'stable' }, 4), { version: 1, y: 4 });
    assert.throws(() => manager.acquire({ name: 'm', label: 'canary' }), { code: 'INVALID_ARGUMENT', message: 'Unrecognized servable version label: canary' });
    assert.throws(() => manager.acquire({ name: 'm', version: 9 }), { code: 'NOT_FOUND', message: 'Servable not found for request: Specific(m, 9)' });
    assert.throws(() => manager.acquire({ name: 'x' }), { code: 'NOT_FOUND', message: 'Servable not found for request: Latest(x)' });
    await manager.close();
    assert.deepEqual(manager.status('m'), [{ version: 1, state: 'END' }]);
  });

  it('swaps versions: the new one loads first, the old one unloads only after its last handle is released', async () => {
    const { manager } = await make();
    manager.setAspiredVersions('m', [v(1)]);
    await manager.whenSettled(['m']);
    const held = manager.acquire({ name: 'm' });
    manager.setAspiredVersions('m', [v(2)]);
    await manager.whenSettled(['m']);
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(manager.status('m').map((s) => [s.version, s.state]), [[2, 'AVAILABLE'], [1, 'UNLOADING']]);
    // The held version still runs.
    const out = await held.model.run({ signatureName: 'serving_default', inputs: { x: { dtype: 'float32', shape: [1], data: new Float32Array([2]) } } });
    assert.equal(out.y?.data[0], 3);
    held.release();
    // Unloading is asynchronous (a runtime may stop threads): wait for the transition rather than a fixed time.
    const ended = () => manager.status('m').some((s) => s.version === 1 && s.state === 'END');
    for (let i = 0; i < 2000 && !ended(); i++) await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(manager.status('m').map((s) => [s.version, s.state]), [[2, 'AVAILABLE'], [1, 'END']]);
    assert.deepEqual(await predict(manager, { name: 'm' }, 2), { version: 2, y: 3 });
    await manager.close();
  });

  it('retries a failed load and reports each attempt; gives up as END with the error', async () => {
    const retried = await make({ maxLoadRetries: 2, failFirst: 2 });
    retried.manager.setAspiredVersions('m', [v(1)]);
    await retried.manager.whenSettled(['m']);
    assert.equal(retried.manager.status('m')[0]?.state, 'AVAILABLE');
    const retries = retried.events.filter((e) => e.reason.startsWith('retrying load'));
    assert.equal(retries.length, 2);
    assert.deepEqual(retries.map((e) => [e.state, e.error?.message, e.retry?.attempt, e.retry?.attempts]), [
      ['LOADING', 'attempt 1 fails', 1, 3], ['LOADING', 'attempt 2 fails', 2, 3],
    ]);
    for (const e of retries) assert.ok(Number.isFinite(e.retry?.nextAttemptAt), 'each retry says when the next attempt starts');
    assert.equal(retried.manager.status('m')[0]?.error, undefined, 'the error is cleared once an attempt succeeds');
    await retried.manager.close();

    // While retrying, status shows LOADING with the last attempt's error.
    let seen: unknown;
    const watching: LifecycleManager = created(await LifecycleManager.create({
      loader: async () => {
        throw InferdError.unavailable('still missing');
      },
      maxLoadRetries: 1,
      loadRetryIntervalMs: 1,
      onTransition: (e) => {
        if (e.retry) seen = watching.status('m').map((s) => [s.state, s.error?.message]);
      },
    }));
    watching.setAspiredVersions('m', [v(1)]);
    await watching.whenSettled(['m']);
    assert.deepEqual(seen, [['LOADING', 'still missing']]);
    await watching.close();

    const failed = await make({ maxLoadRetries: 1, failFirst: 5 });
    failed.manager.setAspiredVersions('m', [v(1)]);
    await failed.manager.whenSettled(['m']);
    const [status] = failed.manager.status('m');
    assert.equal(status?.state, 'END');
    assert.equal(status?.error?.code, 'UNAVAILABLE');
    assert.equal(status?.error?.message, 'attempt 2 fails');
    await failed.manager.close();
  });

  it('versions aspired faster than they load (issue 9 D11): stale queued loads never run, at most one unaspired version keeps serving', async () => {
    // Each load waits for its gate, so the test decides when a load finishes (no timing).
    const gates = new Map<number, () => void>();
    const loaded: number[] = [];
    const available = new Set<number>();
    let mostAvailable = 0;
    const manager = created(await LifecycleManager.create({
      loader: async (name, version, signal) => {
        loaded.push(version.version);
        // A gate also opens on shutdown, so closing the manager after a failed assertion cannot wait on it forever.
        await new Promise<void>((resolve) => {
          gates.set(version.version, resolve);
          signal?.addEventListener('abort', () => resolve(), { once: true });
        });
        return runtime.load({ modelName: name, version: 1, path: v(1).path, signal });
      },
      maxLoadRetries: 0,
      onTransition: (e) => {
        if (e.state === 'AVAILABLE') available.add(e.version);
        else available.delete(e.version);
        mostAvailable = Math.max(mostAvailable, available.size);
      },
    }));
    const until = async (check: () => boolean) => {
      for (let i = 0; i < 1000 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
      assert.ok(check());
    };
    const open = async (n: number) => {
      await until(() => gates.has(n));
      gates.get(n)?.();
    };
    manager.setAspiredVersions('m', [v(10)]);
    await open(10);
    await manager.whenSettled(['m']);
    // A new version appears every "poll" while loads are slow: 11 starts loading, 12..14 queue behind it.
    manager.setAspiredVersions('m', [{ ...v(1), version: 11 }]);
    await until(() => gates.has(11));
    for (const n of [12, 13, 14]) manager.setAspiredVersions('m', [{ ...v(1), version: n }]);
    await open(11);
    await open(14);
    await manager.whenSettled(['m']);
    await until(() => manager.status('m').filter((s) => s.state !== 'END').length === 1);
    assert.deepEqual(loaded, [10, 11, 14], 'versions no longer aspired when their turn came were never loaded');
    assert.ok(mostAvailable <= 2, `at most the aspired version and one unaspired one serve at once (saw ${mostAvailable})`);
    assert.deepEqual(manager.status('m').filter((s) => s.state !== 'END').map((s) => [s.version, s.state]), [[14, 'AVAILABLE']]);
    assert.deepEqual(manager.status('m').filter((s) => s.version === 12 || s.version === 13).map((s) => s.state), ['END', 'END']);
    await manager.close();
  });
});
