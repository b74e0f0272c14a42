/** Unit tests of the load generator's statistics: percentiles, perf_analyzer's stability rule, window folding, chart ticks. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ticks } from '../../src/loadgen/chart.ts';
import { formatErrors, formatTable, progressLine } from '../../src/loadgen/report.ts';
import { stepResult } from '../../src/loadgen/runner.ts';
import { isStable, percentile, summarize, windowThroughput, type WindowSample } from '../../src/loadgen/stats.ts';

const win = (count: number, durationMs = 1000, latency = 1, errors: Record<string, number> = {}): WindowSample => ({
  durationMs,
  latencies: Array.from({ length: count }, () => latency),
  errors,
});

describe('stability rule (perf_analyzer: last 3 windows within ±tolerance of their mean)', () => {
  it('needs at least three windows', () => {
    assert.equal(isStable([], 0.1), false);
    assert.equal(isStable([100, 100], 0.1), false);
    assert.equal(isStable([100, 100, 100], 0.1), true);
  });
  it('accepts windows inside the band and rejects one outside', () => {
    assert.equal(isStable([100, 105, 95], 0.1), true);
    assert.equal(isStable([100, 100, 125], 0.1), false, 'mean 108.3, 125 is 15% above');
    assert.equal(isStable([100, 100, 125], 0.2), true);
  });
  it('looks only at the trailing windows', () => {
    assert.equal(isStable([10, 500, 1000, 1000, 990, 1010], 0.1), true);
    assert.equal(isStable([1000, 1000, 1000, 10], 0.1), false);
  });
  it('treats all-zero windows as stable and honours a custom count', () => {
    assert.equal(isStable([0, 0, 0], 0.1), true);
    assert.equal(isStable([100, 300, 300, 300, 300], 0.1, 4), true);
    assert.equal(isStable([100, 300, 300, 300], 0.1, 4), false);
  });
});

describe('percentiles and summaries', () => {
  it('uses nearest rank', () => {
    const sorted = Float64Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(percentile(sorted, 0.5), 50);
    assert.equal(percentile(sorted, 0.9), 90);
    assert.equal(percentile(sorted, 0.99), 99);
    assert.equal(percentile(sorted, 1), 100);
    assert.equal(percentile(sorted, 0), 1);
    assert.equal(percentile([], 0.5), 0);
  });
  it('summarizes unsorted input without modifying it', () => {
    const input = [5, 1, 3, 2, 4];
    const s = summarize(input);
    assert.deepEqual(input, [5, 1, 3, 2, 4]);
    assert.deepEqual(s, { count: 5, min: 1, mean: 3, p50: 3, p90: 5, p99: 5, max: 5 });
    assert.equal(summarize([]).count, 0);
  });
  it('computes window throughput in requests per second', () => {
    assert.equal(windowThroughput(win(500, 500)), 1000);
    assert.equal(windowThroughput(win(0, 0)), 0);
  });
});

describe('stepResult', () => {
  it('reports throughput and latency from the trailing windows and errors from all windows', () => {
    const samples = [win(10, 1000, 50, { '429': 2 }), win(100, 1000, 2), win(110, 1000, 3, { UNAVAILABLE: 1 }), win(90, 1000, 4)];
    const r = stepResult({ kind: 'concurrency', concurrency: 4 }, samples, true);
    assert.equal(r.reportedWindows, 3);
    assert.equal(r.throughput, 100);
    assert.equal(r.latency.count, 300);
    assert.equal(r.latency.max, 4, 'the first window (latency 50) is not reported');
    assert.deepEqual(r.errors, { '429': 2, UNAVAILABLE: 1 });
    assert.equal(r.windows.length, 4);
    assert.deepEqual(r.windows.map((w) => w.errors), [2, 0, 1, 0]);
    assert.equal(r.stable, true);
  });
  it('handles fewer windows than the stable count', () => {
    const r = stepResult({ kind: 'rate', rate: 10, maxInFlight: 5 }, [win(20, 2000, 1)], false);
    assert.equal(r.reportedWindows, 1);
    assert.equal(r.throughput, 10);
    assert.equal(r.stable, false);
  });
});

describe('report formatting', () => {
  it('formats errors, table rows and the progress bar', () => {
    assert.equal(formatErrors({}), '0');
    assert.equal(formatErrors({ '429': 3, UNAVAILABLE: 0, ECONNRESET: 1 }), '429×3 ECONNRESET×1');
    const step = stepResult({ kind: 'concurrency', concurrency: 8 }, [win(100), win(100), win(100)], true);
    const table = formatTable([step]).split('\n');
    assert.equal(table.length, 3);
    assert.match(table[0]!, /^concurrency\s+throughput\/s\s+p50 ms/);
    assert.match(table[2]!, /^\s+8\s+100\.0\s+1\.000/);
    const bar = progressLine(1, 2, 'c=8', { phase: 'window', windowsDone: 5, maxWindows: 10, lastThroughput: 12.5 }, 20);
    assert.equal(bar, '[###############-----] step 2/2 c=8 window 5/10 12.5 req/s');
  });
  it('picks round chart ticks covering the maximum', () => {
    assert.deepEqual(ticks(10), [0, 2, 4, 6, 8, 10]);
    assert.deepEqual(ticks(2300), [0, 500, 1000, 1500, 2000, 2500]);
    assert.deepEqual(ticks(0), [0, 1]);
  });
});
