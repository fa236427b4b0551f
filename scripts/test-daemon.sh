#!/usr/bin/env bash
# Starts (or stops) a dedicated Docker daemon for Porthole's tests: its own socket,
# data root, bridge and subnet, so tests never touch any other engine on the machine.
#   scripts/test-daemon.sh start DIR   -> prints "export DOCKER_HOST=unix://DIR/docker.sock"
#   scripts/test-daemon.sh stop DIR
#
# Each daemon gets a bridge and a /24 nobody else on the machine uses. A daemon that was
# killed without `stop` leaves its containers' network namespaces mounted, and with them
# their veths and addresses on its bridge; a new daemon on the same bridge would hand out
# the same addresses again and the two containers would answer for one IP (connections
# then reach the dead one). A fresh bridge and subnet per daemon rule that out.
set -euo pipefail
cmd=${1:?start|stop}
D=${2:?directory for the daemon state (short path: unix socket limit)}

# The first 172.31.X.1/24 (X from 213) that no interface on this machine has an address in.
free_subnet() {
  local used x
  used=$(ip -4 -o addr show | awk '{print $4}')
  for x in $(seq 213 254); do
    if ! grep -q "^172\.31\.$x\." <<<"$used"; then echo "172.31.$x.1/24"; return 0; fi
  done
  echo "no free 172.31.X.0/24 subnet for the test bridge" >&2
  return 1
}

case "$cmd" in
start)
  mkdir -p "$D"
  # Interface names are limited to 15 characters: "ph" + the directory's last 8 characters.
  BRIDGE=${PORTHOLE_TEST_BRIDGE:-ph$(basename "$D" | tr -cd 'a-zA-Z0-9' | tail -c 8)}
  if ip link show "$BRIDGE" >/dev/null 2>&1; then
    # A bridge left by an earlier daemon of the same name: start from a clean one.
    ip link delete "$BRIDGE" type bridge
  fi
  SUBNET=${PORTHOLE_TEST_BRIDGE_CIDR:-$(free_subnet)}
  ip link add name "$BRIDGE" type bridge
  ip addr add "$SUBNET" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  echo "$BRIDGE" >"$D/bridge"
  # Own socket, data root and exec root: nothing shared with another engine. --iptables=false:
  # the tests reach containers from this host only, by their bridge address, so no NAT or
  # port publishing is needed (and none of the machine's firewall rules change). setsid: the
  # daemon outlives the shell that started it, and a Ctrl-C there does not reach it.
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
  # Containers first, so their network namespaces and veths go with them.
  if [ -S "$D/docker.sock" ]; then
    ids=$(DOCKER_HOST="unix://$D/docker.sock" timeout 20 docker ps -aq 2>/dev/null || true)
    if [ -n "$ids" ]; then
      # shellcheck disable=SC2086
      DOCKER_HOST="unix://$D/docker.sock" timeout 60 docker rm -f $ids >/dev/null 2>&1 || true
    fi
  fi
  if [ -f "$D/dockerd.pid" ]; then
    pid=$(cat "$D/dockerd.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  # Whatever the daemon left mounted (network namespaces, overlays) would keep veths alive.
  { grep -o " $D/[^ ]*" /proc/mounts 2>/dev/null || true; } | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  if [ -f "$D/bridge" ]; then
    ip link delete "$(cat "$D/bridge")" type bridge 2>/dev/null || true
  fi
  ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
