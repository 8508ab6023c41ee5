# m365-copilot-mcp container image.
#
#   docker build -t m365-copilot-mcp .                               # on node:22-bookworm-slim
#   docker build --build-arg BASE_IMAGE=node:24-bookworm-slim -t m365-copilot-mcp .
#   # without a registry: a base image built from Debian's packages and Node's npm package
#   buildah bud --isolation chroot --storage-driver vfs \
#     --build-arg BASE_IMAGE="$(scripts/build-base-image.sh | tail -n1)" -t m365-copilot-mcp .
#   docker run -i --rm m365-copilot-mcp --demo                      # stdio (the default), emulated tenant
#   docker run -i --rm -v m365-state:/data \
#     -e M365_COPILOT_MCP_TENANT_ID=... -e M365_COPILOT_MCP_CLIENT_ID=... m365-copilot-mcp
#   docker run --rm -p 3000:3000 -e M365_COPILOT_MCP_SERVER_CLIENT_ID=... \
#     -e M365_COPILOT_MCP_SERVER_CLIENT_SECRET=... -e M365_COPILOT_MCP_TENANT_ID=... \
#     m365-copilot-mcp serve --http --host 0.0.0.0                   # Streamable HTTP on :3000/mcp
#
# Secrets come from the environment (or a mounted --config file) at run time, never from the build.
#
# BASE_IMAGE: any image with node (22 or 24) and npm on PATH and an unprivileged user `node`, as
# the official node images have. NODE_EXTRA_CA_CERTS: only where npm reaches the registry through
# a TLS-inspecting proxy; the file is mounted for the build (buildah bud --volume), never copied.
ARG BASE_IMAGE=node:22-bookworm-slim

# ---- build: all dependencies, TypeScript compile, then the esbuild bundle (dist/cli.js + chunks)
FROM ${BASE_IMAGE} AS build
ARG NODE_EXTRA_CA_CERTS
WORKDIR /app
COPY package.json package-lock.json ./
# The emulator workspace package's manifest too, so its dependencies (node-forge) are installed for the build.
COPY packages/emulator/package.json ./packages/emulator/
# No install scripts: the build needs none (esbuild's binary comes as a platform package; keytar,
# the optional keychain module, is of no use in a container).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json ./
COPY packages/emulator/tsconfig.json ./packages/emulator/
COPY packages/emulator/src ./packages/emulator/src
COPY scripts ./scripts
COPY src ./src
RUN npm run build

# ---- runtime: production dependencies and the bundle only, as the unprivileged `node` user
FROM ${BASE_IMAGE} AS runtime
ARG NODE_EXTRA_CA_CERTS
ENV NODE_ENV=production
WORKDIR /app
# No workspace package here: the emulator and its node-forge are inside the bundle, so npm ci installs
# the server's own production dependencies only.
COPY package.json package-lock.json ./
# Source maps of dependencies go too: nothing reads them without --enable-source-maps.
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund \
  && npm cache clean --force && rm -rf /root/.npm \
  && find node_modules -name '*.map' -type f -delete
COPY --from=build /app/dist/cli.js /app/dist/cli.chunk-*.js /app/dist/cli.answers.json ./dist/
COPY scripts/healthcheck.js ./scripts/healthcheck.js
COPY LICENSE README.md ./
# Token cache and audit log: an encrypted file cache (no OS keychain in a container) under /data;
# mount a volume there to keep sign-ins across restarts.
RUN mkdir -p /data && chown node:node /data
ENV M365_COPILOT_MCP_STATE_DIR=/data \
    M365_COPILOT_MCP_TOKEN_CACHE=file
USER node
EXPOSE 3000
# Probes GET /healthz only when the server runs in HTTP mode; in stdio mode a live process is healthy.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["node", "/app/scripts/healthcheck.js"]
ENTRYPOINT ["node", "/app/dist/cli.js"]
