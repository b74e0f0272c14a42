/**
 * deploy/kserve without a cluster: the ServingRuntime declares what inferd serves (TensorFlow and ONNX formats,
 * protocols v1 and v2), its container validates against the Kubernetes Pod schema (kubernetes-models), the example
 * InferenceService names it, and a real `inferd serve` started with the runtime's args (KServe's `{{.Name}}` and
 * /mnt/models substituted, the monitoring ConfigMap's file where the runtime mounts it; ports moved to free ones)
 * answers its probes, both protocols and metrics at the annotated path.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { halfPlusTwo } from '../support/models.ts';
import { getJson, postJson, REPO_ROOT, startServer, type RunningServer } from '../support/serve.ts';
import { type K8sObject, validateObject } from '../support/kubernetes.ts';

const KSERVE = path.join(REPO_ROOT, 'deploy', 'kserve');

interface Container { name: string; args: string[]; readinessProbe: { httpGet: { path: string } }; livenessProbe: { httpGet: { path: string } } }
interface ServingRuntime {
  apiVersion: string; kind: string; metadata: { name: string };
  spec: {
    protocolVersions: string[]; supportedModelFormats: { name: string }[]; containers: Container[];
    annotations: Record<string, string>; volumes: { name: string; configMap: { name: string } }[];
  };
}

describe('deploy/kserve', () => {
  let runtime: ServingRuntime;
  let container: Container;
  before(async () => {
    runtime = parse(await readFile(path.join(KSERVE, 'servingruntime.yaml'), 'utf8')) as ServingRuntime;
    container = runtime.spec.containers[0] as Container;
  });

  it('declares the formats and protocols inferd serves, and a container valid as Kubernetes sees it', async () => {
    assert.equal(runtime.apiVersion, 'serving.kserve.io/v1alpha1');
    assert.equal(runtime.kind, 'ServingRuntime');
    for (const p of ['v1', 'v2']) assert.ok(runtime.spec.protocolVersions.includes(p), `protocolVersions has ${p}`);
    assert.deepEqual([...new Set(runtime.spec.supportedModelFormats.map((f) => f.name))].sort(), ['onnx', 'tensorflow']);
    assert.equal(container.name, 'kserve-container', 'KServe injects the model into the container of this name');
    await validateObject({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'inferd' }, spec: { containers: runtime.spec.containers, volumes: runtime.spec.volumes } });
  });

  it('turns the per-client connection cap off: the sidecar proxy is the only client address', () => {
    assert.ok(container.args.includes('--max_connections_per_client=0'), container.args.join(' '));
  });

  it('mounts the monitoring ConfigMap it ships (valid as Kubernetes sees it)', async () => {
    const configMap = parse(await readFile(path.join(KSERVE, 'monitoring-configmap.yaml'), 'utf8')) as K8sObject;
    await validateObject(configMap);
    assert.deepEqual(runtime.spec.volumes.map((v) => v.configMap.name), [configMap.metadata.name]);
    assert.match(configMap.data!['monitoring.config']!, new RegExp(`path: "${runtime.spec.annotations['prometheus.kserve.io/path']}"`));
  });

  it('the example InferenceService uses the runtime over v2', async () => {
    const isvc = parse(await readFile(path.join(KSERVE, 'inferenceservice.yaml'), 'utf8')) as { spec: { predictor: { model: { runtime: string; protocolVersion: string; modelFormat: { name: string } } } } };
    assert.equal(isvc.spec.predictor.model.runtime, runtime.metadata.name);
    assert.equal(isvc.spec.predictor.model.protocolVersion, 'v2');
    assert.ok(runtime.spec.supportedModelFormats.some((f) => f.name === isvc.spec.predictor.model.modelFormat.name));
  });

  describe('inferd started with the runtime\'s args', () => {
    let dir: string;
    let server: RunningServer;
    before(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-kserve-'));
      await mkdir(path.join(dir, 'mnt', 'models', '1'), { recursive: true });
      await halfPlusTwo(path.join(dir, 'mnt', 'models', '1'));
      const configMap = parse(await readFile(path.join(KSERVE, 'monitoring-configmap.yaml'), 'utf8')) as K8sObject;
      await mkdir(path.join(dir, 'etc'));
      await writeFile(path.join(dir, 'etc', 'monitoring.config'), configMap.data!['monitoring.config']!);
      const args = container.args
        .filter((a) => !a.startsWith('--port=') && !a.startsWith('--rest_api_port='))
        .map((a) => a.replace('{{.Name}}', 'half-plus-two').replace('/mnt/models', path.join(dir, 'mnt', 'models')).replace('/etc/inferd/', `${path.join(dir, 'etc')}/`));
      server = await startServer(args);
    });
    after(async () => {
      await server?.stop();
      await rm(dir, { recursive: true, force: true });
    });

    it('answers its probes, v1 predict and v2 infer', async () => {
      for (const probe of [container.readinessProbe, container.livenessProbe]) {
        assert.equal((await getJson(`${server.restUrl}${probe.httpGet.path}`)).status, 200, probe.httpGet.path);
      }
      assert.deepEqual((await postJson(`${server.restUrl}/v1/models/half-plus-two:predict`, { instances: [2] })).body, { predictions: [3] });
      const v2 = await postJson(`${server.restUrl}/v2/models/half-plus-two/infer`, { inputs: [{ name: 'x', shape: [2], datatype: 'FP32', data: [2, 4] }] });
      assert.equal(v2.status, 200, v2.text);
      assert.deepEqual((v2.body as { outputs: { data: number[] }[] }).outputs[0]?.data, [3, 4]);
      // Metrics where the runtime's annotations point KServe's Prometheus integration.
      const metrics = await fetch(`${server.restUrl}${runtime.spec.annotations['prometheus.kserve.io/path']}`);
      const text = await metrics.text();
      assert.equal(metrics.status, 200, text);
      assert.match(text, /:tensorflow:serving:request_count\{[^}]*model_name="half-plus-two"/);
    });
  });
});
