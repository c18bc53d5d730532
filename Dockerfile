# Conductor Loop server image.
#   docker build -t conductor-loop:0.1.0 .
#   docker build --build-arg AGENT_CLIS="@anthropic-ai/claude-code @openai/codex @google/gemini-cli" -t conductor-loop:0.1.0-agents .
# Runs `conductor serve` on 0.0.0.0:8080 as an unprivileged user; the server refuses a
# non-loopback bind without an API key, so CONDUCTOR_API_KEY (or api.api_keys in the config)
# must be provided at run time.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: install exact dependencies, bundle the CLIs and the web UI, drop dev deps ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV CI=true
COPY package.json package-lock.json ./
COPY web/package.json web/package.json
RUN npm ci --no-audit --no-fund
COPY . .
RUN node scripts/build.mjs \
 && npm prune --omit=dev --no-audit --no-fund

# ---- runtime: only what `conductor serve` needs ----
FROM ${NODE_IMAGE} AS runtime
# Optional agent CLIs from npm, pinned by the caller (e.g. "@openai/codex@0.171.0").
ARG AGENT_CLIS=""
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="conductor-loop" \
      org.opencontainers.image.version="${VERSION}"
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates git tini \
 && rm -rf /var/lib/apt/lists/*
RUN if [ -n "${AGENT_CLIS}" ]; then \
      npm install -g --no-audit --no-fund ${AGENT_CLIS} && npm cache clean --force; \
    fi
RUN groupadd --system --gid 10001 conductor \
 && useradd --system --uid 10001 --gid conductor --create-home --home-dir /home/conductor conductor \
 && mkdir -p /data/runs /etc/conductor \
 && chown conductor:conductor /data/runs
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/web/dist ./web/dist
RUN ln -s /app/bin/conductor /usr/local/bin/conductor \
 && ln -s /app/bin/run-agent /usr/local/bin/run-agent \
 && ln -s /app/bin/messagebus-tool /usr/local/bin/messagebus-tool \
 && chown conductor:conductor /app/dist/cache
ENV NODE_ENV=production \
    CONDUCTOR_ROOT=/data/runs \
    CONDUCTOR_PORT=8080 \
    CONDUCTOR_LOG_LEVEL=info
USER conductor
VOLUME ["/data/runs"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/api/v1/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# tini reaps orphaned agent processes and forwards SIGTERM for a graceful shutdown.
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["conductor", "serve", "--host", "0.0.0.0"]
