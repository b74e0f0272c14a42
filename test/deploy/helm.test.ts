/**
 * deploy/helm/inferd rendered by a real helm (issue 12 items 4 and 5): `helm lint`, then `helm template` with the
 * default values and with non-default ones. Every rendered object validates against the Kubernetes OpenAPI schemas
 * (kubernetes-models), the defaults render the same objects as deploy/kubernetes (labels aside: the chart adds
 * Helm's), the values reach the objects they name, and a real `inferd serve` started as the non-default pod would be
 * accepts its args and serves. helm comes from $HELM, .tools/helm/helm (scripts/get-k8s-tools.sh) or PATH; without it
 * the test skips with a message.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  assertInferdDeployment, assertServesLikeThePod, byKind, findTool, flagValue, inferdContainer, type K8sObject, loadManifests, only, parseManifests,
  startLikeThePod, validateObject,
} from '../support/kubernetes.ts';
import { REPO_ROOT, type RunningServer } from '../support/serve.ts';

const CHART = path.join(REPO_ROOT, 'deploy', 'helm', 'inferd');

const HELM = findTool('helm', 'HELM');
const SKIP = HELM ? false : 'no helm binary: run scripts/get-k8s-tools.sh (or set HELM=/path/to/helm) to render the chart';

function helm(args: readonly string[]): string {
  return execFileSync(HELM!, [...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The object with labels, selectors and comments' effects removed: what must equal between chart and manifests. */
function withoutLabels(obj: K8sObject): unknown {
  const copy = structuredClone(obj) as K8sObject & { metadata: { labels?: unknown } };
  delete copy.metadata.labels;
  const spec = copy.spec as Record<string, Record<string, unknown> | undefined> | undefined;
  if (spec?.selector) delete spec.selector;
  const template = spec?.template as { metadata?: { labels?: unknown } } | undefined;
  if (template?.metadata) delete template.metadata.labels;
  return copy;
}

describe('deploy/helm/inferd', { skip: SKIP }, () => {
  it('passes helm lint', () => {
    assert.match(helm(['lint', '--strict', CHART]), /1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  it('with default values renders the same objects as deploy/kubernetes, each valid', async () => {
    const rendered = parseManifests(helm(['template', 'inferd', CHART]), 'helm template');
    for (const obj of rendered) await assert.doesNotReject(validateObject(obj), `${obj.kind}/${obj.metadata.name}`);
    assertInferdDeployment(rendered, { replicas: 3, serviceType: 'LoadBalancer', minReplicas: 3 });
    const plain = await loadManifests(path.join(REPO_ROOT, 'deploy', 'kubernetes'));
    assert.deepEqual(byKind(rendered).map((o) => o.kind), byKind(plain).map((o) => o.kind));
    for (const [i, obj] of byKind(rendered).entries()) {
      assert.deepEqual(withoutLabels(obj), withoutLabels(byKind(plain)[i]!), `${obj.kind} differs from deploy/kubernetes`);
    }
    // Helm's labels: the selector picks this release's pods only, and the Service selects what the Deployment runs.
    const deployment = only(rendered, 'Deployment');
    assert.equal(deployment.spec.selector.matchLabels['app.kubernetes.io/instance'], 'inferd');
    assert.deepEqual(deployment.spec.template.metadata.labels, deployment.spec.selector.matchLabels);
  });

  describe('with non-default values', () => {
    let dir: string;
    let rendered: K8sObject[];
    let server: RunningServer | undefined;
    let models: string[];
    before(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-helm-'));
      const values = path.join(dir, 'values.yaml');
      await writeFile(values, [
        'replicaCount: 5',
        'image: { repository: registry.example/ml/inferd, tag: "1.2.3", pullPolicy: Always }',
        'models:',
        '  pollWaitSeconds: 10',
        '  config: |',
        '    model_config_list {',
        '      config { name: "sentiment" base_path: "/models/sentiment" }',
        '      config { name: "ranker" base_path: "/models/ranker" model_platform: "onnx" }',
        '    }',
        'modelStorage: { existingClaim: shared-models }',
        'metrics: { enabled: true, path: /metrics }',
        'drain: { delaySeconds: 10, timeoutSeconds: 40 }',
        'terminationGracePeriodSeconds: 60',
        'extraArgs: [--rest_api_num_threads=2, --rest_api_timeout_in_ms=60000]',
        'resources: { requests: { cpu: 500m, memory: 512Mi }, limits: { cpu: "4", memory: 4Gi } }',
        'service: { type: ClusterIP, grpcPort: 9500, httpPort: 9501 }',
        'autoscaling: { minReplicas: 5, maxReplicas: 20, targetCPUUtilizationPercentage: 60 }',
        'podDisruptionBudget: { minAvailable: 4 }',
        'nodeSelector: { kubernetes.io/arch: amd64 }',
      ].join('\n'));
      rendered = parseManifests(helm(['template', 'prod', CHART, '-f', values]), 'helm template');
      ({ server, models } = await startLikeThePod(rendered, dir));
    });
    after(async () => {
      await server?.stop();
      await rm(dir, { recursive: true, force: true });
    });

    it('renders valid objects that carry the values', async () => {
      for (const obj of rendered) await assert.doesNotReject(validateObject(obj), `${obj.kind}/${obj.metadata.name}`);
      assertInferdDeployment(rendered, { replicas: 5, serviceType: 'ClusterIP', minReplicas: 5 });
      assert.deepEqual(rendered.map((o) => o.metadata.name).sort(), ['prod-inferd', 'prod-inferd', 'prod-inferd', 'prod-inferd', 'prod-inferd-config']);
      assert.ok(!rendered.some((o) => o.kind === 'PersistentVolumeClaim'), 'an existing claim: none created');
      const deployment = only(rendered, 'Deployment');
      const pod = deployment.spec.template.spec;
      const container = inferdContainer(rendered);
      assert.equal(pod.containers[0].image, 'registry.example/ml/inferd:1.2.3');
      assert.equal(pod.containers[0].imagePullPolicy, 'Always');
      assert.equal(pod.terminationGracePeriodSeconds, 60);
      assert.deepEqual(pod.nodeSelector, { 'kubernetes.io/arch': 'amd64' });
      assert.equal(pod.volumes.find((v: { name: string }) => v.name === 'models').persistentVolumeClaim.claimName, 'shared-models');
      assert.deepEqual(container.resources, { requests: { cpu: '500m', memory: '512Mi' }, limits: { cpu: '4', memory: '4Gi' } });
      assert.equal(flagValue(container.args, 'model_config_file_poll_wait_seconds'), '10');
      assert.equal(flagValue(container.args, 'drain_delay_seconds'), '10');
      assert.equal(flagValue(container.args, 'rest_api_num_threads'), '2');
      assert.equal(deployment.spec.template.metadata.annotations['prometheus.io/path'], '/metrics');
      assert.deepEqual(only(rendered, 'Service').spec.ports.map((p: { port: number }) => p.port), [9500, 9501]);
      const hpa = only(rendered, 'HorizontalPodAutoscaler');
      assert.equal(hpa.spec.maxReplicas, 20);
      assert.equal(hpa.spec.metrics[0].resource.target.averageUtilization, 60);
      assert.equal(only(rendered, 'PodDisruptionBudget').spec.minAvailable, 4);
    });

    it('a real inferd accepts the rendered args, answers the probes, serves both models and metrics at the values\' path', async () => {
      assert.deepEqual(models, ['sentiment', 'ranker']);
      await assertServesLikeThePod(server!, rendered, models);
    });
  });

  it('with autoscaling, the disruption budget, storage and metrics off renders none of them', async () => {
    const rendered = parseManifests(helm(['template', 'inferd', CHART,
      '--set', 'autoscaling.enabled=false', '--set', 'podDisruptionBudget.enabled=false', '--set', 'modelStorage.enabled=false', '--set', 'metrics.enabled=false']), 'helm template');
    for (const obj of rendered) await assert.doesNotReject(validateObject(obj), `${obj.kind}/${obj.metadata.name}`);
    assert.deepEqual(rendered.map((o) => o.kind).sort(), ['ConfigMap', 'Deployment', 'Service']);
    assertInferdDeployment(rendered, { replicas: 3, serviceType: 'LoadBalancer' });
    const deployment = only(rendered, 'Deployment');
    assert.equal(deployment.spec.template.metadata.annotations, undefined);
    assert.equal(flagValue(inferdContainer(rendered).args, 'monitoring_config_file'), undefined);
    assert.equal(only(rendered, 'ConfigMap').data!['monitoring.config'], undefined);
    assert.ok(!deployment.spec.template.spec.volumes.some((v: { name: string }) => v.name === 'models'));
  });
});
