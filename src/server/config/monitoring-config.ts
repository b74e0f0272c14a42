/**
 * `--monitoring_config_file`: TensorFlow Serving's MonitoringConfig { prometheus_config { enable, path } }
 * (config/monitoring_config.proto) in text format (or JSON/YAML by extension). An empty path means
 * `/monitoring/prometheus/metrics` (PrometheusExporter::kPrometheusPath). Served on the REST port only.
 * Pure except loadMonitoringConfig (one file read).
 */
import { readConfigDocument } from './config-file.ts';
import { parseConfigDocument, syntaxForPath } from './config-document.ts';
import { MONITORING_CONFIG } from './schemas.ts';
import { valueOf } from '../../core/textproto.ts';
import type { TextMessage } from '../../core/textproto.ts';

/** The path TensorFlow Serving serves Prometheus metrics on when the config leaves it empty. */
export const DEFAULT_PROMETHEUS_PATH = '/monitoring/prometheus/metrics';

/** Monitoring settings with defaults applied. */
export interface MonitoringConfig {
  readonly prometheus: {
    /** Serve metrics in Prometheus text format on the REST port. Default false. */
    readonly enable: boolean;
    /** URL path of the metrics endpoint. Default (and when empty) DEFAULT_PROMETHEUS_PATH. */
    readonly path: string;
  };
}

/** No `--monitoring_config_file`: Prometheus export disabled. */
export const DEFAULT_MONITORING_CONFIG: MonitoringConfig = { prometheus: { enable: false, path: DEFAULT_PROMETHEUS_PATH } };

/** Decode a schema-checked MonitoringConfig tree, applying defaults. */
export function decodeMonitoringConfig(root: TextMessage): MonitoringConfig {
  const prom = valueOf(root, 'prometheus_config');
  if (prom?.kind !== 'message') return DEFAULT_MONITORING_CONFIG;
  const enable = valueOf(prom, 'enable');
  const path = valueOf(prom, 'path');
  const p = path?.kind === 'string' ? path.value : '';
  return { prometheus: { enable: enable?.kind === 'bool' ? enable.value : false, path: p === '' ? DEFAULT_PROMETHEUS_PATH : p } };
}

/** Parse a MonitoringConfig document (syntax by `fileName` extension, default text); INVALID_ARGUMENT on error. */
export function parseMonitoringConfigText(text: string, fileName = 'monitoring_config_file'): MonitoringConfig {
  return decodeMonitoringConfig(parseConfigDocument(text, syntaxForPath(fileName), MONITORING_CONFIG));
}

/** Read `--monitoring_config_file` (errors as readConfigDocument: NOT_FOUND / `Invalid protobuf file: '<path>'`). */
export async function loadMonitoringConfig(path: string): Promise<MonitoringConfig> {
  return decodeMonitoringConfig(await readConfigDocument(path, MONITORING_CONFIG));
}
