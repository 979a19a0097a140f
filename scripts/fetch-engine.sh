#!/usr/bin/env bash
# Fetches the pinned Docker engine packages from Debian's archive into .cache/engine/root,
# without touching the system's apt state (private sources list and lists dir).
# Why Debian packages: they are the only engine download that works on this project's machines.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cache="$here/.cache/engine"
root="$cache/root"
DOCKER_VER=26.1.5
CONTAINERD_VER=1.7.24
BUILDX_VER=0.13.1
stamp="$cache/.stamp-$DOCKER_VER-$CONTAINERD_VER-$BUILDX_VER"
[ -f "$stamp" ] && [ -x "$root/usr/sbin/dockerd" ] && exit 0

[ "$(id -u)" = 0 ] || { echo "fetch-engine: must run as root (apt-get, dpkg -x)" >&2; exit 1; }
mkdir -p "$cache/lists/partial" "$cache/debs" "$cache/archives/partial"
mirror=$(grep -rhoE 'https?://[^ ]+/debian/?$' /etc/apt/sources.list.d/ /etc/apt/sources.list 2>/dev/null \
  | grep -v security | head -n1 || true)
mirror=${mirror:-http://deb.debian.org/debian}
# trixie for the engine (pinned versions stay on the stable mirror); bookworm's runc because
# trixie's needs glibc 2.38.
cat > "$cache/sources.list" <<LIST
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror trixie main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror bookworm main
LIST
opts=(-o Dir::Etc::sourcelist="$cache/sources.list" -o Dir::Etc::sourceparts=- \
      -o Dir::State::Lists="$cache/lists" -o Dir::Cache::archives="$cache/archives" \
      -o APT::Get::List-Cleanup=0 -o Debug::NoLocking=1)
# The mirror sometimes stalls: a few tries before giving up.
for try in 1 2 3; do apt-get "${opts[@]}" -qq update && break; [ "$try" = 3 ] && exit 1; sleep $((try * 5)); done
cd "$cache/debs"
rm -f ./*.deb
apt-get "${opts[@]}" -qq download \
  "docker.io=$DOCKER_VER+dfsg1-9+deb13u1+b1" "containerd=$CONTAINERD_VER~ds1-6+deb13u1" \
  "docker-buildx=$BUILDX_VER+ds1-3" "docker-cli=$DOCKER_VER+dfsg1-9+deb13u1+b1" runc/bookworm tini/bookworm 2>&1 \
  || apt-get "${opts[@]}" -qq download docker.io/trixie containerd/trixie docker-buildx/trixie docker-cli/trixie runc/bookworm tini/bookworm
rm -rf "$root"; mkdir -p "$root"
for d in ./*.deb; do dpkg -x "$d" "$root"; done
ls "$root/usr/sbin/dockerd" "$root/usr/bin/containerd" "$root/usr/sbin/runc" >/dev/null
touch "$stamp"
echo "fetch-engine: $(ls "$cache/debs")"
