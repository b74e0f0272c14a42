/** Kubernetes manifests in tests: read YAML objects and validate them with kubernetes-models (no hand-written schema). */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { halfPlusTwo } from './models.ts';
import { getJson, postJson, REPO_ROOT, startServer, type RunningServer } from './serve.ts';

/** A Kubernetes object as parsed (loosely typed: the schema validation is the check). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string }; spec?: any; data?: Record<string, string> };

/**
 * A Kubernetes command-line tool (helm, kubectl) to run in tests: $ENV_VAR, then .tools/<name>/<name>
 * (scripts/get-k8s-tools.sh), then PATH; undefined when none answers `version`.
 */
export function findTool(name: 'helm' | 'kubectl', envVar: string): string | undefined {
  const candidates = [process.env[envVar], path.join(REPO_ROOT, '.tools', name, name), name].filter((c): c is string => !!c);
  const versionArgs = name === 'kubectl' ? ['version', '--client'] : ['version', '--short'];
  for (const candidate of candidates) {
    if (candidate.includes('/') && !existsSync(candidate)) continue;
    if (spawnSync(candidate, versionArgs, { encoding: 'utf8' }).status === 0) return candidate;
  }
  return undefined;
}

/** Objects ordered by kind then name, to compare two renderings of the same set. */
export function byKind(objects: readonly K8sObject[]): K8sObject[] {
  return [...objects].sort((a, b) => a.kind.localeCompare(b.kind) || a.metadata.name.localeCompare(b.metadata.name));
}

/** Every object in the YAML files of a folder (kustomization.yaml excluded: it is kustomize's, not the API's). */
export async function loadManifests(dir: string): Promise<K8sObject[]> {
  const out: K8sObject[] = [];
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').sort()) {
    out.push(...parseManifests(await readFile(path.join(dir, file), 'utf8'), file));
  }
  return out;
}

/** Validate one object with kubernetes-models' generated validator for its apiVersion and kind. */
export async function validateObject(obj: K8sObject): Promise<void> {
  const [group, version] = obj.apiVersion.includes('/') ? obj.apiVersion.split('/') : [undefined, obj.apiVersion];
  const modulePath = `kubernetes-models/${group ? `${group}/` : ''}${version}/${obj.kind}`;
  const mod = (await import(modulePath)) as Record<string, new (data: unknown) => { validate(): void }>;
  const Model = mod[obj.kind];
  assert.ok(Model, `no model for ${obj.apiVersion} ${obj.kind}`);
  new Model(obj).validate();
}


/** Every object of a multi-document YAML text (empty documents skipped); `source` names it in errors. */
export function parseManifests(text: string, source: string): K8sObject[] {
  const out: K8sObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`${source}: ${doc.errors[0]!.message}`);
    const value = doc.toJSON() as K8sObject | null;
    if (value) out.push(value);
  }
  return out;
}

/** The one object of `kind` in a set (fails when there is none or several). */
export function only(objects: readonly K8sObject[], kind: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind);
  assert.equal(found.length, 1, `one ${kind}, found ${found.length}`);
  return found[0]!;
}

/** The inferd container of a Deployment, as the tests read it. */
export interface InferdContainer {
  args: string[];
  ports: { name: string; containerPort: number }[];
  startupProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
  livenessProbe: { httpGet: { path: string; port: string } };
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  securityContext: { readOnlyRootFilesystem: boolean; allowPrivilegeEscalation: boolean };
}

/** The container of the set's Deployment. */
export function inferdContainer(objects: readonly K8sObject[]): InferdContainer {
  return only(objects, 'Deployment').spec.template.spec.containers[0] as InferdContainer;
}

/** The value of `--name=value` in args, or undefined. */
export function flagValue(args: readonly string[], name: string): string | undefined {
  return args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

/**
 * What any inferd Deployment set must hold, whatever its values: rolling updates that never drop a ready replica, a
 * grace period that covers the drain, non-root with a read-only root, requests and limits, probes on the HTTP port,
 * and, when present, a Service exposing gRPC (appProtocol grpc) and HTTP and an autoscaling/v2 HPA on CPU aimed at
 * the Deployment with at least `minReplicas`.
 */
export function assertInferdDeployment(objects: readonly K8sObject[], want: { replicas: number; serviceType: string; minReplicas?: number }): void {
  const deployment = only(objects, 'Deployment');
  assert.equal(deployment.spec.replicas, want.replicas);
  assert.equal(deployment.spec.strategy.rollingUpdate.maxUnavailable, 0);
  const pod = deployment.spec.template.spec;
  const container = inferdContainer(objects);
  const seconds = (name: string) => Number(flagValue(container.args, name));
  assert.ok(pod.terminationGracePeriodSeconds >= seconds('drain_delay_seconds') + seconds('drain_timeout_seconds') + 5, 'grace period covers the drain');
  assert.equal(pod.securityContext.runAsNonRoot, true);
  assert.equal(container.securityContext.readOnlyRootFilesystem, true);
  assert.equal(container.securityContext.allowPrivilegeEscalation, false);
  assert.ok(container.resources.requests.cpu && container.resources.limits.memory, 'requests and limits');
  for (const probe of [container.startupProbe, container.readinessProbe, container.livenessProbe]) assert.equal(probe.httpGet.port, 'http');
  assert.deepEqual(container.ports.map((p) => [p.name, p.containerPort]), [['grpc', 8500], ['http', 8501]]);
  const service = only(objects, 'Service');
  assert.equal(service.spec.type, want.serviceType);
  assert.deepEqual(service.spec.ports.map((p: { targetPort: string; appProtocol: string }) => [p.targetPort, p.appProtocol]), [['grpc', 'grpc'], ['http', 'http']]);
  assert.deepEqual(service.spec.selector, deployment.spec.selector.matchLabels, 'the Service selects the Deployment\'s pods');
  if (want.minReplicas !== undefined) {
    const hpa = only(objects, 'HorizontalPodAutoscaler');
    assert.equal(hpa.apiVersion, 'autoscaling/v2');
    assert.equal(hpa.spec.minReplicas, want.minReplicas);
    assert.equal(hpa.spec.scaleTargetRef.name, deployment.metadata.name);
    assert.equal(hpa.spec.metrics[0].resource.name, 'cpu');
  }
}

/**
 * Start a real `inferd serve` as the Deployment's pod would run it: the container's args, the ConfigMap's files at
 * their mount path and each configured model (an ONNX half_plus_two stand-in per `name`, platform pin dropped) at its
 * base path, both paths moved under `dir`. An arg inferd does not accept makes the start fail.
 */
export async function startLikeThePod(objects: readonly K8sObject[], dir: string): Promise<{ server: RunningServer; models: string[] }> {
  const pod = only(objects, 'Deployment').spec.template.spec;
  const container = inferdContainer(objects);
  const configMap = only(objects, 'ConfigMap');
  const volume = (pod.volumes as { name: string; configMap?: { name: string } }[]).find((v) => v.configMap?.name === configMap.metadata.name);
  assert.ok(volume, 'the pod mounts the ConfigMap');
  const mount = (pod.containers[0].volumeMounts as { name: string; mountPath: string }[]).find((m) => m.name === volume.name)!;
  const etc = path.join(dir, 'etc');
  const modelsRoot = path.join(dir, 'models');
  await mkdir(etc, { recursive: true });
  const models: string[] = [];
  for (const [file, text] of Object.entries(configMap.data ?? {})) {
    let local = text.replace(/base_path: "\/models\//g, `base_path: "${modelsRoot}/`);
    if (file === 'models.config') {
      local = local.replace(/\s*model_platform: "[^"]*"/g, '');
      for (const [, name] of text.matchAll(/name: "([^"]+)"/g)) models.push(name!);
    }
    await writeFile(path.join(etc, file), local);
  }
  for (const name of models) await halfPlusTwo(path.join(modelsRoot, name, '1'));
  const args = container.args.map((a) => a.replaceAll(`${mount.mountPath}/`, `${etc}/`));
  return { server: await startServer(args), models };
}

/**
 * What the cluster asks of a running pod: 200 on every probe path, each model served, and, when the pod template
 * carries Prometheus scrape annotations, metrics at the annotated path of the HTTP port.
 */
export async function assertServesLikeThePod(server: RunningServer, objects: readonly K8sObject[], models: readonly string[]): Promise<void> {
  const container = inferdContainer(objects);
  for (const probe of [container.startupProbe, container.readinessProbe, container.livenessProbe]) {
    const res = await getJson(`${server.restUrl}${probe.httpGet.path}`);
    assert.equal(res.status, 200, `${probe.httpGet.path}: ${res.text}`);
  }
  assert.ok(models.length > 0);
  for (const name of models) {
    const res = await postJson(`${server.restUrl}/v1/models/${name}:predict`, { instances: [2] });
    assert.deepEqual(res.body, { predictions: [3] }, res.text);
  }
  const annotations = (only(objects, 'Deployment').spec.template.metadata.annotations ?? {}) as Record<string, string>;
  if (annotations['prometheus.io/scrape'] === 'true') {
    assert.equal(Number(annotations['prometheus.io/port']), container.ports.find((p) => p.name === 'http')!.containerPort);
    const res = await fetch(`${server.restUrl}${annotations['prometheus.io/path']}`);
    const text = await res.text();
    assert.equal(res.status, 200, text);
    assert.match(text, new RegExp(`:tensorflow:serving:request_count\\{[^}]*model_name="${models[0]}"`));
  }
}
