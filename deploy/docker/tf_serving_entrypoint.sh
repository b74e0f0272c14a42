#!/bin/sh
# The image's entrypoint, with tensorflow/serving's conventions: gRPC on 8500, REST on 8501, the model
# ${MODEL_BASE_PATH}/${MODEL_NAME} (defaults /models and model), every argument given to `docker run IMAGE ...`
# appended to the server's flags (a later flag wins, and --model_config_file replaces the single model).
# `exec` makes the server PID 1, so it receives SIGTERM itself and drains (finish in flight, exit 0).
set -eu
: "${MODEL_NAME:=model}"
: "${MODEL_BASE_PATH:=/models}"
: "${INFERD_BIN:=/opt/inferd/bin/inferd.js}"
exec node "${INFERD_BIN}" serve --port=8500 --rest_api_port=8501 \
  --model_name="${MODEL_NAME}" --model_base_path="${MODEL_BASE_PATH}/${MODEL_NAME}" "$@"
