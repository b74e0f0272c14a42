/** LiveStats: per-second buckets, percentiles, batch sizes, per-model series and the bounded window. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type LiveOutcome, LiveStats, SAMPLES_PER_SECOND, WINDOW_SECONDS } from '../../src/observability/live-stats.ts';

const outcome = (latencyMs: number, extra: Partial<LiveOutcome> = {}): LiveOutcome => ({
  kind: 'inference', model: 'm', code: 'OK', latencyMicros: latencyMs * 1000, ...extra,
});

describe('LiveStats', () => {
  it('counts requests and errors per second and gives nearest-rank p50/p99', () => {
    let now = 1_000_000;
    const stats = new LiveStats(() => now);
    for (let i = 1; i <= 100; i++) stats.record(outcome(i, i % 10 === 0 ? { code: 'INVALID_ARGUMENT' } : {}));
    now += 1000;
    stats.record(outcome(5));
    const snap = stats.snapshot(3);
    assert.equal(snap.overall.length, 3);
    const [empty, first, second] = snap.overall;
    assert.deepEqual(empty, { t: 999, requests: 0, errors: 0, p50Ms: null, p99Ms: null, meanBatch: null });
    assert.equal(first?.requests, 100);
    assert.equal(first?.errors, 10);
    assert.equal(first?.p50Ms, 50);
    assert.equal(first?.p99Ms, 99);
    assert.equal(second?.requests, 1);
    assert.equal(second?.p50Ms, 5);
  });

  it('averages batch sizes of batched requests only, and ignores metadata requests', () => {
    const stats = new LiveStats(() => 5_000);
    stats.record(outcome(1, { batchSize: 8 }));
    stats.record(outcome(1, { batchSize: 4 }));
    stats.record(outcome(1));
    stats.record(outcome(1, { kind: 'metadata' }));
    const [last] = stats.snapshot(1).overall;
    assert.equal(last?.requests, 3);
    assert.equal(last?.meanBatch, 6);
  });

  it('keeps a series per model and forgets models idle for the whole window', () => {
    let now = 0;
    const stats = new LiveStats(() => now);
    stats.record(outcome(1, { model: 'a' }));
    stats.record(outcome(1, { model: 'b' }));
    assert.deepEqual(Object.keys(stats.snapshot(5).models).sort(), ['a', 'b']);
    now = (WINDOW_SECONDS + 1) * 1000;
    stats.record(outcome(1, { model: 'b' }));
    assert.deepEqual(Object.keys(stats.snapshot(5).models), ['b']);
    assert.equal(stats.snapshot(WINDOW_SECONDS).overall.reduce((n, s) => n + s.requests, 0), 1, 'old buckets dropped');
  });

  it('keeps per-model series only for known models; others count overall', () => {
    const stats = new LiveStats(() => 0, Math.random, (name) => name === 'a');
    for (let i = 0; i < 1000; i++) stats.record(outcome(1, { model: `made-up-${i}` }));
    stats.record(outcome(1, { model: 'a' }));
    const snap = stats.snapshot(1);
    assert.deepEqual(Object.keys(snap.models), ['a']);
    assert.equal(snap.overall[0]?.requests, 1001);
  });

  it('bounds the latency samples per second', () => {
    let r = 0;
    const stats = new LiveStats(() => 0, () => ((r = (r * 9301 + 49297) % 233280) / 233280));
    for (let i = 0; i < SAMPLES_PER_SECOND * 4; i++) stats.record(outcome(i % 2 === 0 ? 1 : 3));
    const [s] = stats.snapshot(1).overall;
    assert.equal(s?.requests, SAMPLES_PER_SECOND * 4);
    assert.ok(s?.p50Ms === 1 || s?.p50Ms === 3);
    assert.equal(s?.p99Ms, 3);
  });
});
