#!/usr/bin/env bash
# Throwaway Docker engines for tests, benchmarks and the demo. Never touches the user's engine:
# every engine gets a private socket, data root, exec root and containerd under $LAYERTOP_ENGINES_DIR.
#   scripts/engines.sh start [overlay2|containerd|containerd-ext ...]   (default: all three)
#   scripts/engines.sh stop                                  stops them all and removes their data
#   scripts/engines.sh stop-one NAME                         stops one engine and removes its data
#   scripts/engines.sh restart NAME overlay2|containerd      the same data root under that image store
#   scripts/engines.sh env NAME                              prints DOCKER_HOST=... for NAME
# $LAYERTOP_ENGINE_SET picks the engine version (stable: Docker 26.1, sid: Docker 28.5; see
# fetch-engine.sh); one engines dir holds engines of one set.
# Each engine dir holds a marker file `layertop-test-engine`: deleting code refuses to run in tests
# unless DOCKER_HOST points at a socket next to that marker.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
dir=${LAYERTOP_ENGINES_DIR:-/tmp/layertop-engines}
set_name=${LAYERTOP_ENGINE_SET:-stable}
root="$here/.cache/engine/$set_name/root"
export PATH="$root/usr/bin:$root/usr/sbin:$PATH"

need_root() {
  [ "$(id -u)" = 0 ] || { echo "engines: dockerd needs root (mounts, namespaces); run as root or under sudo" >&2; exit 1; }
}

config_for() {
  case "$1" in
    overlay2|victim|prune-overlay2|light-overlay2|scale|growth) echo '{"storage-driver":"overlay2","features":{"containerd-snapshotter":false}}' ;;
    containerd|containerd-ext|prune-containerd|light-containerd|scale-containerd) echo '{"features":{"containerd-snapshotter":true}}' ;;
    # An engine whose image store a test switches (restart): the store named in its dir, overlay2 at first.
    switch) config_for "$(cat "$dir/switch/store" 2>/dev/null || echo overlay2)" ;;
    *) echo "engines: unknown engine '$1' (overlay2, containerd, containerd-ext, victim)" >&2; exit 2 ;;
  esac
}

start_one() {
  local name=$1 e="$dir/$1"
  if [ -S "$e/docker.sock" ] && DOCKER_HOST="unix://$e/docker.sock" docker version >/dev/null 2>&1; then
    return 0
  fi
  mkdir -p "$e/data" "$e/exec" "$e/config"
  # A pidfile left by a killed dockerd blocks the next start. Where nothing reaps orphans (PID 1 is
  # not an init here), the dead dockerd lingers as a zombie, which kill -0 still calls alive.
  if [ -f "$e/docker.pid" ]; then
    local old; old=$(cat "$e/docker.pid")
    if ! alive "$old"; then
      rm -f "$e/docker.pid"
    fi
  fi
  touch "$e/layertop-test-engine"
  config_for "$name" > "$e/daemon.json"
  mkdir -p "$e/config/cli-plugins"
  ln -sf "$root/usr/libexec/docker/cli-plugins/docker-buildx" "$e/config/cli-plugins/docker-buildx"
  local extra=()
  if [ "$name" = containerd-ext ]; then
    # A standalone containerd with its own root, as a distribution package install runs it:
    # dockerd --containerd=<socket>. Tests the system-containerd layout.
    mkdir -p "$e/containerd-root" "$e/containerd-state"
    cat > "$e/containerd.toml" <<TOML
version = 2
root = "$e/containerd-root"
state = "$e/containerd-state"
[grpc]
  address = "$e/containerd.sock"
[plugins."io.containerd.grpc.v1.cri"]
  disable = true
TOML
    containerd --config "$e/containerd.toml" >"$e/containerd.log" 2>&1 &
    echo $! > "$e/containerd.pid"
    for _ in $(seq 1 100); do [ -S "$e/containerd.sock" ] && break; sleep 0.1; done
    extra=(--containerd="$e/containerd.sock")
  fi
  # LAYERTOP_ENGINE_NICE=N: the engine (and everything it starts) at that niceness (scripts/test.sh's
  # scale engines, whose fill is background work).
  nice -n "${LAYERTOP_ENGINE_NICE:-0}" dockerd --config-file "$e/daemon.json" --data-root "$e/data" --exec-root "$e/exec" \
    -H "unix://$e/docker.sock" --pidfile "$e/docker.pid" \
    --bridge=none --iptables=false --ip6tables=false "${extra[@]}" >"$e/dockerd.log" 2>&1 &
  for _ in $(seq 1 150); do
    if DOCKER_HOST="unix://$e/docker.sock" docker version >/dev/null 2>&1; then
      echo "engines: $name up at unix://$e/docker.sock"; return 0
    fi
    sleep 0.2
  done
  echo "engines: $name did not start; last lines of $e/dockerd.log:" >&2
  tail -n 20 "$e/dockerd.log" >&2
  exit 1
}

alive() { # a zombie (nothing reaps orphans here) counts as dead
  kill -0 "$1" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]
}

stop_one() {
  local e=$1
  # Bridge networks the engine created outlive it as br-<id> interfaces: note them first.
  local bridges=""
  if [ -S "$e/docker.sock" ]; then
    bridges=$(DOCKER_HOST="unix://$e/docker.sock" timeout 10 docker network ls -q --no-trunc --filter driver=bridge 2>/dev/null \
      | cut -c1-12 | sed 's/^/br-/' || true)
  fi
  for pf in "$e/docker.pid" "$e/containerd.pid"; do
    [ -f "$pf" ] || continue
    local pid; pid=$(cat "$pf")
    if alive "$pid"; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do alive "$pid" || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
  done
  # Anything the engine left running (shims, containers, a managed containerd) dies with it.
  pkill -9 -f -- "$e/" 2>/dev/null || true
  sleep 0.2
  # Unmount everything below the engine dir, deepest first.
  awk -v p="$e/" 'index($2, p) == 1 { print $2 }' /proc/self/mounts | sort -r | while read -r m; do
    umount -l "$m" 2>/dev/null || true
  done
  for b in $bridges; do ip link delete "$b" 2>/dev/null || true; done
  rm -rf "$e"
}

cmd=${1:-}
shift || true
case "$cmd" in
  start)
    need_root
    bash "$here/scripts/fetch-engine.sh" "$set_name"
    mkdir -p "$dir"
    names=("$@"); [ ${#names[@]} -gt 0 ] || names=(overlay2 containerd containerd-ext)
    for n in "${names[@]}"; do start_one "$n"; done ;;
  stop)
    [ -d "$dir" ] || exit 0
    # Side by side: each dockerd may wait for its containers to stop.
    for e in "$dir"/*/; do [ -f "$e/layertop-test-engine" ] && stop_one "${e%/}" & done
    wait
    rmdir "$dir" 2>/dev/null || true ;;
  stop-one)
    n=${1:?engine name}
    [ -f "$dir/$n/layertop-test-engine" ] && stop_one "$dir/$n" ;;
  restart)
    # restart NAME overlay2|containerd: the same data root under the other image store (the
    # switch moby users make; the images of the store left stay on disk, invisible to the API).
    need_root
    n=${1:?engine name}; store=${2:?overlay2 or containerd}
    e="$dir/$n"
    [ -f "$e/layertop-test-engine" ] || { echo "engines: $n is not a test engine" >&2; exit 1; }
    pid=$(cat "$e/docker.pid" 2>/dev/null || echo)
    if [ -n "$pid" ] && alive "$pid"; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do alive "$pid" || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    pkill -9 -f -- "$e/" 2>/dev/null || true
    sleep 0.2
    awk -v p="$e/" 'index($2, p) == 1 { print $2 }' /proc/self/mounts | sort -r | while read -r m; do
      umount -l "$m" 2>/dev/null || true
    done
    rm -f "$e/docker.pid" "$e/docker.sock"
    echo "$store" > "$e/store"
    start_one "$n" ;;
  env)
    n=${1:?engine name}
    echo "DOCKER_HOST=unix://$dir/$n/docker.sock"
    echo "DOCKER_CONFIG=$dir/$n/config" ;;
  *) echo "usage: scripts/engines.sh start [NAME...] | stop | env NAME" >&2; exit 2 ;;
esac
