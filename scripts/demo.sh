#!/usr/bin/env bash
# npm run demo: try layertop without touching your own Docker. Starts a throwaway engine
# (overlay2, or `npm run demo -- containerd`), builds the test images on it, opens layertop
# against it, and removes the engine and its data when you quit.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
export PATH="$here/node_modules/.bin:$PATH"
[ "$(id -u)" = 0 ] || { echo "demo: starting a throwaway dockerd needs root (sudo npm run demo)" >&2; exit 1; }
engine=${1:-overlay2}
# Only a directory this script made is removed whole at the end; a given one is left in place.
own_dir=""
export LAYERTOP_TEST_MODE=1   # deleting code may touch only the engines started here
if [ -z "${LAYERTOP_ENGINES_DIR:-}" ]; then export LAYERTOP_ENGINES_DIR=/tmp/layertop-engines-demo.$$; own_dir=1; fi
trap 'echo "demo: stopping the engine and removing its data (a few seconds)…"; bash "$here/scripts/engines.sh" stop || true; [ -n "$own_dir" ] && rm -rf "$LAYERTOP_ENGINES_DIR"; echo "demo: done"' EXIT
echo "demo: starting a throwaway $engine engine…"
bash scripts/engines.sh start "$engine"
eval "export $(bash scripts/engines.sh env "$engine" | tr '\n' ' ')"
echo "demo: building the test images (the first run also fetches a Debian base: about a minute)"
LAYERTOP_FIXTURES_PROGRESS=1 bash scripts/fixtures.sh
[ -f dist/layertop.js ] || node scripts/build.mjs
node bin/layertop.js "${@:2}"
