#!/usr/bin/env bash
# Starts (or stops) a dedicated Docker daemon for Porthole's tests: its own socket,
# data root and bridge, so tests never touch any other engine on the machine.
#   scripts/test-daemon.sh start DIR   -> prints "export DOCKER_HOST=unix://DIR/docker.sock"
#   scripts/test-daemon.sh stop DIR
# See ../shared/recipes/docker-engine.md for why each flag is there.
set -euo pipefail
cmd=${1:?start|stop}
D=${2:?directory for the daemon state (short path: unix socket limit)}
BRIDGE=${PORTHOLE_TEST_BRIDGE:-porthole0}
SUBNET=${PORTHOLE_TEST_BRIDGE_CIDR:-172.31.213.1/24}

case "$cmd" in
start)
  mkdir -p "$D"
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add name "$BRIDGE" type bridge
    ip addr add "$SUBNET" dev "$BRIDGE"
  fi
  ip link set "$BRIDGE" up
  setsid dockerd \
    --host "unix://$D/docker.sock" \
    --data-root "$D/data" \
    --exec-root "$D/exec" \
    --pidfile "$D/dockerd.pid" \
    --bridge "$BRIDGE" --iptables=false \
    >"$D/dockerd.log" 2>&1 </dev/null &
  for _ in $(seq 1 60); do
    if DOCKER_HOST="unix://$D/docker.sock" docker version >/dev/null 2>&1; then
      echo "export DOCKER_HOST=unix://$D/docker.sock"
      exit 0
    fi
    sleep 0.5
  done
  echo "dockerd did not answer within 30 s; its log:" >&2
  tail -n 30 "$D/dockerd.log" >&2
  exit 1
  ;;
stop)
  if [ -f "$D/dockerd.pid" ]; then
    pid=$(cat "$D/dockerd.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
