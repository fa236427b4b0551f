# Porthole's server as an image: docker build -t porthole .
#
# Two stages. The first installs the whole workspace (dev dependencies included: tsc),
# compiles it and cuts out a production-only tree of apps/server; the second is a clean
# node:20-bookworm-slim with nothing but that tree, run as the unprivileged `node` user.
# No registry here? scripts/build-node-base-image.sh makes a local node:20-bookworm-slim;
# build with `docker build --network host` when containers have no way out (see README).

# ---- build ----------------------------------------------------------------------------
FROM node:20-bookworm-slim AS build
# The pnpm of package.json's packageManager: another version would rewrite the lockfile
# or, under pnpm 10's manage-package-manager-versions, go and download that one.
RUN npm install --global pnpm@10.34.9 && npm cache clean --force
WORKDIR /src
# Dependencies first, from the lockfile alone, so this layer (the slow one: every package
# downloaded) is reused until pnpm-lock.yaml changes, whatever happens to the sources.
COPY pnpm-lock.yaml pnpm-workspace.yaml ./
# --ignore-scripts: fetching only downloads; what needs building is built at install.
RUN pnpm fetch --ignore-scripts
# Then the sources (.dockerignore keeps node_modules, dist, tests, .git out) and an offline
# install from the store just filled: --frozen-lockfile fails the build rather than
# resolve anything the lockfile does not say.
COPY . .
# The SQLite store's driver, better-sqlite3, is native: its install script fetches the
# prebuilt binary for this Node from the project's GitHub releases (and would fall back
# to compiling, which this slim image cannot). Where GitHub is out of reach, point it at a
# mirror of those release files: --build-arg npm_config_better_sqlite3_binary_host=URL
# (URL/v<version>/better-sqlite3-v<version>-node-v<abi>-linux-x64.tar.gz).
ARG npm_config_better_sqlite3_binary_host
# Only what the server needs (the `...` takes its workspace dependencies too): the other
# packages' dependencies (Chromium's driver, the test tools) stay out.
RUN pnpm install --frozen-lockfile --offline --filter @porthole/server...
# Compile apps/server and the packages it references (tsconfig project references);
# the CLI and the tests are not part of the image.
RUN pnpm exec tsc -b apps/server
# A self-contained copy of apps/server with production dependencies only: its dist, a
# node_modules of real directories (no links back into /src), and the workspace packages
# it depends on copied in as they would be published ("files": ["dist"]: the dist just
# compiled). pnpm 10 deploys from the shared lockfile (exactly the locked versions, from
# the store, offline) only with inject-workspace-packages on; set here for this command
# alone, since the workspace itself links its packages. (--legacy would work too, but
# resolves afresh.) Sources, declaration files, source maps and build info are not needed
# to run: dropped.
# better-sqlite3 loads only its compiled binding: the SQLite and C++ sources it was built
# from (deps/, src/: 10 MB) go too.
RUN pnpm --filter @porthole/server deploy --prod --offline --config.inject-workspace-packages=true /out \
 && rm -rf /out/src /out/tsconfig.json \
 && rm -rf /out/node_modules/.pnpm/better-sqlite3@*/node_modules/better-sqlite3/deps /out/node_modules/.pnpm/better-sqlite3@*/node_modules/better-sqlite3/src \
 && find /out \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' -o -name '*.tsbuildinfo' \) -type f -exec rm -f {} +

# ---- runtime --------------------------------------------------------------------------
FROM node:20-bookworm-slim
# Inside a container Porthole listens on every interface of the container (its default,
# 127.0.0.1, would be reachable from inside the container only). Host ports (local_port)
# stay on loopback (PORTHOLE_LOCAL_BIND), which is of use with --network host only.
ENV NODE_ENV=production PORTHOLE_HOST=0.0.0.0 PORTHOLE_PORT=8080 PORTHOLE_DATA_DIR=/data
WORKDIR /app
# Owned by root and not writable by `node`: the process cannot change its own code, and
# the tree works on a read-only root filesystem. The one place Porthole writes is its
# data directory (the forwards' SQLite database), a volume owned by `node`: mount your
# own (`-v porthole-data:/data`) to keep forwards across `docker rm` and upgrades.
COPY --from=build /out /app
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 8080
# Liveness through Porthole's own /healthz (no credential needed). Cheap: one short node
# process every 30 s. Kubernetes ignores this and uses the probes of deploy/kubernetes.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORTHOLE_PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node as PID 1 directly (no npm, no shell): it gets SIGTERM from `docker stop` and
# Porthole closes its tunnels and exits within 5 s.
CMD ["node", "dist/main.js"]
