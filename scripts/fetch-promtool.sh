#!/usr/bin/env bash
# Fetches promtool (Debian's prometheus package, bookworm) into .cache/promtool/promtool, for the
# test that checks `layertop scan --format prometheus` with `promtool check metrics`. Like
# fetch-engine.sh: a private apt state, nothing installed on the system.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cache="$here/.cache/promtool"
[ -x "$cache/promtool" ] && exit 0
[ "$(id -u)" = 0 ] || { echo "fetch-promtool: must run as root (apt-get, dpkg -x)" >&2; exit 1; }
mkdir -p "$cache/lists/partial" "$cache/archives/partial" "$cache/debs"
mirror=$(grep -rhoE 'https?://[^ ]+/debian/?$' /etc/apt/sources.list.d/ /etc/apt/sources.list 2>/dev/null \
  | grep -v security | head -n1 || true)
mirror=${mirror:-http://deb.debian.org/debian}
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror bookworm main" > "$cache/sources.list"
opts=(-o Dir::Etc::sourcelist="$cache/sources.list" -o Dir::Etc::sourceparts=- \
      -o Dir::State::Lists="$cache/lists" -o Dir::Cache::archives="$cache/archives" \
      -o APT::Get::List-Cleanup=0 -o Debug::NoLocking=1)
for try in 1 2 3; do apt-get "${opts[@]}" -qq update && break; [ "$try" = 3 ] && exit 1; sleep $((try * 5)); done
cd "$cache/debs"
rm -f ./*.deb
apt-get "${opts[@]}" -qq download prometheus/bookworm
t=$(mktemp -d)
dpkg -x ./prometheus_*.deb "$t"
install -m 0755 "$t/usr/bin/promtool" "$cache/promtool"
rm -rf "$t" ./*.deb "$cache/lists" "$cache/archives"
"$cache/promtool" --version 2>&1 | head -n1
