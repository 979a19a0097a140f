#!/usr/bin/env bash
# Builds the test images, containers, volumes and networks on the engine at $DOCKER_HOST.
# No registry is reachable: busybox comes from Debian's busybox-static, the base from debootstrap,
# both cached under .cache/fixtures so only the first run pays for them.
set -Eeuo pipefail
# A command that fails with its message thrown away still says where the script stopped.
trap 'echo "fixtures: stopped at line $LINENO: $BASH_COMMAND (status $?)" >&2' ERR
here=$(cd "$(dirname "$0")/.." && pwd)
cache="$here/.cache/fixtures"
imgs="$here/test/fixtures/images"
eroot="$here/.cache/engine/${LAYERTOP_ENGINE_SET:-stable}/root"
export PATH="$eroot/usr/bin:$eroot/usr/sbin:$PATH"
mkdir -p "$cache"

bootstrap_assets() {
  if [ ! -f "$cache/busybox.tar" ]; then
    local t; t=$(mktemp -d)
    (cd "$t" && apt-get download -qq busybox-static 2>/dev/null && dpkg -x busybox-static_*.deb x)
    mkdir -p "$t/r/bin" "$t/r/tmp" "$t/r/etc"
    cp "$t/x/bin/busybox" "$t/r/bin/busybox"
    for a in $("$t/r/bin/busybox" --list); do [ "$a" = busybox ] || ln -s busybox "$t/r/bin/$a"; done
    echo 'root:x:0:0:root:/root:/bin/sh' > "$t/r/etc/passwd"
    tar -C "$t/r" -cf "$cache/busybox.tar.tmp" . && mv "$cache/busybox.tar.tmp" "$cache/busybox.tar"
    rm -rf "$t"
  fi
  if [ ! -f "$cache/debian-minbase.tar" ]; then
    command -v debootstrap >/dev/null || { echo "fixtures: debootstrap missing (apt-get install debootstrap)" >&2; exit 1; }
    local t; t=$(mktemp -d)
    local mirror
    mirror=$(grep -rhoE 'https?://[^ ]+/debian/?$' /etc/apt/sources.list.d/ /etc/apt/sources.list 2>/dev/null | grep -v security | head -n1 || true)
    local try
    for try in 1 2 3; do
      rm -rf "$t/r"
      debootstrap --variant=minbase bookworm "$t/r" "${mirror:-http://deb.debian.org/debian}" >"$cache/debootstrap.log" 2>&1 && break
      [ "$try" = 3 ] && { tail -n 20 "$cache/debootstrap.log" >&2; exit 1; }
      sleep $((try * 5))
    done
    tar -C "$t/r" -cf "$cache/debian-minbase.tar.tmp" . && mv "$cache/debian-minbase.tar.tmp" "$cache/debian-minbase.tar"
    rm -rf "$t"
  fi
}

build() { # build NAME DOCKERFILE [extra args]
  local name=$1 file=$2; shift 2
  # The demo shows each image as it is built (a minute or two of silence otherwise).
  [ -z "${LAYERTOP_FIXTURES_PROGRESS:-}" ] || echo "fixtures: building $name" >&2
  docker build -q --network=none -f "$imgs/$file" -t "$name" "$@" "$imgs" >/dev/null
}

bootstrap_assets
if [ "${1:-}" = assets ]; then exit 0; fi
: "${DOCKER_HOST:?fixtures: set DOCKER_HOST to a test engine socket (scripts/engines.sh env NAME)}"
sock=${DOCKER_HOST#unix://}
[ -f "$(dirname "$sock")/layertop-test-engine" ] || {
  echo "fixtures: $DOCKER_HOST is not a layertop test engine; refusing to build fixtures there" >&2; exit 1; }
docker image inspect busybox:latest >/dev/null 2>&1 || docker import -c 'CMD ["sh"]' "$cache/busybox.tar" busybox:latest >/dev/null
docker image inspect layertop-test/debian:bookworm >/dev/null 2>&1 \
  || docker import -c 'CMD ["bash"]' "$cache/debian-minbase.tar" layertop-test/debian:bookworm >/dev/null
build layertop-test/common:latest common.Dockerfile
build layertop-test/app-a:latest app-a.Dockerfile
build layertop-test/app-a:v2 app-a.Dockerfile
build layertop-test/app-b:latest app-b.Dockerfile
build layertop-test/overwrite:latest overwrite.Dockerfile
build layertop-test/edge:latest edge.Dockerfile
build layertop-test/many:latest many.Dockerfile
# The hostile image also gets a build command holding raw terminal escapes (ESC, BEL), written
# here so that the repository itself holds no control bytes.
hostile_df=$(mktemp)
{ cat "$imgs/hostile.Dockerfile"; printf 'RUN echo "\033[31mred\033]0;pwned\007" > /hostile/esc-cmd\n'; } > "$hostile_df"
docker build -q --network=none -f "$hostile_df" -t layertop-test/hostile:latest "$imgs" >/dev/null
rm -f "$hostile_df"
# The first generation loses its tag to the second: a dangling image.
build layertop-test/dangling:latest dangling.Dockerfile --build-arg GEN=1
build layertop-test/dangling:latest dangling.Dockerfile --build-arg GEN=2

# Containers in every state, each with data in its writable layer.
docker rm -f lt-running lt-stopped lt-created >/dev/null 2>&1 || true
docker run -d --network=none --name lt-running -v lt-named:/named -v /anon layertop-test/app-a:latest \
  sh -c 'head -c 100000 /dev/urandom > /named/v.bin; head -c 3000000 /dev/urandom > /rw-running.bin; exec sleep infinity' >/dev/null
docker run --network=none --name lt-stopped layertop-test/app-b:latest \
  sh -c 'head -c 2000000 /dev/urandom > /rw-stopped.bin; mkdir -p /rw && for i in $(seq 1 200); do echo $i > /rw/$i; done' >/dev/null
docker create --network=none --name lt-created layertop-test/overwrite:latest >/dev/null
docker volume create lt-unused-vol >/dev/null
docker network inspect lt-unused-net >/dev/null 2>&1 || docker network create --internal lt-unused-net >/dev/null \
  || echo "fixtures: could not create a network on this engine (continuing)" >&2
# Wait for the running container's data so sizes are stable when tests start.
for _ in $(seq 1 50); do
  docker exec lt-running sh -c 'test $(wc -c < /rw-running.bin) = 3000000' 2>/dev/null && break; sleep 0.1
done
# BuildKit writes each build's trace into its content store about two seconds after the build
# returns (Docker 28 measured: two 88 KB blobs). A test that measures the data root right away would
# count them: wait until the data root has not changed for 3 s (at most 30 s).
data_root=$(dirname "$sock")/data
if [ -d "$data_root" ]; then
  last="" same=0
  for _ in $(seq 1 60); do
    # A file BuildKit removes while du walks makes du exit 1 (its total still printed): with
    # pipefail and -e that ended this script at once, silently (its message is thrown away), and
    # a fresh engine's fixtures failed with nothing said (CI run 26, 2026-12-06, prune-e2e).
    now=$(du -sx -B1 "$data_root" 2>/dev/null | cut -f1 || true)
    if [ "$now" = "$last" ]; then same=$((same + 1)); else same=0; last=$now; fi
    [ "$same" -ge 6 ] && break
    sleep 0.5
  done
fi
echo "fixtures: ready on $DOCKER_HOST ($(docker images -q | wc -l) images, $(docker ps -aq | wc -l) containers)"
