# layertop's helper loop: reads requests on stdin and answers each with its op's output (see
# helper-script.ts for the framing). The ops file is written from the text of helper-ops.sh,
# put in place of the line below the heredoc start when the program is made.
# shellcheck shell=sh
# `read -d ''` is used only where the probe below found it (busybox ash, bash), never under dash:
# shellcheck disable=SC3045
export LC_ALL=C
# What runs the helper's own tools by name where an op needs them whatever the host has (the
# opaque probe): busybox in the helper image; the host's env for a local helper (`sh -c MAIN lt
# local`, run by layertop itself as root on the engine's host). Set here, never taken from the
# environment of a helper image.
LT_LOCAL=
if [ "${1:-}" = local ]; then LT_LOCAL=1 LT_BB=/usr/bin/env; else LT_BB=/bin/busybox; fi
export LT_BB
# The read op's bytes: GNU cat maps and unmaps a 128 KiB buffer for every file it copies (1,600
# small layer-store files: 0.09 s, against 0.02 s for GNU head -c). busybox head copies a byte at a
# time where its cat does not, so head only where it is GNU's, and only for many files (it reads
# 8 KiB at a time: cat is quicker for one big file, containerd's bolt file). Set here, not taken
# from outside.
LT_HEADC=
case "$(head --version </dev/null 2>/dev/null)" in *GNU*) LT_HEADC=1 ;; esac
export LT_HEADC
# A local helper whose layertop was killed (SIGKILL) must still clean up: its replies then go to a
# closed pipe, and SIGPIPE would end this shell before the clean-up at the end of the loop; caught,
# the write fails, the next read finds no input, and the loop ends as usual. Caught, not ignored:
# the programs it starts get the default back (a walk writing to nobody ends at once). (A
# container's loop goes with its container.)
LT_GONE=
if [ -n "$LT_LOCAL" ]; then trap 'LT_GONE=1' PIPE; fi
# A local loop's scratch directory is made in the private one layertop made for it, or there is
# none (never a guessable name in a shared /tmp, sourced as root).
if [ -n "$LT_LOCAL" ]; then T=$(mktemp -d) || exit 3; else T=$(mktemp -d 2>/dev/null || echo /tmp/lt.$$); fi
mkdir -p "$T" "$T/w"
export LT_TMP="$T/w"
# Run as a kept helper's loop (`sh -c MAIN lt keep`, helper-keeper.sh): registered with the keeper
# first (its PID and start time, written whole), then it leaves at once if the keeper is closing
# (the caller then starts a new helper). The mode is an argument, not the environment: a helper
# image's own environment cannot switch it on.
LT_KEPT=
if [ "${1:-}" = keep ]; then
  lt_start=
  # shellcheck disable=SC2034
  read -r _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ _ lt_start _ </proc/$$/stat
  # The directory too (this exec may run before the keeper made it); no start time, no loop: an
  # unregistered loop would not hold the keeper.
  [ -n "$lt_start" ] && mkdir -p /tmp/lt-keep/lanes || exit 3
  echo "$lt_start" >"/tmp/lt-keep/lanes/.$$" && mv "/tmp/lt-keep/lanes/.$$" "/tmp/lt-keep/lanes/$$" || exit 3
  LT_KEPT=/tmp/lt-keep/lanes/$$
  if [ -e /tmp/lt-keep/closing ]; then rm -rf "$LT_KEPT" "$T"; exit 3; fi
fi
cat > "$T/ops.sh" <<'LTOPS'
@LT_OPS@
LTOPS
# Raw arguments need a shell whose read takes -d (busybox ash, bash); dash (a Debian helper
# image) has none: the ready line says which, and the caller sends every list the bulk way if not.
if printf 'a\000' | { IFS= read -r -d '' x && [ "$x" = a ]; } 2>/dev/null; then
  # The ops may read NUL-separated text with the builtin too (not exported: xargs' shells may differ).
  # shellcheck disable=SC2034
  LT_RAWREAD=1
  printf 'LT1 0 0 9 0\nready raw'
else
  # Not taken from the environment (a helper image's own setting): this shell has no read -d.
  # shellcheck disable=SC2034
  LT_RAWREAD=
  printf 'LT1 0 0 5 0\nready'
fi
# The ops as functions in this shell (LT_LOOP is not exported: xargs' scripts run the op).
# shellcheck disable=SC2034
LT_LOOP=1
# The ops file is written at run time from helper-ops.sh (checked on its own).
# shellcheck disable=SC1091
. "$T/ops.sh"
while IFS=' ' read -r id op tmo pid how cnt nonce dn; do
  case "$pid" in ''|*[!0-9]*) pid=0 ;; esac
  case "$tmo" in ''|*[!0-9]*) tmo=60 ;; esac
  case "$cnt" in ''|*[!0-9]*) cnt=0 ;; esac
  case "$dn" in [0-8]) ;; *) dn=0 ;; esac
  if [ "$pid" = 0 ]; then R=; else R=/proc/$pid/root; fi
  # The op writes straight to this stream, ended by the request's nonce (random, never on disk:
  # no file name or content can fake the end). No reply file to size and copy: every program
  # started costs milliseconds, more than a small request's work.
  printf 'LT2 %s\n' "$id"
  # Busy (a kept helper's keeper ends a loop busy for an hour: a request that never returns must
  # not keep a privileged container for ever). Builtins only: no process per request.
  if [ -n "$LT_KEPT" ]; then printf 1 >"$LT_KEPT.b"; fi
  if [ "$how" = + ]; then
    # Small lists: the arguments follow, NUL-terminated; the op runs as a function of this shell
    # (no process to start). Its time limit is the caller's: a late reply still comes, and the
    # caller keeps this lane out of use until it does.
    # First the declared prefixes, then each argument behind its one-byte tag (see encodeRequest).
    set --
    while [ $# -lt "$dn" ]; do IFS= read -r -d '' a; set -- "$@" "$a"; done
    P0=$1 P1=$2 P2=$3 P3=$4 P4=$5 P5=$6 P6=$7 P7=$8
    set --
    while [ $# -lt "$cnt" ]; do
      IFS= read -r -d '' a
      case "$a" in
        0*) a=$P0${a#?} ;; 1*) a=$P1${a#?} ;; 2*) a=$P2${a#?} ;; 3*) a=$P3${a#?} ;; 4*) a=$P4${a#?} ;; 5*) a=$P5${a#?} ;; 6*) a=$P6${a#?} ;; 7*) a=$P7${a#?} ;;
        *) a=${a#?} ;;
      esac
      set -- "$@" "$a"
    done
    LT_PID=$pid LT_TMO=$tmo; export R LT_PID LT_TMO
    lt_op "$op" "$@" < /dev/null 2> "$T/err"
    st=$?
    # Back to / and without the files an op held open (fread's file on 3, indir's directory on 8).
    cd /
    exec 3<&- 8<&-
  elif [ "$how" = - ]; then
    # A list of lines (no argument in it is empty or holds a newline; the caller sends any other
    # list the way below): split into this shell's arguments in one step and run as a function
    # here, as a raw list is. head, xargs and a shell of their own for the ops cost about 9 ms a
    # request here, most of a small request's time under dash (a local helper); this costs a
    # subshell and head. Every list but fread's and du's (see below) goes this way or raw.
    k=$IFS; IFS=$NL; set -f
    # Split on purpose: one argument per line.
    # shellcheck disable=SC2046
    set -- $(head -c "$cnt")
    set +f; IFS=$k
    LT_PID=$pid LT_TMO=$tmo; export R LT_PID LT_TMO
    lt_op "$op" "$@" < /dev/null 2> "$T/err"
    st=$?
    cd /
    exec 3<&- 8<&-
  else
    # Big lists (and every list for a shell without read -d): copied whole, then argv by xargs.
    # head may read ahead of the count: nothing follows in the stream, as the caller sends a lane's
    # next request only after this reply.
    if [ "$cnt" -gt 0 ]; then head -c "$cnt" > "$T/args"; else : > "$T/args"; fi
    : > "$LT_TMP/st"; : > "$LT_TMP/runs"
    # busybox xargs starts a new run every 32 KiB of arguments unless -s says more (GNU: 128 KiB);
    # 256 KiB stays far below ARG_MAX (2 MiB with the usual 8 MiB stack). The caller sends at
    # most BULK_ARGS_MAX bytes, so a list is one run; the walks check it below.
    # Under timeout: fread (a FIFO swapped in for its file would hold its open for ever, so it
    # never goes the raw way either) and du (the bench's bare baseline, kept as it was measured).
    # Every other op runs the raw way or as lines (above), bounded only by the caller, as raw
    # requests always were (the README's paragraph on requests says what a stuck walk then holds).
    # timeout cost 5 ms a request here (a fork and two execs): 57 requests in a cold scan at
    # scale, a walk's four requests one after another in a warm one.
    case "$op" in
      fread:*|du) R="$R" LT_PID="$pid" LT_TMO="$tmo" timeout "$tmo" xargs -0 -s 262144 sh "$T/ops.sh" "$op" < "$T/args" 2> "$T/err" ;;
      *) R="$R" LT_PID="$pid" LT_TMO="$tmo" xargs -0 -s 262144 sh "$T/ops.sh" "$op" < "$T/args" 2> "$T/err" ;;
    esac
    st=$?
    if [ "$st" = 123 ] && [ -s "$LT_TMP/st" ]; then read -r st < "$LT_TMP/st"; fi
    # A walk split over several runs would print several status sections: never parse that.
    case "$op" in
      measure*|gmeasure*|gtrees|probes|gopaque)
        r=; [ ! -s "$LT_TMP/runs" ] || read -r r < "$LT_TMP/runs"
        if [ "$cnt" -gt 0 ] && [ "$r" != r ]; then
          echo "the argument list reached the op in $(wc -c < "$LT_TMP/runs") runs" >> "$T/err"; st=98
        fi ;;
    esac
    : > "$T/args"
  fi
  n=0
  # Split on purpose: wc may pad its count with blanks.
  # shellcheck disable=SC2046
  if [ -s "$T/err" ]; then set -- $(wc -c < "$T/err"); n=$1; fi
  printf '%s %s %s\n' "$nonce" "$st" "$n"
  if [ -n "$LT_KEPT" ]; then : >"$LT_KEPT.b"; fi
  # Emptied at once: the helper's own writable layer is on the disk layertop measures.
  if [ "$n" != 0 ]; then cat "$T/err"; : > "$T/err"; fi
  # A local loop whose reply went to nobody (layertop gone): no more requests are coming.
  [ -z "$LT_GONE" ] || break
done
[ -z "$LT_KEPT" ] || rm -f "$LT_KEPT" "$LT_KEPT.b"
rm -rf "$T"
# A local helper's lanes share the directory layertop made for them: the last to leave removes
# it (layertop does too, unless it was killed first).
if [ -n "$LT_LOCAL" ]; then rmdir "${TMPDIR:-/nonexistent}" 2>/dev/null; fi
