// ServerMetrics in-process: events in, Prometheus text out (parsed with the Prometheus project's parser):
// rejected and cancelled counts, unknown model names folded into model_name="", the per-version state gauge,
// in-flight gauge, load failures and warmup latency. Deterministic: no server, no clocks.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RequestOutcome } from '../../src/core/request-outcome.ts';
import { ServerMetrics } from '../../src/observability/metrics.ts';
import { InferdError } from '../../src/core/errors.ts';
import { parsePrometheus, PROMETHEUS_PARSER_SKIP, sampleValue } from '../support/prometheus.ts';

const outcome = (o: Partial<RequestOutcome>): RequestOutcome => ({
  entrypoint: 'REST', api: 'predict', kind: 'inference', model: 'm', code: 'OK', latencyMicros: 50, requestBytes: 10, responseBytes: 20, ...o,
});

describe('ServerMetrics', { skip: PROMETHEUS_PARSER_SKIP }, () => {
  it('counts rejected, cancelled and failed requests, folding unknown models into model_name=""', async () => {
    const m = new ServerMetrics({ knownModel: (n) => n === 'm', processMetrics: false });
    m.requestFinished(outcome({ code: 'RESOURCE_EXHAUSTED', error: 'queue full' }));
    m.requestFinished(outcome({ code: 'RESOURCE_EXHAUSTED', entrypoint: 'GRPC', api: 'Predict' }));
    m.requestFinished(outcome({ code: 'CANCELLED' }));
    m.requestFinished(outcome({ code: 'DEADLINE_EXCEEDED', entrypoint: 'GRPC', api: 'Predict' }));
    m.requestFinished(outcome({ model: 'random-name-1', code: 'NOT_FOUND' }));
    m.requestFinished(outcome({ api: 'classify', examples: 3, runMicros: 20 }));
    m.requestFinished(outcome({ api: '', kind: 'metadata' }));
    const f = parsePrometheus(await m.scrape());
    assert.equal(sampleValue(f, 'inferd_requests_rejected_total', { model_name: 'm', entrypoint: 'REST' }), 1);
    assert.equal(sampleValue(f, 'inferd_requests_rejected_total', { model_name: 'm', entrypoint: 'GRPC' }), 1);
    assert.equal(sampleValue(f, 'inferd_requests_cancelled_total', { model_name: 'm', reason: 'CANCELLED' }), 1);
    assert.equal(sampleValue(f, 'inferd_requests_cancelled_total', { model_name: 'm', reason: 'DEADLINE_EXCEEDED' }), 1);
    assert.equal(sampleValue(f, ':tensorflow:serving:request_count_total', { model_name: '', status: 'NOT_FOUND' }), 1);
    assert.ok(!JSON.stringify(f).includes('random-name-1'));
    assert.equal(sampleValue(f, ':tensorflow:serving:request_count_total', { model_name: 'm' }), 5, 'metadata calls are not counted');
    assert.equal(sampleValue(f, ':tensorflow:serving:request_example_count_total', { model_name: 'm' }), 3);
    assert.equal(sampleValue(f, ':tensorflow:serving:request_example_counts_count', { model_name: 'm' }), 1);
    assert.equal(sampleValue(f, ':tensorflow:serving:runtime_latency_count', { model_name: 'm', API: 'classify' }), 1);
    m.close();
  });

  it('keeps one state per version, counts load failures and load time, and tracks in-flight requests', async () => {
    const m = new ServerMetrics({ processMetrics: false });
    const error = InferdError.notFound('no model here');
    m.transition({ model: 'm', version: 1, state: 'START', reason: 'aspired' });
    m.transition({ model: 'm', version: 1, state: 'LOADING', reason: 'loading' });
    m.transition({ model: 'm', version: 1, state: 'LOADING', reason: 'retrying load (1/1): no model here', error });
    m.transition({ model: 'm', version: 1, state: 'END', reason: 'load failed', error });
    m.transition({ model: 'm', version: 2, state: 'AVAILABLE', reason: 'loaded', loadMillis: 1500 });
    const done = m.requestStarted('GRPC', 'm');
    m.warmup('/models/m/2', 'OK', 1234);
    let f = parsePrometheus(await m.scrape());
    assert.equal(sampleValue(f, 'inferd_model_version_state', { model_name: 'm', version: '1', state: 'END' }), 1);
    assert.equal(sampleValue(f, 'inferd_model_version_state', { model_name: 'm', version: '1' }), 1, 'exactly one state is 1');
    assert.equal(sampleValue(f, 'inferd_model_version_state', { model_name: 'm', version: '2', state: 'AVAILABLE' }), 1);
    assert.equal(sampleValue(f, 'inferd_model_load_failures_total', { model_name: 'm', outcome: 'retry' }), 1);
    assert.equal(sampleValue(f, 'inferd_model_load_failures_total', { model_name: 'm', outcome: 'failed' }), 1);
    assert.equal(sampleValue(f, 'inferd_model_load_duration_seconds_sum', { model_name: 'm' }), 1.5);
    assert.equal(sampleValue(f, 'inferd_requests_in_flight', { model_name: 'm', entrypoint: 'GRPC' }), 1);
    assert.equal(sampleValue(f, ':tensorflow:serving:model_warmup_latency_count', { model_path: '/models/m/2', status: 'OK' }), 1);
    done();
    done();
    f = parsePrometheus(await m.scrape());
    assert.equal(sampleValue(f, 'inferd_requests_in_flight', { model_name: 'm', entrypoint: 'GRPC' }), 0, 'ending twice counts once');
    m.close();
  });
});
