# m365-copilot-mcp container image.
#
#   docker build -t m365-copilot-mcp .
#   docker run -i --rm m365-copilot-mcp --demo                      # stdio (the default), emulated tenant
#   docker run -i --rm -v m365-state:/data \
#     -e M365_COPILOT_MCP_TENANT_ID=... -e M365_COPILOT_MCP_CLIENT_ID=... m365-copilot-mcp
#   docker run --rm -p 3000:3000 -e M365_COPILOT_MCP_SERVER_CLIENT_ID=... \
#     -e M365_COPILOT_MCP_SERVER_CLIENT_SECRET=... -e M365_COPILOT_MCP_TENANT_ID=... \
#     m365-copilot-mcp serve --http --host 0.0.0.0                   # Streamable HTTP on :3000/mcp
#
# Secrets come from the environment (or a mounted --config file) at run time, never from the build.
ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: all dependencies, TypeScript compile, then the esbuild bundle (dist/cli.js + chunks)
FROM ${NODE_IMAGE} AS build
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
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# No workspace package here: the emulator and its node-forge are inside the bundle, so npm ci installs
# the server's own production dependencies only.
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund \
  && npm cache clean --force
COPY --from=build /app/dist/cli.js /app/dist/cli.chunk-*.js ./dist/
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
