# The agentyard image: the `agentyard` CLI, which the Helm chart runs as `agentyard operator` and
# `agentyard api`. Build it from the repository's root (npm run dev:kind does):
#   docker build -t agentyard/agentyard:<version> .
# The chart runs it as uid 65532 with a read-only root filesystem and an emptyDir on /tmp.
FROM node:24.21.0-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# Workspace packages must be known to npm ci; node_modules links them by relative path.
COPY packages/kube-runtime/package.json packages/kube-runtime/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build:dashboard && npm run build:operator && npm prune --omit=dev

FROM node:24.21.0-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
# TypeScript runs as it is on Node 24 (type stripping): the sources are the program.
COPY --from=build /src/package.json /src/package-lock.json ./
COPY --from=build /src/node_modules node_modules
COPY --from=build /src/cli cli
COPY --from=build /src/packages packages
COPY --from=build /src/operator operator
COPY --from=build /src/api api
COPY --from=build /src/schema schema
COPY --from=build /src/dashboard dashboard
COPY --from=build /src/devcluster devcluster
# The operator runs from its bundle (the chart's command; cli/operator-bundle.ts says why).
COPY --from=build /src/dist/operator /app/dist/operator
USER 65532:65532
# V8 flags: cli/node-flags.ts says why (a small young generation), and a test keeps them alike.
ENTRYPOINT ["node", "--max-semi-space-size=4", "/app/cli/agentyard.ts"]
