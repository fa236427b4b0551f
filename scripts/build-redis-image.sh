#!/usr/bin/env bash
# Builds the local image the CLI's end-to-end tests run a real Redis server in: this
# machine's `redis-server` (Debian's redis-server package) and the libraries it links.
# There is no image registry here, so the image is made with `docker import`, like
# scripts/build-test-image.sh does for node. Does nothing when the image exists.
#   scripts/build-redis-image.sh [TAG]     (default porthole-test/redis:local)
set -euo pipefail
TAG=${1:-porthole-test/redis:local}
if docker image inspect "$TAG" >/dev/null 2>&1; then exit 0; fi

if ! command -v redis-server >/dev/null 2>&1; then
  echo "redis-server is not installed: apt-get install redis-server redis-tools" >&2
  exit 3
fi
ROOT=$(mktemp -d)
trap 'rm -rf "$ROOT"' EXIT
# Debian's redis-server is a symlink to redis-check-rdb; the binary picks its role from
# the name it runs under, so it is copied under the server's name.
SERVER=$(readlink -f "$(command -v redis-server)")
mkdir -p "$ROOT/usr/bin" "$ROOT/tmp" "$ROOT/data" "$ROOT/etc"
cp "$SERVER" "$ROOT/usr/bin/redis-server"
# Every shared library it links, at the same path (the loader included).
for lib in $(ldd "$SERVER" | grep -oE '/[^ ]+'); do
  mkdir -p "$ROOT$(dirname "$lib")"
  cp -L "$lib" "$ROOT$lib"
done
echo 'root:x:0:0:root:/:/bin/sh' >"$ROOT/etc/passwd"
chmod 1777 "$ROOT/tmp"
tar -C "$ROOT" -c . | docker import -c 'ENV PATH=/usr/bin' -c 'WORKDIR /data' - "$TAG" >/dev/null
echo "built $TAG"
