#!/usr/bin/env bash
# Run the seeds' `docker run` lines against inferd's image (built by deploy/build-image.sh), without a Docker engine:
# `buildah run --isolation chroot` runs the image's entrypoint with the seeds' mounts and -e variables (podman run
# fails here on setrlimit). buildah's chroot isolation shares the host's network, so the container's 8500/8501 are
# the host's (what `-p 8501:8501` maps); they must be free. It does not apply the image's ENTRYPOINT or a read-only
# root, so this script names the entrypoint and simulates the read-only root with a read-only bind mount (below).
# Slow (one server start per case, minutes in all); not run in CI. Needs root, buildah, curl, python3, /work/shared.
# Usage: deploy/check-image.sh [IMAGE]   (default localhost/inferd:dev). Prints one line per check; exits 1 on a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGE="${1:-localhost/inferd:dev}"
FIXTURES="${FIXTURES:-$(pwd)/../shared/fixtures/tensorflow-serving}"
HPT="$FIXTURES/saved_model_half_plus_two_cpu"
WORK="$(mktemp -d /var/tmp/inferd-check.XXXXXX)"
REST=http://127.0.0.1:8501
[ -d "$HPT" ] || { echo "no $HPT (the shared fixtures)" >&2; exit 1; }
if ss -ltn | grep -qE ':(8500|8501)\b'; then echo "ports 8500/8501 are in use" >&2; exit 1; fi

ctr=$(buildah from --isolation chroot "$IMAGE")
root=""
cleanup() {
  if [ -n "${SERVER:-}" ] && kill -0 "$SERVER" 2>/dev/null; then kill -TERM "$SERVER"; wait "$RUNNER" 2>/dev/null || true; fi
  [ -n "$root" ] && buildah umount "$ctr" >/dev/null 2>&1 || true
  buildah rm "$ctr" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

fails=0
pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; fails=$((fails + 1)); }
# check NAME EXPECTED ACTUAL
check() { if [ "$2" = "$3" ] && [[ "$3" != *'"error"'* ]]; then pass "$1: $3"; else fail "$1: expected $2, got $3"; fi; }

descendants() { local p; for p in $(pgrep -P "$1" || true); do echo "$p"; descendants "$p"; done; }
# The server's pid: the node process under the runner ($1) that the entrypoint exec'd.
server_pid() { local p; for p in $(descendants "$1"); do [ "$(cat "/proc/$p/comm" 2>/dev/null)" = node ] && { echo "$p"; return 0; }; done; return 1; }
wait_ready() {
  local i
  for i in $(seq 1 240); do
    curl -sf "$REST/v2/health/ready" >/dev/null 2>&1 && return 0
    kill -0 "$1" 2>/dev/null || return 1
    sleep 0.5
  done
  return 1
}
# start LOG CMD...: run a container command in the background; sets RUNNER (its pid) and SERVER (the node pid).
start() {
  SERVER=""
  local log="$1"; shift
  "$@" >"$log" 2>&1 &
  RUNNER=$!
  if ! wait_ready "$RUNNER"; then
    fail "server did not become ready: $(tail -3 "$log")"
    SERVER=$(server_pid "$RUNNER") && kill -TERM "$SERVER"
    wait "$RUNNER" 2>/dev/null || true
    return 1
  fi
  SERVER=$(server_pid "$RUNNER")
}
# stop: SIGTERM to the server itself (as a runtime signals PID 1); STOPPED is the runner's exit status.
stop() { kill -TERM "$SERVER"; STOPPED=0; wait "$RUNNER" || STOPPED=$?; }
predict() {
  curl -s -d "$2" "$REST/v1/models/$1:predict" \
    | python3 -c 'import json,sys; t=sys.stdin.read(); print(json.dumps(json.loads(t)["predictions"]) if "predictions" in t else t)'
}
run() { buildah run --isolation chroot "$@"; }

echo "image $IMAGE ($(buildah inspect --type image --format '{{.FromImageID}}' "$IMAGE" | cut -c1-12)), $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD)"
check "user" 65532 "$(run "$ctr" -- id -u)"

# 1. Seed 1: docker run -p 8501:8501 --mount type=bind,source=…/saved_model_half_plus_two_cpu,target=/models/half_plus_two
#            -e MODEL_NAME=half_plus_two -t tensorflow/serving
start "$WORK/1.log" run -v "$HPT:/models/half_plus_two:ro" -e MODEL_NAME=half_plus_two "$ctr" -- /usr/bin/tf_serving_entrypoint.sh
check "seed 1 predict half_plus_two" "[2.5, 3.0, 4.5]" "$(predict half_plus_two '{"instances": [1.0, 2.0, 5.0]}')"
check "seed 1 server is not root" 65532 "$(awk '/^Uid:/ {print $2}' "/proc/$SERVER/status")"
# The image's HEALTHCHECK command, run inside the container while it serves and after it stopped.
mapfile -t HC < <(buildah inspect --type image --format '{{range .Docker.Config.Healthcheck.Test}}{{println .}}{{end}}' "$IMAGE" | sed '/^$/d')
[ "${HC[0]}" = CMD ] || fail "HEALTHCHECK is not an exec form: ${HC[*]}"
hc=0; run "$ctr" -- "${HC[@]:1}" >/dev/null 2>&1 || hc=$?
check "HEALTHCHECK while serving" 0 "$hc"
stop; check "seed 1 SIGTERM exit status" 0 "$STOPPED"
grep -q 'drained: exiting' "$WORK/1.log" && pass "seed 1 drained" || fail "seed 1: no 'drained: exiting' in the log"
hc=0; run "$ctr" -- "${HC[@]:1}" >/dev/null 2>&1 || hc=$?
check "HEALTHCHECK after stop (non-zero)" 1 "$hc"

# 2. Seed 2: the sentiment classifier (examples/sentiment, trained here), MODEL_NAME=sentiment_classifier; the image's
#    answers must equal the same model's answers from inferd on the host.
npx tsx examples/sentiment/src/train.ts --out "$WORK/models/sentiment_classifier" >/dev/null
# Two reviews tokenized with the vocabulary the training wrote beside the model (1 = unknown word, 0 = padding).
SENT=$(python3 - "$WORK/models/sentiment_classifier/1/vocab.json" <<'PY'
import json, re, sys
vocab = json.load(open(sys.argv[1]))
rows = [[vocab.get(w, 1) for w in re.findall(r"[a-z']+", s.lower())]
        for s in ["what a wonderful film", "the plot was boring and the acting awful"]]
width = max(map(len, rows))
print(json.dumps({"instances": [r + [0] * (width - len(r)) for r in rows]}))
PY
)
start "$WORK/2.log" run -v "$WORK/models/sentiment_classifier:/models/sentiment_classifier:ro" -e MODEL_NAME=sentiment_classifier "$ctr" -- /usr/bin/tf_serving_entrypoint.sh
in_image=$(predict sentiment_classifier "$SENT")
stop; check "seed 2 SIGTERM exit status" 0 "$STOPPED"
node bin/inferd.js serve --host=127.0.0.1 --rest_api_port=8501 --model_name=sentiment_classifier --model_base_path="$WORK/models/sentiment_classifier" >"$WORK/2-host.log" 2>&1 &
host_runner=$!
wait_ready "$host_runner" || fail "host inferd did not start"
on_host=$(predict sentiment_classifier "$SENT")
kill -TERM "$host_runner"; wait "$host_runner" || true
check "seed 2 predict sentiment_classifier $SENT (image = host: $on_host)" "$on_host" "$in_image"
# The trained classifier tells the reviews apart: positive above 0.5, negative below.
check "seed 2 positive > 0.5 > negative" yes "$(python3 -c 'import json,sys; p=json.loads(sys.argv[1]); print("yes" if p[0][0] > 0.5 > p[1][0] else p)' "$in_image")"

# 3. MODEL_BASE_PATH and extra arguments appended to the flags (a later flag wins: --model_name renames the model).
start "$WORK/3.log" run -v "$HPT:/srv/models/half_plus_two:ro" -e MODEL_BASE_PATH=/srv/models -e MODEL_NAME=half_plus_two "$ctr" -- \
  /usr/bin/tf_serving_entrypoint.sh --model_name=hpt --rest_api_timeout_in_ms=5000
check "MODEL_BASE_PATH + extra args: predict as hpt" "[2.5]" "$(predict hpt '{"instances": [1.0]}')"
stop; check "MODEL_BASE_PATH + extra args: SIGTERM exit status" 0 "$STOPPED"

# 4. --model_config_file instead of MODEL_NAME: both models from one config.
mkdir -p "$WORK/config"
cat >"$WORK/config/models.config" <<'CONFIG'
model_config_list {
  config { name: "half_plus_two" base_path: "/models/half_plus_two" model_platform: "tensorflow" }
  config { name: "sentiment_classifier" base_path: "/models/sentiment_classifier" }
}
CONFIG
start "$WORK/4.log" run -v "$HPT:/models/half_plus_two:ro" -v "$WORK/models/sentiment_classifier:/models/sentiment_classifier:ro" \
  -v "$WORK/config:/etc/inferd:ro" "$ctr" -- /usr/bin/tf_serving_entrypoint.sh --model_config_file=/etc/inferd/models.config
check "--model_config_file: half_plus_two" "[2.5]" "$(predict half_plus_two '{"instances": [1.0]}')"
check "--model_config_file: sentiment_classifier" "$on_host" "$(predict sentiment_classifier "$SENT")"
stop; check "--model_config_file: SIGTERM exit status" 0 "$STOPPED"

# 5. Models baked into an image FROM inferd's (docs/deploy.md's quickest path to a cluster): no mount at all.
mkdir -p "$WORK/bake/models"
cp -r "$HPT" "$WORK/bake/models/half_plus_two"
printf 'FROM %s\nCOPY models /models\n' "$IMAGE" >"$WORK/bake/Dockerfile"
buildah bud --isolation chroot --format docker -q -t localhost/inferd-check-baked "$WORK/bake" >/dev/null
baked=$(buildah from --isolation chroot localhost/inferd-check-baked)
start "$WORK/5b.log" run -e MODEL_NAME=half_plus_two "$baked" -- /usr/bin/tf_serving_entrypoint.sh
check "baked models: predict" "[2.5]" "$(predict half_plus_two '{"instances": [1.0]}')"
stop; check "baked models: SIGTERM exit status" 0 "$STOPPED"
buildah rm "$baked" >/dev/null; buildah rmi localhost/inferd-check-baked >/dev/null

# 6. Read-only root file system (Kubernetes' readOnlyRootFilesystem): buildah run cannot make the root read-only, so
#    the image's root is mounted read-only in a private mount namespace, with /tmp a tmpfs (the Deployment's emptyDir),
#    and the entrypoint runs chrooted as 65532 with the image's environment. Drain with requests during the delay.
root=$(buildah mount "$ctr")
mapfile -t ENVS < <(buildah inspect --type image --format '{{range .Docker.Config.Env}}{{println .}}{{end}}' "$IMAGE" | sed '/^$/d')
start "$WORK/6.log" unshare --mount --propagation private --fork sh -c '
  set -e; r="$1"; m="$2"; shift 2
  mount --bind "$r" "$r"; mount -o remount,bind,ro "$r"
  mount --rbind /dev "$r/dev"; mount -t proc proc "$r/proc"; mount -t tmpfs -o size=256m tmpfs "$r/tmp"
  mount --bind "$m" "$r/models"   # the folder holding half_plus_two/, as a volume at /models
  exec chroot --userspec=65532:65532 "$r" env -i "$@" MODEL_NAME=half_plus_two /usr/bin/tf_serving_entrypoint.sh --drain_delay_seconds=3' \
  sh "$root" "$WORK/bake/models" "${ENVS[@]}" || true
if [ -n "${SERVER:-}" ] && kill -0 "$SERVER" 2>/dev/null; then
  check "read-only root: predict" "[2.5]" "$(predict half_plus_two '{"instances": [1.0]}')"
  ro=$(nsenter -t "$SERVER" -m -r -S 65532 -G 65532 sh -c 'touch /opt/inferd/x 2>&1 || true; touch /tmp/x && echo tmp-writable')
  case "$ro" in *"Read-only file system"*tmp-writable*) pass "read-only root: / refuses writes, /tmp takes them";; *) fail "read-only root: $ro";; esac
  kill -TERM "$SERVER"
  sleep 0.5
  during=$(curl -s -o /dev/null -D - -d '{"instances": [1.0]}' "$REST/v1/models/half_plus_two:predict" | tr -d '\r' | awk 'NR==1 {s=$2} tolower($1)=="connection:" {c=$2} END {print s, c}')
  check "read-only root: a request during the drain delay" "200 close" "$during"
  rc=0; wait "$RUNNER" || rc=$?
  check "read-only root: SIGTERM exit status" 0 "$rc"
  grep -q "drained: exiting" "$WORK/6.log" && pass "read-only root: drained" || fail "read-only root: no 'drained: exiting' in the log"
fi

echo "$fails failed"
[ "$fails" -eq 0 ]
