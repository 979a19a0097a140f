// The helper's shell program. It is constant text: requests carry their arguments as NUL-separated
// data after the request line (read with `read -d ''`, or copied by `head -c` for `xargs -0`), so
// no path is ever parsed as shell code.
//
// Host files are reached through /proc/<dockerd pid>/root rather than by running host programs
// after `nsenter -m`: /proc/<pid>/root is the same mount namespace, and the helper's own busybox
// then does the work, so one set of tools and one parser serve every host (GNU Debian, Docker
// Desktop's VM, Alpine). The ops use only options that GNU and busybox share, so a helper image
// with GNU tools (--helper-image) works too; the tests run both.
//
// Request:       <id> <op> <timeout-seconds> <pid|0> + <count> <nonce>\n<count NUL-terminated args>
//           or   <id> <op> <timeout-seconds> <pid|0> = <bytes> <nonce>\n<NUL-separated args>
// Reply:         LT2 <id>\n<stdout as the op writes it><nonce> <exit status> <stderr bytes>\n<stderr>
// (the ready line alone is LT1 <id> <status> <stdout bytes> <stderr bytes>\n<stdout><stderr>)

export const HELPER_OPS = String.raw`
F='%i %h %s %b %f'
NL='
'
# The engine host's own find, by full path (busybox would run its own applet for a bare name).
hostfind() {
  local f
  for f in /usr/bin/find /bin/find /usr/local/bin/find; do
    if [ -x "$R$f" ]; then nsenter -t "$LT_PID" -m "$f" "$@"; return; fi
  done
  echo "no find on the engine host" >&2; return 127
}
# Per run of an op (xargs splits long lists): the number of paths; per path "+" or "-"; "=";
# per "+" path one stat line in the given format.
statpaths() {
  local fmt n p
  fmt=$1; shift
  cd "$R/" || return 3
  n=$#; echo "$n"
  for p in "$@"; do
    if [ -e ".$p" ]; then echo +; set -- "$@" ".$p"; else echo -; fi
  done
  shift "$n"
  echo =
  [ $# -gt 0 ] && stat -c "$fmt" "$@"
  :
}
# The entries of the working directory as "./name" NUL-terminated, in one write (each write is a
# frame for the engine to pass on). The three patterns skip only . and ..
lsnames() {
  local e
  set --
  for e in * .[!.]* ..?*; do
    if [ -e "$e" ] || [ -L "$e" ]; then set -- "$@" "./$e"; fi
  done
  [ $# -eq 0 ] || printf '%s\000' "$@"
}
# The ops: defined once and run as a function of the loop's own shell (no process to start, no
# script to parse: a fork alone costs 2 ms here), or run as a script by xargs for big argument
# lists. So an op never exits (it returns), keeps its variables local, and may leave the working
# directory anywhere (the loop goes back to /).
lt_op() {
local op sub W d c n k p f e G
op=$1; shift
case "$op" in
  ping) echo pong ;;
  procs)
    for p in /proc/[0-9]*; do
      c=$(cat "$p/comm" 2>/dev/null) || continue
      case "$c" in
        dockerd|containerd) printf '%s %s ' "$(basename "$p")" "$c"; tr '\000\n' '\001\002' < "$p/cmdline"; echo ;;
      esac
    done ;;
  access) for p in "$@"; do if [ -r "$R$p" ]; then echo 1; else echo 0; fi; done ;;
  measure|measure:*)
    # Few processes per request: process start-up costs more than a small walk. Names are
    # walked relative to each root (cd first): resolving long names, or every name through
    # /proc/<pid>/root, costs more than the walk itself. Per requested directory: "C +" or "C ?" (and
    # "T +"/"T ?" for the top when a content subdirectory is named); then, after "=C", each
    # existing root's "C <dev> <ino>" and the entries of all content roots in order; the same for
    # the tops (content subdirectory pruned) after "=T". A root's own line marks where it starts.
    sub=; case "$op" in measure:*) sub=$(echo "$op" | cut -d: -f2) ;; esac
    case "$sub" in *[!a-z]*) echo "bad sub" >&2; return 2 ;; esac
    cd "$R/" || return 3
    # The lane's own scratch directory: no mktemp, no rm, fewer processes per request.
    W=$LT_TMP; : > "$W/c"; : > "$W/t"; : > "$W/e"
    for d in "$@"; do
      d=".$d"
      if [ -n "$sub" ]; then c="$d/$sub"; else c="$d"; fi
      if [ -d "$c" ]; then printf '%s\000' "$c" >> "$W/c"; echo "C +"; else echo "C ?"; fi
      if [ -n "$sub" ]; then
        if [ -d "$d" ]; then printf '%s\000' "$d" >> "$W/t"; echo "T +"; else echo "T ?"; fi
      fi
    done
    echo '=C'
    xargs -0 -r stat -c 'C %d %i' < "$W/c"
    # cd into each root (the builtin: no subshell): short relative names make each lstat cheaper.
    for d in "$@"; do
      if [ -n "$sub" ]; then c="$R/.$d/$sub"; else c="$R/.$d"; fi
      if cd "$c" 2>/dev/null; then find . -xdev -exec stat -c "%d $F" {} + 2>>"$W/e"; fi
    done
    if [ -n "$sub" ]; then
      echo '=T'
      cd "$R/" || return 3
      xargs -0 -r stat -c 'T %d %i' < "$W/t"
      for d in "$@"; do
        if cd "$R/.$d" 2>/dev/null; then find . -xdev -path "./$sub" -prune -o -exec stat -c "%d $F" {} + 2>>"$W/e"; fi
      done
    fi
    [ -s "$W/e" ] && echo '!'
    : ;;
  read)
    # Per run of the op (xargs splits long lists): the number of paths; per path "+" or "-"; "=";
    # the sizes of the readable ones; "="; their bytes back to back; "="; the sizes again. The
    # reader refuses a run whose two size lists differ (a file that changed while it was read).
    cd "$R/" || return 3
    n=$#; echo "$n"
    for p in "$@"; do
      if [ -f ".$p" ] && [ -r ".$p" ]; then echo +; set -- "$@" ".$p"; else echo -; fi
    done
    shift "$n"
    echo =
    [ $# -gt 0 ] && stat -c %s "$@"
    echo =
    [ $# -gt 0 ] && cat "$@"
    echo =
    [ $# -gt 0 ] && stat -c %s "$@"
    : ;;
  stat)
    # Per "+" path: "<dev> <ino> <nlink> <size> <blocks> <mode> <ctime>", the change time as
    # "YYYY-MM-DD hh:mm:ss.nnnnnnnnn +zzzz" (to the nanosecond; %Z would give whole seconds).
    statpaths "%d $F %z" "$@" ;;
  liststat)
    # One request for small things: the stamp of one file ("<dev> <ino> <size> <ctime as in stat>" or "-",
    # one line), then per directory named after it its entries as "./name" NUL-terminated and an
    # empty name; builtins only (a glob reads the directory: no find to start).
    [ $# -gt 0 ] || return 2
    f=$1; shift
    if [ -e "$R$f" ]; then stat -c '%d %i %s %z' "$R$f"; else echo -; fi
    for d in "$@"; do
      if cd "$R$d" 2>/dev/null; then lsnames; fi
      printf '\000\000'
    done ;;
  du)
    # One du per directory (each its own total, hard links once within it), nothing else forked:
    # the bench's baseline is this bare loop, so it must not carry overhead of its own.
    for d in "$@"; do if cd "$R$d" 2>/dev/null; then du -sxk .; else echo -; fi; done ;;
  gprobe)
    # Does the engine host's own find have GNU -printf? Then one host process walks a tree and
    # prints every figure (one lstat per entry), instead of busybox find + stat (two per entry).
    [ -n "$LT_PID" ] && [ "$LT_PID" != 0 ] || return 5
    hostfind / -maxdepth 0 -printf '%d %D %i %n %s %b %y %m\000%P\000%l\000' ;;
  gmeasure|gmeasure:*)
    # The measure op on the host's GNU find. Arguments: directories with the content subdirectory
    # named by the op, then "--", then paths measured whole (directories or files), then
    # "--each" and directories whose every entry is measured whole. Per argument
    # "S <content +|?> <top +|?>" or "W +|?", or "E +|?" and "e <name>" per entry; "=G"; then ONE
    # walk over every present root (entries of "--each" directories last), a line
    # "<depth> <size> <blocks> <type>" per entry, short because a big layer has many: a
    # non-directory with more than one link adds " <dev>:<ino>" (to count it once); a directory adds
    # " <dev>" (one on another file system is a mount point: -xdev lists it without entering, du -x
    # does not count it, nor does the reader), and " C <dev>" when named like the content
    # subdirectory (honoured at depth 1 of an S root only, where it is that subdirectory). Depth 0
    # starts the next root. No names travel. With "--list FILE PATTERN DIR...", first of all each
    # DIR's entries as in liststat (names NUL-terminated, then two NULs), and FILE (PATTERN is its
    # path with glob characters escaped) is stamped in the walk: a warm scan's storage listing and
    # BuildKit's stamp ride along with its walk instead of costing a request of their own.
    case "$op" in gmeasure) sub= ;; gmeasure:diff) sub=diff ;; gmeasure:fs) sub=fs ;; *) echo "bad sub" >&2; return 2 ;; esac
    [ -n "$LT_PID" ] && [ "$LT_PID" != 0 ] || return 5
    # The status lines go out in one write: each write is a frame for the engine to pass on.
    n=$#; k=S; [ -n "$sub" ] || k=W; c= f= p=
    for d in "$@"; do
      if [ "$d" = -- ]; then k=W; continue; fi
      if [ "$d" = --each ]; then k=E; continue; fi
      if [ "$d" = --list ]; then k=F; continue; fi
      case "$d" in /*) ;; *) echo "not absolute" >&2; return 2 ;; esac
      if [ $k = F ]; then f=$d; k=P
      elif [ $k = P ]; then p=$d; k=L
      elif [ $k = L ]; then
        # Listed now, before anything else is printed (see the op's comment).
        if cd "$R$d" 2>/dev/null; then lsnames; fi
        printf '\000\000'
      elif [ $k = E ]; then
        # Every entry of the directory, each measured whole: no argument per entry to read (the
        # loop reads arguments a byte per system call). Names outside Docker's own alphabet
        # for IDs and volume names are left out, so a name is always one safe word.
        if cd "$R$d" 2>/dev/null; then
          c=$c"E +$NL"
          for e in *; do
            case "$e" in *[!A-Za-z0-9_.-]*) continue ;; esac
            [ -e "$e" ] || continue
            c=$c"e $e$NL"; set -- "$@" "$d/$e"
          done
        else c=$c"E ?$NL"; fi
      elif [ $k = W ]; then
        if [ -e "$R$d" ]; then c=$c"W +$NL"; set -- "$@" "$d"; else c=$c"W ?$NL"; fi
      elif [ -d "$R$d" ]; then
        if [ -d "$R$d/$sub" ]; then c=$c"S + +$NL"; else c=$c"S ? +$NL"; fi
        set -- "$@" "$d"
      else c=$c"S ? ?$NL"; fi
    done
    shift "$n"
    printf '%s=G\n' "$c"
    # The stamped file, if there, is walked last (beyond the requested roots): its line, and its
    # line wherever a root's walk meets it, carries " T <dev> <ino> <change time>".
    if [ -n "$f" ] && [ -e "$R$f" ]; then set -- "$@" "$f"; fi
    [ $# -gt 0 ] || return 0
    : > "$LT_TMP/e"
    G='%d %s %b %y'
    # Without a stamped file the pattern is empty, which no path matches.
    if [ -n "$sub" ]; then
      hostfind "$@" -xdev \( -path "$p" -printf "$G T %D %i %C@\n" \) -o \( -type d -name "$sub" -printf "$G C %D\n" \) \
        -o -type d -printf "$G %D\n" -o -links 1 -printf "$G\n" -o -printf "$G %D:%i\n" 2>"$LT_TMP/e"
    else
      hostfind "$@" -xdev \( -path "$p" -printf "$G T %D %i %C@\n" \) -o -type d -printf "$G %D\n" \
        -o -links 1 -printf "$G\n" -o -printf "$G %D:%i\n" 2>"$LT_TMP/e"
    fi
    [ -s "$LT_TMP/e" ] && echo '!'
    : ;;
  gnames)
    # The names op on the host's GNU find: one process, no stat of anything.
    [ -n "$LT_PID" ] && [ "$LT_PID" != 0 ] || return 5
    case "$1" in /*) ;; *) return 2 ;; esac
    [ -d "$R$1" ] || return 3
    hostfind "$1" -mindepth 1 -printf './%P\000' ;;
  gtree)
    # The tree op on the host's GNU find, one walk, one process: per entry
    # "<dev> <ino> <nlink> <size> <blocks> <perm octal> <type letter>" NUL name NUL link-target NUL.
    # NUL cannot occur in a name or a target, so every field is cut exactly. Device numbers are not
    # printable by find: the reader asks for those of device entries (whiteouts) with the rdev op.
    [ -n "$LT_PID" ] && [ "$LT_PID" != 0 ] || return 5
    case "$1" in /*) ;; *) return 2 ;; esac
    [ -d "$R$1" ] || return 3
    hostfind "$1" -mindepth 1 -printf '%D %i %n %s %b %m %y\000%P\000%l\000' ;;
  rdev)
    # Per "+" path: "<major hex> <minor hex>".
    statpaths '%t %T' "$@" ;;
  names)
    # Every entry below one directory, as NUL-terminated "./relative" names: bytes, lossless.
    cd "$R$1" 2>/dev/null || return 3
    find . -mindepth 1 -print0 ;;
  tree)
    # Everything below one directory from ONE walk: the names ("./rel" + NUL each), an empty name,
    # then per entry in the same order "<dev> <ino> <nlink> <size> <blocks> <mode hex>
    # <rdev major hex> <rdev minor hex> %N", where %N is 'NAME' or 'NAME' -> 'TARGET' (busybox) or
    # NAME or NAME -> TARGET (GNU with literal quoting). The reader knows each NAME and each
    # TARGET's length (a link's size), so no byte of a name can confuse it; an entry that vanished
    # between the walk and its stat leaves the two out of step, and the reader asks again.
    cd "$R$1" 2>/dev/null || return 3
    W=$LT_TMP
    find . -mindepth 1 -print0 | tee "$W/names" | QUOTING_STYLE=literal xargs -0 -r stat -c '%d %i %h %s %b %f %t %T %N' > "$W/stats"
    cat "$W/names"; printf '\000'; cat "$W/stats"
    rm -f "$W/names" "$W/stats" ;;
  head:*)
    # The first N bytes of one file, never more: previews never read a whole huge file.
    n=$(echo "$op" | cut -d: -f2); case "$n" in ''|*[!0-9]*) echo "bad size" >&2; return 2 ;; esac
    cd "$R/" || return 3
    [ -f ".$1" ] || return 4
    head -c "$n" ".$1" ;;
  probe:*)
    # Opaque directories without getfattr (busybox has none): overlay the layer's directory on a
    # scratch tree holding a marker in each candidate directory; where the kernel hides a marker,
    # that directory is opaque (trusted.overlay.opaque). overlayfs takes lower directories only
    # from its own mount namespace, so this runs in a private copy of the engine's (nsenter, then
    # unshare with private propagation: nothing is mounted on the host, all goes with the copy),
    # with the helper's own busybox (reached through /proc/<helper pid>/root). Prints 1 (opaque)
    # or 0 per candidate.
    d=$(echo "$op" | cut -d: -f2 | base64 -d)
    B=/proc/$$/root/bin/busybox
    [ -n "$LT_PID" ] && [ "$LT_PID" != 0 ] || return 5
    nsenter -t "$LT_PID" -m "$B" unshare -m --propagation private "$B" sh -c '
      d=$1; shift
      S=
      for s in /mnt /media /srv /opt /tmp /run; do
        case "$d/" in "$s"/*) continue ;; esac
        [ -d "$s" ] && { S=$s; break; }
      done
      [ -n "$S" ] || exit 4
      mount -t tmpfs layertop-probe "$S" || exit 4
      mkdir -p "$S/p" "$S/m"
      cd "$S/p" && mkdir -p -- "$@" || exit 4
      for c in "$@"; do : > "$c/.layertop-probe"; done
      cd /
      mount -t overlay layertop-probe -o "ro,lowerdir=$d:$S/p" "$S/m" || exit 4
      for c in "$@"; do if [ -e "$S/m/$c/.layertop-probe" ]; then echo 0; else echo 1; fi; done
    ' sh "$d" "$@" ;;
  *) echo "unknown op $op" >&2; return 2 ;;
esac
}
[ -n "$LT_LOOP" ] || lt_op "$@"
`;

// Shell text the template below cannot spell itself: "\${" would open a JavaScript substitution.
const REST = '$' + '{a#?}'; // the argument without its tag byte
const PREFIX_CASES = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => `${i}*) a=$P${i}${REST} ;;`).join(' ');

export const HELPER_MAIN = String.raw`
export LC_ALL=C
T=$(mktemp -d 2>/dev/null || echo /tmp/lt.$$); mkdir -p "$T" "$T/w"
export LT_TMP="$T/w"
cat > "$T/ops.sh" <<'LTOPS'
${HELPER_OPS}
LTOPS
# Raw arguments need a shell whose read takes -d (busybox ash, bash); dash (a Debian helper
# image) has none: the ready line says which, and the caller sends every list the bulk way if not.
if printf 'a\000' | { IFS= read -r -d '' x && [ "$x" = a ]; } 2>/dev/null; then
  printf 'LT1 0 0 9 0\nready raw'
else
  printf 'LT1 0 0 5 0\nready'
fi
# The ops as functions in this shell (LT_LOOP is not exported: xargs' scripts run the op).
LT_LOOP=1
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
        ${PREFIX_CASES}
        *) a=${REST} ;;
      esac
      set -- "$@" "$a"
    done
    LT_PID=$pid; export R LT_PID
    lt_op "$op" "$@" < /dev/null 2> "$T/err"
    st=$?
    cd /
  else
    # Big lists (and every list for a shell without read -d): copied whole, then argv by xargs.
    # head may read ahead of the count: nothing follows in the stream, as the caller sends a lane's
    # next request only after this reply.
    if [ "$cnt" -gt 0 ]; then head -c "$cnt" > "$T/args"; else : > "$T/args"; fi
    R="$R" LT_PID="$pid" timeout "$tmo" xargs -0 -n 512 sh "$T/ops.sh" "$op" < "$T/args" 2> "$T/err"
    st=$?
    : > "$T/args"
  fi
  n=0
  if [ -s "$T/err" ]; then set -- $(wc -c < "$T/err"); n=$1; fi
  printf '%s %s %s\n' "$nonce" "$st" "$n"
  # Emptied at once: the helper's own writable layer is on the disk layertop measures.
  if [ "$n" != 0 ]; then cat "$T/err"; : > "$T/err"; fi
done
rm -rf "$T"
`;
