#!/usr/bin/env bash
# Builds the local image the engine tests run their fixture servers in:
# this machine's own `node` binary and the libraries it links, plus busybox when present.
# There is no image registry here, so the image is made with `docker import`.
#   scripts/build-test-image.sh [TAG]     (default porthole-test/node:local)
set -euo pipefail
TAG=${1:-porthole-test/node:local}
if docker image inspect "$TAG" >/dev/null 2>&1; then exit 0; fi

ROOT=$(mktemp -d)
trap 'rm -rf "$ROOT"' EXIT
NODE=$(readlink -f "$(command -v node)")
mkdir -p "$ROOT/usr/bin" "$ROOT/bin" "$ROOT/tmp" "$ROOT/app" "$ROOT/etc"
cp "$NODE" "$ROOT/usr/bin/node"
# Every shared library node links, at the same path (the loader included).
for lib in $(ldd "$NODE" | grep -oE '/[^ ]+'); do
  mkdir -p "$ROOT$(dirname "$lib")"
  cp -L "$lib" "$ROOT$lib"
done
BUSYBOX=$(command -v busybox || true)
if [ -n "$BUSYBOX" ] && { ldd "$BUSYBOX" 2>&1 || true; } | grep -q "not a dynamic"; then
  cp "$BUSYBOX" "$ROOT/bin/busybox"
  for app in sh cat sleep nc sort ls echo env kill ps; do ln -s busybox "$ROOT/bin/$app"; done
fi
echo 'root:x:0:0:root:/:/bin/sh' >"$ROOT/etc/passwd"
echo 'hosts: files dns' >"$ROOT/etc/nsswitch.conf"
chmod 1777 "$ROOT/tmp"
tar -C "$ROOT" -c . | docker import -c 'ENV PATH=/usr/bin:/bin' -c 'WORKDIR /app' - "$TAG" >/dev/null
echo "built $TAG"
