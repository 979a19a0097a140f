#!/usr/bin/env bash
# npm run bench: starts throwaway engines with the test images, runs the benchmarks, stops them.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
export PATH="$here/node_modules/.bin:$PATH"
[ "$(id -u)" = 0 ] || { echo "bench: needs root to start throwaway engines" >&2; exit 1; }
# Only a directory this script made is removed whole at the end; a given one is left in place.
own_dir=""
export LAYERTOP_TEST_MODE=1   # deleting code may touch only the engines started here
# Every temporary file of the run (the benchmarks' size caches included) lives here and goes at the end.
run_tmp=$(mktemp -d /tmp/layertop-bench-tmp.XXXXXX)
export TMPDIR="$run_tmp"
if [ -z "${LAYERTOP_ENGINES_DIR:-}" ]; then export LAYERTOP_ENGINES_DIR=/tmp/layertop-engines-bench.$$; own_dir=1; fi
engines=(overlay2 containerd)
trap 'bash "$here/scripts/engines.sh" stop || true; [ -n "$own_dir" ] && rm -rf "$LAYERTOP_ENGINES_DIR"; rm -rf "$run_tmp"' EXIT
# The scale engine (scripts/scale-fixtures.sh, about three minutes to fill) and the growth engine
# (filled by the bench itself, 250 then 500 then 1,000 images) unless LAYERTOP_NO_SCALE=1.
scale=(scale scale-containerd growth); [ "${LAYERTOP_NO_SCALE:-}" = 1 ] && scale=()
bash scripts/engines.sh start "${engines[@]}" "${scale[@]}"
bash scripts/fixtures.sh assets >/dev/null
for n in "${engines[@]}"; do
  ( eval "export $(bash scripts/engines.sh env "$n" | tr '\n' ' ')"; bash scripts/fixtures.sh ) &
done
if [ ${#scale[@]} -gt 0 ]; then
  for n in scale scale-containerd; do
    ( eval "export $(bash scripts/engines.sh env "$n" | tr '\n' ' ')"; bash scripts/scale-fixtures.sh >/dev/null ) &
  done
  export LAYERTOP_BENCH_SCALE="unix://$LAYERTOP_ENGINES_DIR/scale/docker.sock"
  export LAYERTOP_BENCH_SCALE_CONTAINERD="unix://$LAYERTOP_ENGINES_DIR/scale-containerd/docker.sock"
  # The growth engine starts with the helper's image only.
  DOCKER_HOST="unix://$LAYERTOP_ENGINES_DIR/growth/docker.sock" "$here/.cache/engine/${LAYERTOP_ENGINE_SET:-stable}/root/usr/bin/docker" \
    import -c 'CMD ["sh"]' "$here/.cache/fixtures/busybox.tar" busybox:latest >/dev/null
  export LAYERTOP_BENCH_GROWTH="unix://$LAYERTOP_ENGINES_DIR/growth/docker.sock"
fi
wait
hosts=""
for n in "${engines[@]}"; do hosts+="unix://$LAYERTOP_ENGINES_DIR/$n/docker.sock,"; done
esbuild bench/*.ts bench/*.tsx --bundle --loader:.sh=text --jsx=automatic --platform=node --format=esm --packages=external --outdir=dist/bench --log-level=warning
# React as the shipped bundle runs it (scripts/build.mjs defines NODE_ENV=production).
for f in dist/bench/*.js; do NODE_ENV=production LAYERTOP_BENCH_ENGINES="$hosts" node "$f"; done
