#!/usr/bin/env bash
# The whole test suite: format and lint, types, bundle, unit tests, then the engine tests against
# throwaway engines that this script starts (overlay2, containerd store, standalone containerd)
# and always stops, also when something fails.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
export PATH="$here/node_modules/.bin:$PATH"   # Node 24 from the `node` devDependency
echo "test: node $(node --version)"
# Deleting code refuses any engine but the test engines while this is set (see deletion-guard.ts).
export LAYERTOP_TEST_MODE=1
# Every temporary file of the run (tests' own temp dirs included) lives here and goes at the end.
run_tmp=$(mktemp -d /tmp/layertop-test-tmp.XXXXXX)
export TMPDIR="$run_tmp"
trap 'rm -rf "$run_tmp"' EXIT

biome check .
tsc --noEmit -p .
node scripts/build.mjs

engines=(overlay2 containerd containerd-ext)
if [ "$(id -u)" != 0 ]; then
  if [ "${CI:-}" = true ]; then
    echo "test: FAIL: engine tests need root to start dockerd, and CI must run them" >&2
    exit 1
  fi
  echo "################################################################################"
  echo "# test: NOT ROOT: the engine tests are SKIPPED. Only unit tests ran.           #"
  echo "# Run as root (or sudo npm test) to run the suite against real engines.        #"
  echo "################################################################################"
  vitest run --project unit
  exit
fi

# Only a directory this script made is removed whole at the end; a given one is left in place.
own_dir=""
if [ -z "${LAYERTOP_ENGINES_DIR:-}" ]; then export LAYERTOP_ENGINES_DIR=/tmp/layertop-engines-test.$$; own_dir=1; fi
export LAYERTOP_CACHE_DIR="$LAYERTOP_ENGINES_DIR/size-cache"
# The per-run directory holds only the engines and the size cache: all of it goes.
# Afterwards nothing of the engines may remain: no process, no mount, no bridge interface.
cleanup() {
  local status=$?
  bash "$here/scripts/engines.sh" stop || true
  local left=""
  pgrep -f -- "$LAYERTOP_ENGINES_DIR/" >/dev/null && left+=" processes"
  grep -q -- "$LAYERTOP_ENGINES_DIR/" /proc/self/mounts && left+=" mounts"
  [ -n "$own_dir" ] && rm -rf "$LAYERTOP_ENGINES_DIR"
  rm -rf "$run_tmp"
  if [ -n "$left" ]; then
    echo "test: FAIL: the engines left$left behind" >&2
    exit 1
  fi
  echo "test: engines stopped; no process or mount of theirs left"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bash scripts/engines.sh start "${engines[@]}"
bash scripts/fixtures.sh assets >/dev/null
pids=()
for n in "${engines[@]}"; do
  ( eval "export $(bash scripts/engines.sh env "$n" | tr '\n' ' ')"; bash scripts/fixtures.sh ) &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done

json="{"
for n in "${engines[@]}"; do
  json+="\"$n\":{\"host\":\"unix://$LAYERTOP_ENGINES_DIR/$n/docker.sock\",\"config\":\"$LAYERTOP_ENGINES_DIR/$n/config\"},"
done
export LAYERTOP_TEST_ENGINES="${json%,}}"
vitest run
