/** Kubernetes manifests in tests: read YAML objects and validate them with kubernetes-models (no hand-written schema). */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

/** A Kubernetes object as parsed (loosely typed: the schema validation is the check). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type K8sObject = { apiVersion: string; kind: string; metadata: { name: string }; spec?: any; data?: Record<string, string> };

/** Every object in the YAML files of a folder (kustomization.yaml excluded: it is kustomize's, not the API's). */
export async function loadManifests(dir: string): Promise<K8sObject[]> {
  const out: K8sObject[] = [];
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').sort()) {
    for (const doc of parseAllDocuments(await readFile(path.join(dir, file), 'utf8'))) {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]!.message}`);
      const value = doc.toJSON() as K8sObject | null;
      if (value) out.push(value);
    }
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

