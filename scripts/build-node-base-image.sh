#!/usr/bin/env bash
# Makes a local stand-in for the `node:20-bookworm-slim` image, so that the repository's
# Dockerfile builds unchanged on machines with no image registry (`docker pull` fails
# here). It is made with `docker import` from what this machine already has:
#   - this machine's `node` binary (Node 20) and the shared libraries it links (ldd),
#     at /usr/local/bin/node like the real image;
#   - npm (the node install's lib/node_modules/npm) with `npm` and `npx` wrappers, which
#     the Dockerfile needs to install pnpm;
#   - busybox (static) as /bin/sh and every applet it has (cp, mkdir, rm, env, ...), for
#     RUN steps and for the shebang `#!/usr/bin/env node` of npm-installed commands;
#   - /etc/ssl/certs, so that npm and pnpm reach the registry over HTTPS (this machine's
#     egress goes through a TLS proxy whose CA is in that bundle: NODE_EXTRA_CA_CERTS
#     points node at it, as on the host);
#   - /etc/passwd and /etc/group with a `node` user and group (uid/gid 1000, home
#     /home/node), which the Dockerfile's `USER node` needs, as in the real image.
# Nothing is done when the tag already exists (a real node:20-bookworm-slim included).
#   scripts/build-node-base-image.sh [TAG]     (default node:20-bookworm-slim)
# Builds FROM it need `docker build --network host`: the test daemon runs with
# --iptables=false, so containers on its bridge have no way out to the npm registry.
set -euo pipefail
TAG=${1:-node:20-bookworm-slim}
if docker image inspect "$TAG" >/dev/null 2>&1; then exit 0; fi

NODE=$(readlink -f "$(command -v node)")
case "$("$NODE" --version)" in
  v20.*) ;;
  *) echo "build-node-base-image.sh: $NODE is $("$NODE" --version), not Node 20" >&2; exit 1 ;;
esac
# npm of this node install: <prefix>/lib/node_modules/npm (Debian: /usr/lib/...).
NPM_DIR=$(dirname "$(dirname "$NODE")")/lib/node_modules/npm
if [ ! -f "$NPM_DIR/bin/npm-cli.js" ]; then
  NPM_DIR=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
fi
[ -f "$NPM_DIR/bin/npm-cli.js" ] || { echo "build-node-base-image.sh: npm not found next to $NODE" >&2; exit 1; }
BUSYBOX=$(command -v busybox || true)
if [ -z "$BUSYBOX" ] || ! { ldd "$BUSYBOX" 2>&1 || true; } | grep -q "not a dynamic"; then
  echo "build-node-base-image.sh: needs a static busybox (apt-get install busybox-static)" >&2
  exit 1
fi

ROOT=$(mktemp -d)
trap 'rm -rf "$ROOT"' EXIT
mkdir -p "$ROOT"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,usr/local/lib/node_modules,usr/local/etc,etc,tmp,root,home/node,var/tmp,run}

cp "$NODE" "$ROOT/usr/local/bin/node"
# Every shared library node links, at the same path (the loader included).
for lib in $(ldd "$NODE" | grep -oE '/[^ ]+'); do
  mkdir -p "$ROOT$(dirname "$lib")"
  cp -L "$lib" "$ROOT$lib"
done

cp -a "$NPM_DIR" "$ROOT/usr/local/lib/node_modules/npm"
for tool in npm npx; do
  printf '#!/bin/sh\nexec /usr/local/bin/node /usr/local/lib/node_modules/npm/bin/%s-cli.js "$@"\n' "$tool" >"$ROOT/usr/local/bin/$tool"
  chmod 755 "$ROOT/usr/local/bin/$tool"
done

cp "$BUSYBOX" "$ROOT/bin/busybox"
for app in $("$BUSYBOX" --list); do
  [ "$app" = busybox ] || ln -sf busybox "$ROOT/bin/$app"
done
ln -s /bin/busybox "$ROOT/usr/bin/env" # shebangs: #!/usr/bin/env node

mkdir -p "$ROOT/etc/ssl"
cp -rL /etc/ssl/certs "$ROOT/etc/ssl/certs"
# This machine's npm settings for the registry (cafile), as npm's global config.
if [ -f "$(dirname "$(dirname "$NODE")")/etc/npmrc" ]; then
  cp "$(dirname "$(dirname "$NODE")")/etc/npmrc" "$ROOT/usr/local/etc/npmrc"
fi

cat >"$ROOT/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
node:x:1000:1000::/home/node:/bin/sh
EOF
cat >"$ROOT/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
node:x:1000:
EOF
echo 'hosts: files dns' >"$ROOT/etc/nsswitch.conf"
chown 1000:1000 "$ROOT/home/node"
chmod 1777 "$ROOT/tmp" "$ROOT/var/tmp"

CA_ENV=()
if [ -f "$ROOT/etc/ssl/certs/ca-certificates.crt" ]; then
  CA_ENV=(-c 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt')
fi
tar -C "$ROOT" --numeric-owner -c . | docker import \
  -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  -c 'ENV NODE_VERSION='"$("$NODE" --version | tr -d v)" \
  "${CA_ENV[@]}" \
  -c 'CMD ["node"]' \
  -m "local stand-in for node:20-bookworm-slim (scripts/build-node-base-image.sh)" \
  - "$TAG" >/dev/null
echo "built $TAG"
