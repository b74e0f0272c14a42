import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { InferdError } from '../../../src/core/errors.ts';
import { parseErrorDetail } from '../../../src/server/config/config-file.ts';
import {
  DEFAULT_MONITORING_CONFIG,
  DEFAULT_PROMETHEUS_PATH,
  loadMonitoringConfig,
  parseMonitoringConfigText,
} from '../../../src/server/config/monitoring-config.ts';

const FIXTURES = fileURLToPath(new URL('../../../../shared/fixtures/tensorflow-serving/', import.meta.url));
const noFixtures = existsSync(FIXTURES) ? false : `shared fixtures absent (${FIXTURES})`;

describe('MonitoringConfig', () => {
  it('parses enable and path', () => {
    assert.deepEqual(parseMonitoringConfigText('prometheus_config { enable: true path: "/metrics" }'), {
      prometheus: { enable: true, path: '/metrics' },
    });
  });

  it('an empty path means /monitoring/prometheus/metrics', () => {
    assert.equal(DEFAULT_PROMETHEUS_PATH, '/monitoring/prometheus/metrics');
    assert.deepEqual(parseMonitoringConfigText('prometheus_config { enable: true path: "" }'), {
      prometheus: { enable: true, path: DEFAULT_PROMETHEUS_PATH },
    });
    assert.deepEqual(parseMonitoringConfigText('prometheus_config { enable: true }').prometheus.path, DEFAULT_PROMETHEUS_PATH);
  });

  it('an empty file disables Prometheus', () => {
    assert.deepEqual(parseMonitoringConfigText(''), DEFAULT_MONITORING_CONFIG);
    assert.equal(DEFAULT_MONITORING_CONFIG.prometheus.enable, false);
  });

  it('JSON and YAML by extension', () => {
    assert.deepEqual(parseMonitoringConfigText('{"prometheusConfig": {"enable": true}}', 'm.json').prometheus, { enable: true, path: DEFAULT_PROMETHEUS_PATH });
    assert.deepEqual(parseMonitoringConfigText('prometheus_config:\n  enable: true\n  path: /m\n', 'm.yml').prometheus, { enable: true, path: '/m' });
  });

  it('errors use protobuf wording with line:col', () => {
    assert.throws(
      () => parseMonitoringConfigText('prometheus_config {\n  enable: yes\n}'),
      (err: unknown) =>
        err instanceof InferdError &&
        err.code === 'INVALID_ARGUMENT' &&
        err.message === 'Error parsing text-format tensorflow.serving.MonitoringConfig: 3:1: Invalid value for boolean field "enable". Value: "yes".',
    );
    assert.throws(
      () => parseMonitoringConfigText('prometheus_config { port: 9090 }'),
      /Error parsing text-format tensorflow\.serving\.MonitoringConfig: 1:25: Message type "tensorflow\.serving\.PrometheusConfig" has no field named "port"\./,
    );
  });

  it('loads a file; a bad one is `Invalid protobuf file`', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'inferd-monitoring-'));
    try {
      await writeFile(join(dir, 'ok.config'), 'prometheus_config: { enable: true, path: "/p" }\n');
      await writeFile(join(dir, 'bad.config'), 'prometheus_config: { enable: true, path: /p }\n');
      assert.deepEqual(await loadMonitoringConfig(join(dir, 'ok.config')), { prometheus: { enable: true, path: '/p' } });
      await assert.rejects(loadMonitoringConfig(join(dir, 'bad.config')), (err: unknown) => {
        assert.ok(err instanceof InferdError);
        assert.equal(err.message, `Invalid protobuf file: '${join(dir, 'bad.config')}'`);
        assert.equal(parseErrorDetail(err), 'Error parsing text-format tensorflow.serving.MonitoringConfig: 1:42: Expected string, got: /');
        return true;
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('fixture monitoring_config.txt', { skip: noFixtures }, async () => {
    assert.deepEqual(await loadMonitoringConfig(join(FIXTURES, 'monitoring_config.txt')), {
      prometheus: { enable: true, path: '/monitoring/prometheus/metrics' },
    });
  });
});
