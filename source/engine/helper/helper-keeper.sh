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

# busy=1 when a registered loop still runs: the same PID with the same start time (a PID used
# again later by another process is not taken for it); the others are forgotten.
alive() {
  busy=
  for f in "$K"/lanes/*; do
    [ -f "$f" ] || continue
    p=${f##*/}
    want=
    now=
    read -r want 2>/dev/null <"$f"
    # shellcheck disable=SC2034
    read -r _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ now _ 2>/dev/null <"/proc/$p/stat"
    if [ -n "$want" ] && [ "$now" = "$want" ]; then busy=1; else rm -f "$f"; fi
  done
}

quiet=0
while sleep 1; do
  alive
  if [ -n "$busy" ]; then
    quiet=0
    continue
  fi
  quiet=$((quiet + 1))
  [ "$quiet" -lt "$idle" ] && continue
  # Closing: a loop that registers from now on sees this and leaves (its caller starts a new
  # helper); one that registered before it is seen by the second look, and the keeper stays.
  : >"$K/closing"
  alive
  [ -z "$busy" ] && exit 0
  rm -f "$K/closing"
  quiet=0
done
