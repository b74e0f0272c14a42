/**
 * deploy/prometheus (the example scrape config and alert rules of docs/operations.md): every metric an alert
 * names is one a running inferd exports (live scrape after REST, gRPC, batched and failed traffic); the
 * Kubernetes relabeling reads exactly the annotations deploy/kubernetes/deployment.yaml sets, and the annotated
 * path is the one the ConfigMap's monitoring config serves; promtool (Prometheus' own checker, when installed or
 * named by $PROMTOOL) parses the rules' PromQL and the static part of the config. The same blocks appear in the docs.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { halfPlusTwo } from '../support/models.ts';
import { postJson, REPO_ROOT, startServer, type RunningServer } from '../support/serve.ts';

const DIR = path.join(REPO_ROOT, 'deploy', 'prometheus');
const PROMTOOL = process.env.PROMTOOL ?? 'promtool';
const promtoolSkip = spawnSync(PROMTOOL, ['--version']).status === 0 ? false : `promtool not found (install Debian's prometheus package or set PROMTOOL)`;

interface Rule { alert: string; expr: string }
interface ScrapeConfig { job_name: string; metrics_path?: string; kubernetes_sd_configs?: unknown[]; relabel_configs?: { source_labels?: string[]; regex?: string; replacement?: string; target_label?: string; action?: string }[] }

/** Metric names an expression refers to (PromQL identifiers that are not functions, keywords or label names). */
function metricNames(expr: string): string[] {
  const noStrings = expr.replace(/"[^"]*"/g, '""').replace(/\{[^}]*\}/g, '{}').replace(/by \([^)]*\)/g, '').replace(/\[[^\]]*\]/g, '');
  const words = noStrings.match(/[a-zA-Z_:][a-zA-Z0-9_:]*(?=\s*(\{|\[|\)|$|\s*[<>=!]|\s+or|\s*\/))/g) ?? [];
  const notMetrics = new Set(['sum', 'rate', 'increase', 'max', 'histogram_quantile', 'absent', 'or', 'and', 'by', 'le']);
  return [...new Set(words.filter((w) => !notMetrics.has(w)))];
}

describe('deploy/prometheus', () => {
  let rules: Rule[];
  let config: { rule_files: string[]; scrape_configs: ScrapeConfig[] };
  before(async () => {
    rules = (parse(await readFile(path.join(DIR, 'alerts.yml'), 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);
    config = parse(await readFile(path.join(DIR, 'prometheus.yml'), 'utf8')) as typeof config;
  });

  it('is what docs/operations.md shows (the scrape config verbatim, every alert by name)', async () => {
    const docs = await readFile(path.join(REPO_ROOT, 'docs', 'operations.md'), 'utf8');
    const body = (await readFile(path.join(DIR, 'prometheus.yml'), 'utf8')).split('\n').filter((l) => !l.startsWith('#')).join('\n').trim();
    assert.ok(docs.includes(body), 'docs/operations.md shows deploy/prometheus/prometheus.yml');
    for (const r of rules) assert.ok(docs.includes(`\`${r.alert}\``), r.alert);
  });

  it('has the alerts the operations guide promises', () => {
    assert.deepEqual(rules.map((r) => r.alert).sort(), [
      'InferdHighErrorRate', 'InferdHighLatencyP99', 'InferdModelLoadFailed', 'InferdModelLoadRetrying', 'InferdModelNotAvailable',
      'InferdNoReadyReplicas', 'InferdQueueSaturated', 'InferdQueueWaitHigh', 'InferdWarmupFailed',
    ]);
  });

  it('promtool parses every rule\'s PromQL and the static scrape config', { skip: promtoolSkip }, async () => {
    const checked = spawnSync(PROMTOOL, ['check', 'rules', path.join(DIR, 'alerts.yml')], { encoding: 'utf8' });
    assert.equal(checked.status, 0, checked.stdout + checked.stderr);
    assert.match(checked.stdout, new RegExp(`SUCCESS: ${rules.length} rules found`));
    // Debian's promtool is built without Kubernetes discovery: check the config with the static job only.
    const dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-prom-'));
    try {
      await writeFile(path.join(dir, 'alerts.yml'), await readFile(path.join(DIR, 'alerts.yml')));
      const staticOnly = { ...config, scrape_configs: config.scrape_configs.filter((j) => !j.kubernetes_sd_configs) };
      await writeFile(path.join(dir, 'prometheus.yml'), stringify(staticOnly));
      const res = spawnSync(PROMTOOL, ['check', 'config', path.join(dir, 'prometheus.yml')], { encoding: 'utf8' });
      assert.equal(res.status, 0, res.stdout + res.stderr);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('relabels Kubernetes pods by exactly the annotations the Deployment sets', async () => {
    const deployment = parse(await readFile(path.join(REPO_ROOT, 'deploy', 'kubernetes', 'deployment.yaml'), 'utf8')) as {
      spec: { template: { metadata: { labels: Record<string, string>; annotations: Record<string, string> } } };
    };
    const { labels, annotations } = deployment.spec.template.metadata;
    // Prometheus exposes pod annotations and labels as __meta_kubernetes_pod_{annotation,label}_<name, non-alnum → _>.
    const meta: Record<string, string> = { __address__: '10.1.2.3:8500' };
    for (const [k, v] of Object.entries(annotations)) meta[`__meta_kubernetes_pod_annotation_${k.replace(/[^a-zA-Z0-9]/g, '_')}`] = v;
    for (const [k, v] of Object.entries(labels)) meta[`__meta_kubernetes_pod_label_${k.replace(/[^a-zA-Z0-9]/g, '_')}`] = v;
    const job = config.scrape_configs.find((j) => j.kubernetes_sd_configs);
    assert.ok(job?.relabel_configs);
    for (const rule of job.relabel_configs) {
      const value = (rule.source_labels ?? []).map((l) => meta[l] ?? '').join(';');
      const match = new RegExp(`^(?:${rule.regex ?? '(.*)'})$`).exec(value);
      if (rule.action === 'keep') {
        assert.ok(match, `kept: ${rule.source_labels?.join(',')} = ${value}`);
      } else if (match && rule.target_label) {
        meta[rule.target_label] = (rule.replacement ?? '$1').replace(/\$(\d)/g, (_m, i: string) => match[Number(i)] ?? '');
      }
    }
    assert.equal(meta.__address__, '10.1.2.3:8501');
    const configMap = parse(await readFile(path.join(REPO_ROOT, 'deploy', 'kubernetes', 'configmap.yaml'), 'utf8')) as { data: Record<string, string> };
    assert.match(configMap.data['monitoring.config'] ?? '', new RegExp(`path: "${meta.__metrics_path__}"`));
  });

  describe('against a running inferd', () => {
    let dir: string;
    let server: RunningServer;
    before(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-prom-live-'));
      await halfPlusTwo(path.join(dir, 'm', '1'));
      await writeFile(path.join(dir, 'monitoring.config'), 'prometheus_config { enable: true, path: "/monitoring/prometheus/metrics" }\n');
      server = await startServer(['--model_name=m', `--model_base_path=${path.join(dir, 'm')}`, `--monitoring_config_file=${path.join(dir, 'monitoring.config')}`, '--enable_batching']);
    });
    after(async () => {
      await server?.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('exports every metric the alert rules name', async () => {
      await postJson(`${server.restUrl}/v1/models/m:predict`, { instances: [1] });
      await postJson(`${server.restUrl}/v1/models/m:predict`, { instances: ['not a number'] });
      const text = await (await fetch(`${server.restUrl}/monitoring/prometheus/metrics`)).text();
      const families = new Set([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => m[1]));
      const names = [...new Set(rules.flatMap((r) => metricNames(r.expr)))].filter((n) => n !== 'up');
      assert.deepEqual(names.sort(), [
        ':tensorflow:serving:batching_session:queuing_latency_bucket', ':tensorflow:serving:model_warmup_latency_count',
        ':tensorflow:serving:request_count', ':tensorflow:serving:request_latency_bucket',
        'inferd_model_load_failures_total', 'inferd_model_version_state', 'inferd_requests_rejected_total',
      ], 'the names found in the rules (so the loop below checks them all)');
      for (const name of names) {
        const family = name.replace(/_(bucket|count|sum)$/, '');
        assert.ok(families.has(family) || families.has(name), `${name} is exported`);
      }
      assert.match(text, /^:tensorflow:serving:request_latency_bucket\{le="\+Inf",model_name="m",API="predict",entrypoint="REST"\} 2$/m);
    });
  });
});
