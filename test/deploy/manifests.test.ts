/**
 * deploy/kubernetes without a cluster (issue 12 item 5): every manifest validates against the Kubernetes OpenAPI
 * schemas shipped by the kubernetes-models npm package (generated from a current Kubernetes release's OpenAPI spec;
 * no hand-written schema), the Deployment has the shape the issue asks for, and a real `inferd serve` started with the
 * Deployment's args (ConfigMap files mounted where the pod mounts them, paths moved into a temp dir) answers 200 on
 * every probe path and serves the configured model.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { halfPlusTwo } from '../support/models.ts';
import { parseAllDocuments } from 'yaml';
import { type K8sObject, loadManifests, validateObject } from '../support/kubernetes.ts';
import { getJson, postJson, REPO_ROOT, startServer, type RunningServer } from '../support/serve.ts';

const K8S_DIR = path.join(REPO_ROOT, 'deploy', 'kubernetes');

describe('deploy/kubernetes manifests', () => {
  let objects: K8sObject[];
  before(async () => {
    objects = await loadManifests(K8S_DIR);
  });

  it('validate against the Kubernetes OpenAPI schemas (kubernetes-models)', async () => {
    assert.ok(objects.length >= 6);
    for (const obj of objects) {
      await assert.doesNotReject(validateObject(obj), `${obj.kind}/${obj.metadata.name}`);
    }
    // The validator does reject a broken object (so the check above means something).
    const broken = structuredClone(objects.find((o) => o.kind === 'Deployment')!);
    broken.spec.replicas = 'three';
    await assert.rejects(validateObject(broken));
  });

  it('kustomization lists every manifest', async () => {
    const kustomization = parseAllDocuments(await readFile(path.join(K8S_DIR, 'kustomization.yaml'), 'utf8'))[0]!.toJSON() as { resources: string[] };
    const files = (await readdir(K8S_DIR)).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').sort();
    assert.deepEqual([...kustomization.resources].sort(), files);
  });

  it('has the shape a rolling, autoscaled, drained deployment needs', () => {
    const deployment = objects.find((o) => o.kind === 'Deployment')!;
    assert.equal(deployment.spec.replicas, 3);
    assert.equal(deployment.spec.strategy.rollingUpdate.maxUnavailable, 0);
    const pod = deployment.spec.template.spec;
    const container = pod.containers[0];
    const arg = (name: string) => Number((container.args as string[]).find((a) => a.startsWith(`--${name}=`))?.split('=')[1]);
    assert.ok(pod.terminationGracePeriodSeconds >= arg('drain_delay_seconds') + arg('drain_timeout_seconds') + 5, 'grace period covers the drain');
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(container.securityContext.readOnlyRootFilesystem, true);
    assert.ok(container.resources.requests.cpu && container.resources.limits.memory);
    const service = objects.find((o) => o.kind === 'Service')!;
    assert.equal(service.spec.type, 'LoadBalancer');
    assert.deepEqual(service.spec.ports.map((p: { port: number; appProtocol: string }) => [p.port, p.appProtocol]), [[8500, 'grpc'], [8501, 'http']]);
    const hpa = objects.find((o) => o.kind === 'HorizontalPodAutoscaler')!;
    assert.equal(hpa.apiVersion, 'autoscaling/v2');
    assert.equal(hpa.spec.minReplicas, 3);
    assert.equal(hpa.spec.metrics[0].resource.name, 'cpu');
    assert.ok(objects.some((o) => o.kind === 'PodDisruptionBudget'));
  });

  describe('against a running inferd started with the Deployment args', () => {
    let dir: string;
    let server: RunningServer;
    let container: { args: string[]; startupProbe: { httpGet: { path: string } }; readinessProbe: { httpGet: { path: string } }; livenessProbe: { httpGet: { path: string } } };
    before(async () => {
      container = objects.find((o) => o.kind === 'Deployment')!.spec.template.spec.containers[0];
      dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-k8s-'));
      const configMap = objects.find((o) => o.kind === 'ConfigMap')!;
      await mkdir(path.join(dir, 'etc'));
      for (const [file, text] of Object.entries(configMap.data ?? {})) {
        await writeFile(path.join(dir, 'etc', file), text.replaceAll('/models/', `${path.join(dir, 'models')}/`));
      }
      // The ConfigMap's model, as an ONNX stand-in of the same name (platform detected: drop the pin).
      await halfPlusTwo(path.join(dir, 'models', 'half_plus_two', '1'));
      const config = path.join(dir, 'etc', 'models.config');
      await writeFile(config, (await readFile(config, 'utf8')).replace(/\s*model_platform: "[^"]*"/, ''));
      const args = container.args.map((a) => a.replaceAll('/etc/inferd/', `${path.join(dir, 'etc')}/`));
      server = await startServer(args);
    });
    after(async () => {
      await server?.stop();
      await rm(dir, { recursive: true, force: true });
    });

    it('answers 200 on every probe path and serves the ConfigMap model', async () => {
      for (const probe of [container.startupProbe, container.readinessProbe, container.livenessProbe]) {
        const res = await getJson(`${server.restUrl}${probe.httpGet.path}`);
        assert.equal(res.status, 200, `${probe.httpGet.path}: ${res.text}`);
      }
      const res = await postJson(`${server.restUrl}/v1/models/half_plus_two:predict`, { instances: [2] });
      assert.deepEqual(res.body, { predictions: [3] });
    });
  });
});
