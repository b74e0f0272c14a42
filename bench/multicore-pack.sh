#!/usr/bin/env bash
# Pack what bench/multicore needs on a machine with no npm and no network: dist/, dist-bench/, bin/, proto/, web/,
# package.json and the production node_modules (linux-x64 onnxruntime binary only, no source maps), into OUT
# (a folder; tar it as you like). Run from the repository root after `npm ci`. Then, there:
#   cd OUT && /path/to/node dist-bench/bench/multicore.js --out multicore.json
set -euo pipefail
out=${1:?usage: bench/multicore-pack.sh OUT_DIR}
npm run build >/dev/null
npm run build:bench >/dev/null
mkdir -p "$out"
cp -r dist dist-bench bin proto web package.json "$out/"
npm ls --omit=dev --all --parseable 2>/dev/null | sed "s|^$PWD/||" | grep '^node_modules/' |
  awk -F/ '{ if ($2 ~ /^@/) print $1"/"$2"/"$3; else print $1"/"$2 }' | sort -u |
  while read -r dir; do mkdir -p "$out/$(dirname "$dir")"; cp -r "$dir" "$out/$dir"; done
ort="$out/node_modules/onnxruntime-node/bin/napi-v6"
find "$ort" -mindepth 2 -maxdepth 2 -type d ! -path "$ort/linux/x64" -exec rm -rf {} +
find "$out/node_modules" -name '*.map' -delete
du -sh "$out"
