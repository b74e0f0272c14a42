#!/usr/bin/env bash
# Build inferd's image without a Docker engine or a registry (issue 12 item 2), as checked on this kind of machine:
#   debootstrap --variant=minbase bookworm DIR   (Debian's packages)  → podman import → localhost/debian-base
#   + the host's node and npm (>= 20.19; Debian's nodejs is 18)       → localhost/inferd-node-base
#   buildah bud --isolation chroot --build-arg BASE_IMAGE=localhost/inferd-node-base → localhost/inferd:TAG
# then runs the seeds' checks inside it with `buildah run --isolation chroot` (podman run fails here on setrlimit).
# Slow (minutes); not run in CI. Needs root, debootstrap, podman, buildah: apt-get install debootstrap podman buildah.
# Usage: deploy/build-image.sh [TAG]   (WORK=/var/tmp/inferd-image keeps the debootstrap between runs)
set -euo pipefail
cd "$(dirname "$0")/.."
TAG="${1:-dev}"
WORK="${WORK:-/var/tmp/inferd-image}"
mkdir -p "$WORK"
if ! podman image exists localhost/debian-base; then
  [ -d "$WORK/rootfs/usr" ] || debootstrap --variant=minbase bookworm "$WORK/rootfs" http://deb.debian.org/debian
  tar -C "$WORK/rootfs" -c . | podman import - localhost/debian-base
fi
# node:20-slim's layout: node and npm under /usr/local.
NODE_BIN="$(command -v node)"; NPM_DIR="$(dirname "$(readlink -f "$(command -v npm)")")/.."
rm -rf "$WORK/node-layer" && mkdir -p "$WORK/node-layer/usr/local/bin" "$WORK/node-layer/usr/local/lib/node_modules"
cp "$NODE_BIN" "$WORK/node-layer/usr/local/bin/node"
cp -r "$(readlink -f "$NPM_DIR")" "$WORK/node-layer/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$WORK/node-layer/usr/local/bin/npm"
ctr=$(buildah from --isolation chroot localhost/debian-base)
buildah copy "$ctr" "$WORK/node-layer/usr/local" /usr/local >/dev/null
# This machine reaches the npm registry through a TLS-inspecting proxy: trust the host's CA bundle in the local base
# (node:20-slim users need none of this), and prefer the host's npm cache, mounted into the build below.
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  buildah run --isolation chroot "$ctr" -- mkdir -p /etc/ssl/certs
  buildah copy "$ctr" /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt >/dev/null
  buildah config --env NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt "$ctr"
fi
buildah run --isolation chroot "$ctr" -- sh -c 'apt-get clean; rm -rf /var/lib/apt/lists/*' || true
buildah commit --rm "$ctr" localhost/inferd-node-base >/dev/null
NPM_CACHE="$(npm config get cache)"
# --format docker: the OCI image format has no HEALTHCHECK (buildah drops it with a warning).
buildah bud --isolation chroot --format docker --layers --build-arg BASE_IMAGE=localhost/inferd-node-base \
  --volume "$NPM_CACHE:/root/.npm" --build-arg npm_config_prefer_offline=true -t "localhost/inferd:$TAG" .
podman image ls "localhost/inferd:$TAG"

# The seeds' checks, inside the image: the entrypoint serves a SavedModel/ONNX model mounted at /models/<name>.
echo "--- checks in the image"
ctr=$(buildah from --isolation chroot "localhost/inferd:$TAG")
trap 'buildah rm "$ctr" >/dev/null 2>&1 || true' EXIT
buildah run --isolation chroot "$ctr" -- node --version
buildah run --isolation chroot "$ctr" -- id -u
buildah run --isolation chroot "$ctr" -- node /opt/inferd/bin/inferd.js --version
# The image's environment: the build's npm settings must not leak into it.
buildah inspect --type image --format '{{range .OCIv1.Config.Env}}{{println .}}{{end}}' "localhost/inferd:$TAG"
if buildah inspect --type image --format '{{.OCIv1.Config.Env}}' "localhost/inferd:$TAG" | grep -qi npm_config; then
  echo "image environment carries an npm_config_* setting" >&2; exit 1
fi
# The HEALTHCHECK survived (docker format).
buildah inspect --type image --format '{{.Docker.Config.Healthcheck.Test}}' "localhost/inferd:$TAG" | grep -q health/ready \
  || { echo "image has no HEALTHCHECK" >&2; exit 1; }
echo "--- serving checks: deploy/check-image.sh localhost/inferd:$TAG"
