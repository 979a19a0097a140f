# layertop's kept helper (--keep-helper SECONDS): the container's main process when the helper is
# to outlive the run that started it, so that the next run (a scan after a scan, a monitor's
# scrape every 15 s) joins it by an exec instead of starting a container (0.4 s of every run at
# scale). It holds no stream: every request loop is an exec of helper-main.sh, which registers
# itself here. It exits (and AutoRemove deletes the container) once no loop has run for SECONDS.
# shellcheck shell=sh
K=/tmp/lt-keep
mkdir -p "$K/lanes"
idle=${1:-60}
case "$idle" in '' | *[!0-9]*) idle=60 ;; esac
# Before any loop registered (its creator's exec may come late on a slow engine), at least 30 s.
first=30
[ "$idle" -gt "$first" ] && first=$idle

# busy=1 when a registered loop still runs: the same PID with the same start time (a PID used
# again later by another process is not taken for it); the others are forgotten.
alive() {
  busy=
  for f in "$K"/lanes/*; do
    p=${f##*/}
    case "$p" in '' | *[!0-9]*) continue ;; esac
    [ -f "$f" ] || continue
    want=
    now=
    read -r want 2>/dev/null <"$f"
    # shellcheck disable=SC2034
    read -r _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ now _ 2>/dev/null <"/proc/$p/stat"
    if [ -n "$want" ] && [ "$now" = "$want" ]; then
      busy=1
      seen=1
    else
      rm -f "$f" "$f.b"
    fi
  done
}

# A loop busy with one request for an hour is stuck (a request that never returns, say an open
# that blocks): ended, so that it cannot keep this privileged container for ever. Checked once a
# minute; its children, if any, end with the container.
stuck() {
  # The names are the loops' own (digits and ".b"): nothing to split wrongly.
  find "$K/lanes" -name '*.b' -size +0 -mmin +60 2>/dev/null | while read -r b; do
    p=${b##*/}
    p=${p%.b}
    case "$p" in '' | *[!0-9]*) continue ;; esac
    want=
    now=
    read -r want 2>/dev/null <"$K/lanes/$p"
    # shellcheck disable=SC2034
    read -r _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ now _ 2>/dev/null <"/proc/$p/stat"
    if [ -n "$want" ] && [ "$now" = "$want" ]; then kill -9 "$p" 2>/dev/null; fi
  done
}

seen=
quiet=0
ticks=0
while sleep 1; do
  ticks=$((ticks + 1))
  [ $((ticks % 60)) = 0 ] && stuck
  alive
  if [ -n "$busy" ]; then
    quiet=0
    continue
  fi
  quiet=$((quiet + 1))
  if [ -n "$seen" ]; then limit=$idle; else limit=$first; fi
  [ "$quiet" -lt "$limit" ] && continue
  # Closing: a loop that registers from now on sees this and leaves (its caller starts a new
  # helper); one that registered before it is seen by the second look, and the keeper stays.
  : >"$K/closing"
  alive
  [ -z "$busy" ] && exit 0
  rm -f "$K/closing"
  quiet=0
done
