#!/usr/bin/env bash
# Fetches a pinned Docker engine from Debian's archive into .cache/engine/<set>/root, without
# touching the system's apt state (private sources list and lists dir).
#   scripts/fetch-engine.sh [stable|sid]        (default: $LAYERTOP_ENGINE_SET, else stable)
# The sets (issue 15: users run both):
#   stable  Debian trixie: Docker 26.1.5, containerd 1.7.24, buildx 0.13.1
#   sid     Debian sid:    Docker 28.5.2, containerd 2.1.9, buildx 0.29.1
# runc and tini come from bookworm in both: trixie's and sid's runc need glibc 2.38, this machine
# has 2.36. Why Debian packages: they are the only engine download that works on these machines.
# sid moves: when its pinned versions have left the mirror, its current ones are taken and named.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
set_name=${1:-${LAYERTOP_ENGINE_SET:-stable}}
case "$set_name" in
  stable)
    suite=trixie
    pins=("docker.io=26.1.5+dfsg1-9+deb13u1+b1" "containerd=1.7.24~ds1-6+deb13u1" "docker-buildx=0.13.1+ds1-3"
          "docker-cli=26.1.5+dfsg1-9+deb13u1+b1") ;;
  sid)
    suite=sid
    pins=("docker.io=28.5.2+dfsg4-5" "containerd=2.1.9+ds1-5" "docker-buildx=0.29.1+ds1-4" "docker-cli=28.5.2+dfsg4-5") ;;
  *) echo "fetch-engine: unknown engine set '$set_name' (stable, sid)" >&2; exit 2 ;;
esac
cache="$here/.cache/engine/$set_name"
root="$cache/root"
stamp="$cache/.stamp-$(printf '%s' "${pins[*]}" | md5sum | cut -c1-12)"
[ -f "$stamp" ] && [ -x "$root/usr/sbin/dockerd" ] && exit 0

[ "$(id -u)" = 0 ] || { echo "fetch-engine: must run as root (apt-get, dpkg -x)" >&2; exit 1; }
mkdir -p "$cache/lists/partial" "$cache/debs" "$cache/archives/partial"
mirror=$(grep -rhoE 'https?://[^ ]+/debian/?$' /etc/apt/sources.list.d/ /etc/apt/sources.list 2>/dev/null \
  | grep -v security | head -n1 || true)
mirror=${mirror:-http://deb.debian.org/debian}
cat > "$cache/sources.list" <<LIST
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror bookworm main
LIST
opts=(-o Dir::Etc::sourcelist="$cache/sources.list" -o Dir::Etc::sourceparts=- \
      -o Dir::State::Lists="$cache/lists" -o Dir::Cache::archives="$cache/archives" \
      -o APT::Get::List-Cleanup=0 -o Debug::NoLocking=1)
# The mirror sometimes stalls: a few tries before giving up.
for try in 1 2 3; do apt-get "${opts[@]}" -qq update && break; [ "$try" = 3 ] && exit 1; sleep $((try * 5)); done
cd "$cache/debs"
rm -f ./*.deb
apt-get "${opts[@]}" -qq download "${pins[@]}" runc/bookworm tini/bookworm 2>/dev/null \
  || apt-get "${opts[@]}" -qq download "docker.io/$suite" "containerd/$suite" "docker-buildx/$suite" \
       "docker-cli/$suite" runc/bookworm tini/bookworm 2>/dev/null
rm -rf "$root"; mkdir -p "$root"
for d in ./*.deb; do dpkg -x "$d" "$root"; done
ls "$root/usr/sbin/dockerd" "$root/usr/bin/containerd" "$root/usr/sbin/runc" >/dev/null
touch "$stamp"
echo "fetch-engine: $set_name: $(ls "$cache/debs" | tr '\n' ' ')"
