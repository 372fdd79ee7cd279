# One image for every service: `node services/<name>/src/main.ts` (the Helm chart sets the command).
# Node 24 runs the TypeScript sources directly (type stripping); there is no build step.
FROM node:24-bookworm-slim
WORKDIR /app
RUN corepack enable
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml .npmrc ./
COPY libs ./libs
COPY services ./services
COPY schemas ./schemas
COPY scripts ./scripts
COPY test/e2e/package.json ./test/e2e/package.json
COPY test/fhir-server/package.json ./test/fhir-server/package.json
RUN pnpm install --frozen-lockfile --prod --filter "./libs/*" --filter "./services/*" --filter connector-runner
# A 4 MB young generation (V8's default is larger): measured by `make bench`, it cuts the
# services' peak RSS by a quarter or more at a few per cent of throughput. Keep in step with
# bench/pipeline/src/config.ts (serviceNodeOptions).
ENV NODE_OPTIONS="--disable-warning=TimeoutNegativeWarning --max-semi-space-size=4" OPS_HOST=0.0.0.0
USER node
CMD ["node", "services/api/src/main.ts"]
