#!/usr/bin/env bash
# Fills the engine at $DOCKER_HOST (a layertop test engine) with a realistic big set, without a
# registry: 1,200 single-layer images from generated tars, 20 chains of 100 COPY layers that share
# prefixes (built by BuildKit: about 1,800 build-cache records), 100 branches off them at various
# depths, one layer of 400,000 files, and 50 containers (5 of them running). About 1,220 images
# and 3,100 layers.
#   SCALE_IMPORTS (default 1200) and SCALE_CHAINS (default 20) make it smaller for quick runs.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cache="$here/.cache/fixtures"
eroot="$here/.cache/engine/${LAYERTOP_ENGINE_SET:-stable}/root"
export PATH="$eroot/usr/bin:$eroot/usr/sbin:$PATH"
: "${DOCKER_HOST:?scale-fixtures: set DOCKER_HOST to a test engine socket (scripts/engines.sh env scale)}"
sock=${DOCKER_HOST#unix://}
[ -f "$(dirname "$sock")/layertop-test-engine" ] || {
  echo "scale-fixtures: $DOCKER_HOST is not a layertop test engine; refusing" >&2; exit 1; }
imports=${SCALE_IMPORTS:-1200}
chains=${SCALE_CHAINS:-20}
depth=100
branches=100
t0=$(date +%s)
say() { echo "scale-fixtures: $* ($(( $(date +%s) - t0 )) s)"; }

bash "$here/scripts/fixtures.sh" assets >/dev/null
docker image inspect busybox:latest >/dev/null 2>&1 || docker import -c 'CMD ["sh"]' "$cache/busybox.tar" busybox:latest >/dev/null

# 1. Single-layer images from generated tars, in one `docker load` (1,000 `docker import`s take
# minutes; a load of one archive holding them all takes seconds).
if ! docker image inspect "lt-scale/imp-$imports:latest" >/dev/null 2>&1; then
  node "$here/scripts/gen-tar.mjs" archive 1 "$imports" | docker load -q >/dev/null
fi
say "$imports imported images"

# 2. Chains of COPY layers built by BuildKit (so the build cache holds a record per step): chain
# j shares its first j layers with chain 0, then diverges.
ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
for i in $(seq 0 $((depth - 1))); do head -c $(( 512 + (i * 97) % 4096 )) /dev/urandom > "$ctx/f$i"; done
for j in $(seq 0 $((chains - 1))); do head -c 1000 /dev/urandom > "$ctx/g$j"; done
for j in $(seq 0 $((chains - 1))); do
  docker image inspect "lt-scale/chain-$j:latest" >/dev/null 2>&1 && continue
  {
    echo "FROM busybox"
    for i in $(seq 0 $((depth - 1))); do
      if [ "$j" -gt 0 ] && [ "$i" -eq "$j" ]; then echo "COPY g$j /c/$i"; else echo "COPY f$i /c/$i"; fi
    done
  } > "$ctx/chain$j.Dockerfile"
  docker build -q --network=none -f "$ctx/chain$j.Dockerfile" -t "lt-scale/chain-$j:latest" "$ctx" >/dev/null
done
say "$chains chains of $depth layers"

# 3. Branches off the chains at various depths, one new layer each, in one `docker load`: each
# names the chain's layers below it (the engine has them) and brings its own (a BuildKit build
# per branch takes over a second, most of it exporting the image).
# The containerd image store loads only the layers an archive holds (the graph driver skips those
# it has): there the chains are saved once and their layers copied into the branches' archive.
save=""
case "$(docker info -f '{{json .DriverStatus}}')" in
  *io.containerd.snapshotter*) save="$ctx/saved" ;;
esac
if ! docker image inspect "lt-scale/branch-$((branches - 1)):latest" >/dev/null 2>&1; then
  for j in $(seq 0 $((chains - 1))); do
    printf '%s\n' "$(docker image inspect -f '{{json .RootFS.Layers}}' "lt-scale/chain-$j:latest")"
  done > "$ctx/chains.jsonl"
  if [ -n "$save" ]; then
    mkdir -p "$save"
    # shellcheck disable=SC2046
    docker save $(seq -f 'lt-scale/chain-%g:latest' 0 $((chains - 1))) | tar -x -C "$save"
  fi
  # shellcheck disable=SC2016
  node -e '
    const fs = require("fs");
    const [file, n, save] = process.argv.slice(1);
    const chains = fs.readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    // Per chain, where `docker save` put each of its layers (same order as its diff IDs).
    const paths = save
      ? chains.map((_, j) => JSON.parse(fs.readFileSync(`${save}/manifest.json`, "utf8")).find((m) => (m.RepoTags ?? []).includes(`lt-scale/chain-${j}:latest`)).Layers)
      : [];
    const out = [];
    for (let b = 0; b < Number(n); b++) {
      const layers = chains[b % chains.length];
      const k = 3 + ((b * 37) % (layers.length - 3));
      out.push({
        tag: `lt-scale/branch-${b}:latest`,
        diffIds: layers.slice(0, k),
        ...(save ? { lowerPaths: paths[b % chains.length].slice(0, k) } : {}),
        seed: 100000 + b,
      });
    }
    fs.writeFileSync(file + ".json", JSON.stringify(out));
  ' "$ctx/chains.jsonl" "$branches" "$save"
  node "$here/scripts/gen-tar.mjs" branches "$ctx/chains.jsonl.json" ${save:+"$save"} | docker load -q >/dev/null
fi
say "$branches branches"

# 4. One layer of 400,000 files (most empty, every tenth one byte).
docker image inspect lt-scale/many:latest >/dev/null 2>&1 \
  || node "$here/scripts/gen-tar.mjs" many 400000 | docker import - lt-scale/many:latest >/dev/null
say "the 400,000-file layer"

# 5. Containers: 45 created from imported images, 5 running busybox.
for c in $(seq 1 45); do
  docker container inspect "lt-scale-c$c" >/dev/null 2>&1 \
    || docker create --network=none --name "lt-scale-c$c" "lt-scale/imp-$(( 1 + (c * 13) % imports )):latest" sh >/dev/null
done
for c in $(seq 1 5); do
  docker container inspect "lt-scale-r$c" >/dev/null 2>&1 \
    || docker run -d --network=none --name "lt-scale-r$c" busybox sh -c "head -c $((c * 100000)) /dev/urandom > /rw.bin; exec sleep 86400" >/dev/null
done
say "ready on $DOCKER_HOST: $(docker images -q | wc -l) images, $(docker ps -aq | wc -l) containers"
