/**
 * deploy/kubernetes without a cluster (issue 12 item 5): kustomize (a real `kubectl kustomize`, skipped without
 * kubectl) renders the kustomization and an image overlay, every manifest validates against the Kubernetes OpenAPI
 * schemas shipped by the kubernetes-models npm package (generated from a current Kubernetes release's OpenAPI spec;
 * no hand-written schema), the Deployment has the shape the issue asks for, and a real `inferd serve` started with the
 * Deployment's args (ConfigMap files mounted where the pod mounts them, paths moved into a temp dir) answers 200 on
 * every probe path, serves the configured model, and serves metrics where the scrape annotations say.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import {
  assertInferdDeployment, assertServesLikeThePod, byKind, findTool, flagValue, inferdContainer, type K8sObject, loadManifests, only, parseManifests,
  startLikeThePod, validateObject,
} from '../support/kubernetes.ts';
import { REPO_ROOT, type RunningServer } from '../support/serve.ts';

const K8S_DIR = path.join(REPO_ROOT, 'deploy', 'kubernetes');
const KUBECTL = findTool('kubectl', 'KUBECTL');
const KUBECTL_SKIP = 'no kubectl binary: run scripts/get-k8s-tools.sh (or set KUBECTL=/path/to/kubectl) to render the kustomization';

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

  it('kubectl kustomize renders them unchanged, and an overlay as docs/deploy.md shows sets the image', { skip: KUBECTL ? false : KUBECTL_SKIP }, async () => {
    const rendered = parseManifests(execFileSync(KUBECTL!, ['kustomize', K8S_DIR], { encoding: 'utf8' }), 'kubectl kustomize');
    assert.deepEqual(byKind(rendered), byKind(objects));
    const overlay = await mkdtemp(path.join(os.tmpdir(), 'inferd-overlay-'));
    try {
      await writeFile(path.join(overlay, 'kustomization.yaml'), [
        `resources: [${JSON.stringify(path.relative(overlay, K8S_DIR))}]`,
        'images: [{ name: localhost/inferd, newName: registry.example/inferd, newTag: "0.1.0" }]',
      ].join('\n'));
      const withImage = parseManifests(execFileSync(KUBECTL!, ['kustomize', overlay], { encoding: 'utf8' }), 'kubectl kustomize overlay');
      assert.equal(only(withImage, 'Deployment').spec.template.spec.containers[0].image, 'registry.example/inferd:0.1.0');
      assert.equal(withImage.length, objects.length);
    } finally {
      await rm(overlay, { recursive: true, force: true });
    }
  });

  it('has the shape a rolling, autoscaled, drained deployment needs', () => {
    assertInferdDeployment(objects, { replicas: 3, serviceType: 'LoadBalancer', minReplicas: 3 });
    assert.ok(objects.some((o) => o.kind === 'PodDisruptionBudget'));
    // Metrics: the MonitoringConfig in the ConfigMap is passed with --monitoring_config_file.
    const args = inferdContainer(objects).args;
    assert.equal(flagValue(args, 'monitoring_config_file'), '/etc/inferd/monitoring.config');
    assert.match(only(objects, 'ConfigMap').data!['monitoring.config']!, /prometheus_config/);
  });

  describe('against a running inferd started with the Deployment args', () => {
    let dir: string;
    let server: RunningServer | undefined;
    let models: string[];
    before(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-k8s-'));
      ({ server, models } = await startLikeThePod(objects, dir));
    });
    after(async () => {
      await server?.stop();
      await rm(dir, { recursive: true, force: true });
    });

    it('accepts every arg, answers 200 on every probe path, serves the ConfigMap model and metrics where annotated', async () => {
      assert.deepEqual(models, ['half_plus_two']);
      await assertServesLikeThePod(server!, objects, models);
    });
  });
});
