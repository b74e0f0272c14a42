# inferd's image, with tensorflow/serving's conventions (docs/deploy.md): ports 8500 (gRPC) and 8501 (REST),
# MODEL_NAME (default model) and MODEL_BASE_PATH (default /models) name the model at ${MODEL_BASE_PATH}/${MODEL_NAME},
# extra `docker run` arguments are appended to the server's flags. Non-root, works with a read-only root file system,
# PID 1 is the server (SIGTERM drains). BASE_IMAGE must provide node >= 20.19 and npm (deploy/build-image.sh builds
# on a local Debian base with the host's node; users keep the default).
ARG BASE_IMAGE=node:20-slim

FROM ${BASE_IMAGE} AS build
WORKDIR /src
# onnxruntime-node ships its Linux binaries in the npm package; its install script would download CUDA extras.
ENV ONNXRUNTIME_NODE_INSTALL=skip npm_config_update_notifier=false
# A build argument, not an ENV: set for this stage's RUN steps only, never stored in the image
# (deploy/build-image.sh passes true to use its mounted npm cache).
ARG npm_config_prefer_offline=false
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY bin ./bin
COPY proto ./proto
COPY web ./web
RUN npm run build && npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
 && rm -rf node_modules/onnxruntime-node/bin/napi-v*/darwin node_modules/onnxruntime-node/bin/napi-v*/win32

FROM ${BASE_IMAGE}
ENV NODE_ENV=production MODEL_NAME=model MODEL_BASE_PATH=/models
WORKDIR /opt/inferd
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY --from=build /src/bin ./bin
COPY --from=build /src/proto ./proto
COPY --from=build /src/web ./web
COPY LICENSE ./
COPY deploy/docker/tf_serving_entrypoint.sh /usr/bin/tf_serving_entrypoint.sh
RUN mkdir -p /models && chmod 0755 /usr/bin/tf_serving_entrypoint.sh
# A numeric non-root user: no passwd entry needed, and Kubernetes' runAsNonRoot can verify it.
USER 65532:65532
EXPOSE 8500 8501
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8501/v2/health/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tf_serving_entrypoint.sh"]
