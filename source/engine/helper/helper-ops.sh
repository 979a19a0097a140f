# layertop's helper ops: sourced by the helper's loop (helper-main.sh) and run by xargs for long
# lists. Bundled as text (scripts/build.mjs) and checked by shellcheck in npm test. The ops use
# only what busybox ash and dash (with GNU tools) both have; tested under both without Docker in
# test/unit/helper-ops.test.ts.
# shellcheck shell=sh
# `local` is not POSIX, but busybox ash, dash and bash all have it:
# shellcheck disable=SC3043
F='%i %h %s %b %f'
NL='
'
# The engine host's own program $1 (find, grep), by full path (busybox would run its own applet
# for a bare name), in the engine's mount namespace.
hosttool() {
  local f t
  t=$1
  shift
  for f in "/usr/bin/$t" "/bin/$t" "/usr/local/bin/$t"; do
    if [ -x "$R$f" ]; then nsenter -t "$LT_PID" -m "$f" "$@"; return; fi
  done
  echo "no $t on the engine host" >&2; return 127
}
hostfind() { hosttool find "$@"; }
hostgrep() { hosttool grep "$@"; }
# Per run of an op (xargs splits long lists): the number of paths; per path "+" or "-"; "=";
# per "+" path one stat line in the given format. Trusted paths only (see the stat op); one with a
# "." or ".." component counts as missing, so a malformed ID cannot climb anywhere.
statpaths() {
  local fmt n p
  fmt=$1; shift
  cd "$R/" || return 3
  # The present paths go to a file, then to stat in one xargs run (see gmeasure on lists). The
  # loop's output goes to files opened once, then out in one write (see the read op).
  {
    echo "$#"
    for p in "$@"; do
      case "$p/" in /*/../*|/*/./*|/../*|/./*) echo -; continue ;; esac
      if [ -e ".$p" ]; then echo +; printf '%s\000' ".$p" >&4; else echo -; fi
    done
    echo '='
  } > "$LT_TMP/s" 4> "$LT_TMP/p"
  cat "$LT_TMP/s"
  xargs -0 -r -s 262144 stat -c "$fmt" < "$LT_TMP/p"
  :
}
# procs: does process directory $1 run with real UID 0 (its status file's "Uid:" line)?
uid0() {
  local k v
  while read -r k v _; do
    [ "$k" = Uid: ] && { [ "$v" = 0 ]; return; }
  done < "$1/status"
  return 1
}
# procs: is process directory $1 in a container (a container ID, 64 hex digits, in its cgroup)?
# An unreadable cgroup file is not a container's (as grep's failure was).
HEX64='[0-9a-f]'; HEX64=$HEX64$HEX64$HEX64$HEX64; HEX64=$HEX64$HEX64$HEX64$HEX64; HEX64=$HEX64$HEX64$HEX64$HEX64
incontainer() {
  local l
  while IFS= read -r l || [ -n "$l" ]; do
    case "$l" in *$HEX64*) return 0 ;; esac
  done < "$1/cgroup"
  return 1
}
# procs: the arguments of process directory $1, each NUL as \001 and each newline as \002 (the
# line stays one line). With the loop shell's builtin `read -d` (LT_RAWREAD: busybox ash, bash)
# no process starts: tr cost 10-30 ms per candidate while the engine was still busy starting the
# helper. dash has no `read -d`, and an argument holding a newline would need a substitution dash
# lacks: both take tr.
cmdline() {
  local a='' f="$1/cmdline"
  if [ -n "$LT_RAWREAD" ]; then
    set --
    # shellcheck disable=SC3045
    while IFS= read -r -d '' a; do
      case "$a" in *"$NL"*) break ;; esac
      set -- "$@" "$a"
    done < "$f"
    # What follows the last NUL (a process that rewrote its arguments) as tr prints it; an
    # argument with a newline stopped the loop with it in $a: tr then.
    case "$a" in *"$NL"*) ;; *)
      [ $# -eq 0 ] || printf '%s\001' "$@"
      printf '%s' "$a"
      return ;;
    esac
  fi
  tr '\000\n' '\001\002' < "$f"
}
# The entries of the working directory as "./name" NUL-terminated, in one write (each write is a
# frame for the engine to pass on). The three patterns skip only . and ..
lsnames() {
  # One glob expansion per pattern (building the list name by name copies it each time: 3,204
  # names took 3.9 s). A pattern that matched nothing stays as itself: the only word, absent.
  set -- *; [ -e "$1" ] || [ -L "$1" ] || shift
  [ $# -eq 0 ] || printf './%s\000' "$@"
  set -- .[!.]*; [ -e "$1" ] || [ -L "$1" ] || shift
  [ $# -eq 0 ] || printf './%s\000' "$@"
  set -- ..?*; [ -e "$1" ] || [ -L "$1" ] || shift
  [ $# -eq 0 ] || printf './%s\000' "$@"
}
# Safety rule: no op follows a symlink out of a layer or a container's root. Names below such a
# root are the container's (or the image's): a running container can swap any of them for a
# symlink at any moment, and a symlink read through /proc/<pid>/root resolves against the
# helper's root (absolute targets) or climbs out of the layer to the host's root (".."). So an op
# that reaches a path INSIDE a root takes the root (trusted: built by layertop from the engine's
# metadata) and the relative path (untrusted) apart, and resolves the path here.
#
# indir ROOT REL: the working directory becomes ROOT's directory REL ("" for ROOT itself), entered
# one component at a time. Each component must be a real directory by lstat before the cd (not a
# symlink, not "." or ".."), and after the cd the directory entered must have as its parent ".."
# the very directory it was entered from (held open on fd 8 and compared by device and inode,
# test -ef): a symlink swapped in between the test and the cd leads elsewhere and is caught,
# whatever the timing. Builtins only (no process per component). Returns 4: a component is
# missing; 6: a component is not a real directory inside ROOT; 3: ROOT itself is gone.
indir() {
  local rest c
  case "$1" in /*) ;; *) return 2 ;; esac
  case "/$1/" in */../*|*/./*) return 2 ;; esac
  cd -P -- "$R$1" 2>/dev/null || return 3
  # "command": a failed redirection of the special builtin exec would end the shell (the loop).
  command exec 8<. || return 3
  rest=$2
  while [ -n "$rest" ]; do
    c=${rest%%/*}
    if [ "$c" = "$rest" ]; then rest=; else rest=${rest#*/}; [ -n "$rest" ] || return 6; fi
    case "$c" in ''|.|..) return 6 ;; esac
    if [ -L "$c" ]; then return 6; fi
    if [ ! -d "$c" ]; then
      if [ -e "$c" ]; then return 6; fi
      return 4
    fi
    # "./": a component named "-" is not `cd -` (the previous directory), nor looked up in CDPATH.
    cd -P -- "./$c" 2>/dev/null || return 6
    # -ef: not POSIX, in busybox's and dash's test alike.
    # shellcheck disable=SC3013
    [ .. -ef "/proc/$$/fd/8" ] || return 6
    command exec 8<. || return 6
  done
}
# infile ROOT REL: REL's last component, a regular file inside ROOT, open on fd 3, with
# "<dev> <ino> <mode hex> <size>" of what was opened in ID. The name is opened (that follows a
# symlink, as any shell redirection does), then the open file's (dev, inode, type) must equal the
# name's own by lstat and be a regular file: a symlink, or one swapped in while the name was
# opened, is refused (7) and never read. Callers show a symlink's target from the listing instead.
infile() {
  local p a
  case "$2" in */*) p=${2%/*} ;; *) p= ;; esac
  indir "$1" "$p" || return
  L=${2##*/}
  case "$L" in ''|.|..) return 6 ;; esac
  if [ -L "$L" ]; then return 7; fi
  [ -e "$L" ] || return 4
  [ -f "$L" ] || return 7
  command exec 3<"$L" || return 7
  # Two lines: the name's lstat, then the open file's (through its /proc fd link, followed).
  a=$(stat -c '%d %i %f' -- "./$L"; stat -L -c '%d %i %f %s' "/proc/$$/fd/3") || return 7
  ID=${a#*"$NL"}
  [ "${a%%"$NL"*}" = "${ID% *}" ] || return 7
  case "${ID% *}" in *" "8???) ;; *) return 7 ;; esac
}
# liveview ROOT: ROOT bound over itself read-only, nodev (no device node opens) and nosymfollow
# (no symlink is followed), in the caller's own private mount namespace (fread's ":live"), with
# "$B"'s mount. A mount program or kernel that does not know nosymfollow can still exit 0 (busybox
# before 1.33 and util-linux before 2.36 pass the word on as data, a kernel before 5.10 drops the
# bit): so the view's options are read back from the mount table, whose last line is the mount
# just made. 3: ROOT is gone; 9: that view cannot be made here.
liveview() {
  local l
  [ -d "$1" ] || return 3
  # Both paths to the remount: busybox's one-path form looks the path up in /proc/mounts.
  if "$B" mount --bind "$1" "$1" && "$B" mount -o remount,bind,ro,nodev,nosuid,nosymfollow "$1" "$1"; then
    l=$(tail -n 1 /proc/self/mountinfo) || l=
    # Fields: ID, parent, device, root, mount point, options (spaces in paths are escaped).
    set -f
    # shellcheck disable=SC2086
    set -- "$1" $l
    set +f
    if [ "$6" = "$1" ]; then
      case ",$7," in *,ro,*) case ",$7," in *,nodev,*) case ",$7," in *,nosymfollow,*) return 0 ;; esac ;; esac ;; esac
    fi
  fi
  echo "this engine host cannot show a running container's files without following symlinks (it needs Linux 5.10 and a mount that knows nosymfollow)" >&2
  return 9
}
# inlive OP ROOT ARG...: lt_op OP ROOT ARG... with ROOT seen through liveview, in a private mount
# namespace of the engine's (nsenter, then unshare with private propagation: nothing is mounted
# on the host, all goes with the copy), as the probes op does; the helper's own tools first on
# PATH, as in the loop (a helper image without busybox: its own, else the engine host's, by env).
# The helper's root is held open on fd 7 and reached through it: a path through /proc/<pid>/root
# would be looked up anew at each use, and that PID could be another process's by then. Bounded by
# the request's time limit (LT_TMO): a name swapped for a FIFO blocks its open, and the copy of the
# engine's mount table this namespace holds must not outlive the request (leftovers counts every
# process's mounts).
inlive() {
  local B
  command exec 7</proc/$$/root || return 9
  B=/proc/self/fd/7${LT_BB:-/bin/busybox}
  [ -x "$B" ] || B=/proc/self/fd/7/usr/bin/env
  set -- "/proc/self/fd/7${LT_TMP%/w}/ops.sh" "/proc/self/fd/7$LT_TMP" "$B" "$@"
  # shellcheck disable=SC2016
  set -- "$B" unshare -m --propagation private "$B" sh -c '
    O=$1; LT_TMP=$2; B=$3; PATH=/proc/self/fd/7/bin:$PATH; shift 3
    R=; LT_LOOP=1; . "$O"
    liveview "$2" || exit
    lt_op "$@"' sh "$@"
  if [ -n "$LT_PID" ] && [ "$LT_PID" != 0 ]; then set -- nsenter -t "$LT_PID" -m "$@"; fi
  timeout "${LT_TMO:-60}" "$@"
  set -- $?
  exec 7<&-
  return "$1"
}
# rdevflush N: one run of siblings of the rdev op (see there), its N flags and device paths
# gathered in files by the op's loop: out, then the files emptied for the next run.
rdevflush() {
  echo "$1"; cat "$LT_TMP/rs"; echo '='
  xargs -0 -r -s 262144 stat -c '%f %t %T' -- < "$LT_TMP/rp"
  : > "$LT_TMP/rs"; : > "$LT_TMP/rp"
}
# Paths: an op that takes absolute paths gets only paths layertop builds from the engine's own
# metadata (the data root from the API, IDs and digests, the layer store's cache IDs, containerd's
# bolt databases): directories and files that no container writes, so following them is safe.
# Walks (measure, gmeasure, names, tree, gnames, gtree, du) start at such a root and never follow
# a symlink below it: find and du without -L/-H, stat without -L (lstat). GNU find (the host's)
# holds each directory open and checks it is the one it looked at; busybox find opens a directory
# by its path again after it looked at it, so a directory a running container swaps for a symlink
# in that instant is walked on the other side: names and figures (the tree reader refuses entries
# below a non-directory and walks again), never contents. A file's bytes, and anything else below
# a layer root, are reached only through indir/infile (fread, rdev, probes).
# ishex64 S: S is 64 lowercase hex digits (a layer's cache ID, a container ID, a digest).
ishex64() {
  case "$1" in *[!0-9a-f]*) return 1 ;; esac
  [ "${#1}" -eq 64 ]
}
# reclaimone PATH MINAGE NOW: deletes one leftover, the last step of engine/leftovers.ts, which
# proved from the engine's metadata just before this request that nothing names it. Checked here
# again, at the moment of deleting: PATH has one of the four shapes a leftover can have (a layer
# directory under overlay2/, a layer store mount record, a containerd snapshot, a content blob)
# and no "." or ".." component; no mount of any process on the host names it (a running mount);
# nothing in it changed for MINAGE seconds (a pull or build writes a layer's directory before the
# engine records it). Prints one word: removed, absent, mounted, young, badpath, nomounts, failed.
reclaimone() {
  local p b w c l t x rel
  p=$1; b=${p##*/}; w=${p%/*}; c=; l=
  case "$p/" in /*/../*|/*/./*|*//*|/../*|/./*) echo badpath; return ;; esac
  # The parent is exactly one of the four places under the root the request names ($W), entered
  # component by component without following a symlink (indir): a symlinked directory on the way
  # (a containerd root that was made to point elsewhere) cannot lead the deletion out of it.
  rel=${w#"$W"/}
  [ "$rel" != "$w" ] || { echo badpath; return; }
  case "$rel" in
    overlay2) c=${b%-init}; ishex64 "$c" || { echo badpath; return; }; c="overlay2/$b/" ;;
    image/overlay2/layerdb/mounts) ishex64 "$b" || { echo badpath; return; } ;;
    io.containerd.snapshotter.v1.overlayfs/snapshots)
      case "$b" in ''|*[!0-9]*) echo badpath; return ;; esac; c="snapshots/$b/" ;;
    io.containerd.content.v1.content/blobs/sha256) ishex64 "$b" || { echo badpath; return; } ;;
    *) echo badpath; return ;;
  esac
  indir "$W" "$rel" || { echo badpath; return; }
  if [ -L "$b" ]; then echo badpath; return; fi
  if [ ! -e "$b" ]; then echo absent; return; fi
  if [ "$rel" = image/overlay2/layerdb/mounts ]; then
    # A removed container's record: it stays while its layer is still mounted (a leaked mount).
    c=$(cat "./$b/mount-id" 2>/dev/null) || c=
    if ishex64 "$c"; then c="overlay2/$c/"; else c=; fi
  fi
  # The newest change time of the entry and of what it holds directly.
  t=$(stat -c %Z -- "./$b" "./$b"/* 2>/dev/null | sort -n | tail -n 1)
  [ -n "$t" ] || { echo failed; return; }
  if [ $(( $3 - t )) -lt "$2" ]; then echo young; return; fi
  # And anything deeper (a pull extracting into a directory the engine has not recorded yet
  # changes only the directories it writes in): one walk below the entry's direct children (those
  # are checked above, to the second), stopped at the first entry changed within MINAGE rounded
  # up to whole minutes (-cmin counts minutes: stricter, never looser). A walk that fails proves
  # nothing: the entry stays.
  if [ "$2" -gt 0 ]; then
    x=$(find "./$b" -mindepth 2 -xdev -cmin "-$(( ($2 + 59) / 60 ))" -print -quit 2>/dev/null) || { echo failed; return; }
    if [ -n "$x" ]; then echo young; return; fi
  fi
  if [ -n "$c" ]; then
    # Every process's mount table: a mount point, upperdir or workdir inside it, the directory
    # itself as a mount point or a bind mount's root (its path then ends the field: mountinfo
    # writes a space in a path as \040, so a space follows), or (overlay2) a lowerdir through its
    # short link in l/.
    x=$(cat /proc/[0-9]*/mountinfo 2>/dev/null) || :
    [ -n "$x" ] || { echo nomounts; return; }
    [ -f "./$b/link" ] && [ ! -L "./$b/link" ] && l=$(cat "./$b/link" 2>/dev/null)
    case "$l" in *[!0-9A-Za-z]*) l= ;; esac
    if [ -n "$l" ]; then set -- -e "$c" -e "${c%/} " -e "l/$l"; else set -- -e "$c" -e "${c%/} "; fi
    if printf '%s\n' "$x" | grep -qF "$@"; then echo mounted; return; fi
  fi
  # A mount point on the entry itself (busybox rm has no --one-file-system): another device than
  # its parent's is never deleted into.
  if ! x=$(stat -c %d -- "./$b" 2>/dev/null); then
    if [ -e "./$b" ] || [ -L "./$b" ]; then echo failed; else echo absent; fi
    return
  fi
  [ "$x" = "$(stat -c %d -- . 2>/dev/null)" ] || { echo mounted; return; }
  # overlay2's short link to the layer's diff goes with it, as the driver's own removal does.
  if [ -n "$l" ] && [ -d l ] && [ ! -L l ] && [ "$(readlink "l/$l" 2>/dev/null)" = "../$b/diff" ]; then rm -f "l/$l"; fi
  rm -rf -- "./$b" 2>/dev/null
  if [ -e "./$b" ] || [ -L "./$b" ]; then echo failed; else echo removed; fi
}
# The ops: defined once and run as a function of the loop's own shell (no process to start, no
# script to parse: a fork alone costs 2 ms here), or run as a script by xargs for big argument
# lists. So an op never exits (it returns), keeps its variables local, and may leave the working
# directory anywhere (the loop goes back to /).
lt_op() {
local op sub W d c n k p f e g G S Q ok ok2 live
op=$1; shift
case "$op" in
  ping) echo pong ;;
  procs)
    # Only processes that can be the engine's: any process may call itself dockerd, and layertop
    # enters the chosen one's mount namespace and runs the find it finds there as root. So a
    # candidate runs as root in the host's own user and PID namespaces (the helper's: it runs with
    # the host's PIDs, and privileged containers keep the host's users), outside every container
    # (no container ID, 64 hex digits, in its cgroup): not a process in a container, nor one a
    # user started in a namespace of their own.
    # No process per entry of /proc, nor per candidate but its cmdline's tr: at start-up, beside
    # the engine's work, each fork cost 5-10 ms and the seven per candidate made this op take
    # 270 ms with four engines' processes on the host (65 ms idle). The namespaces are compared
    # by `test -ef` (the same nsfs inode), the Uid and cgroup lines are read by the builtin read.
    k=/proc/$$/ns/pid n=/proc/$$/ns/user
    [ -e "$k" ] && [ -e "$n" ] || return 4
    for p in /proc/[0-9]*; do
      # The builtin read, not $(cat ...): a process per entry of /proc cost 90 ms at every start.
      { read -r c < "$p/comm"; } 2>/dev/null || continue
      case "$c" in dockerd|containerd) ;; *) continue ;; esac
      # -ef is not POSIX; busybox ash, dash and bash have it (both shells are tested).
      # shellcheck disable=SC3013,SC2015
      [ "$p/ns/pid" -ef "$k" ] && [ "$p/ns/user" -ef "$n" ] || continue
      uid0 "$p" 2>/dev/null || continue
      ! incontainer "$p" 2>/dev/null || continue
      printf '%s %s ' "${p##*/}" "$c"; cmdline "$p"; echo
    done ;;
  # Trusted paths (see "Paths" above lt_op), as every op below that takes absolute paths:
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
    # Trusted paths only (the layer store's files, image configs, containerd's config, bolt files
    # and content-store blobs, by digest); one with a "." or ".." component counts as unreadable.
    cd "$R/" || return 3
    # The status lines and the path list go to files opened once for the whole loop: a line
    # written to the stream per path is a frame per path for the engine to pass on, and an append
    # per path opens the file each time (6,222 paths of a cold scan at scale: 200 ms of loop in
    # busybox ash against 140 ms so). The status goes out in one write.
    {
      echo "$#"
      for p in "$@"; do
        case "$p/" in /*/../*|/*/./*|/../*|/./*) echo -; continue ;; esac
        # Not through a symlink (stat would size the link, cat its target): unreadable, like a directory.
        if [ -f ".$p" ] && [ ! -L ".$p" ] && [ -r ".$p" ]; then echo +; printf '%s\000' ".$p" >&4; else echo -; fi
      done
      echo '='
    } > "$LT_TMP/s" 4> "$LT_TMP/p"
    cat "$LT_TMP/s"
    xargs -0 -r -s 262144 stat -c %s < "$LT_TMP/p"
    echo '='
    # Every byte of each file (2^40 bytes, 1 TiB, is the most head copies: a longer file would be
    # cut, and read as torn, its bytes short of the sizes above).
    if [ -n "$LT_HEADC" ] && [ $# -gt 16 ]; then xargs -0 -r -s 262144 head -q -c 1099511627776 < "$LT_TMP/p"
    else xargs -0 -r -s 262144 cat < "$LT_TMP/p"; fi
    echo '='
    xargs -0 -r -s 262144 stat -c %s < "$LT_TMP/p"
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
  statfs)
    # Per path, the file system's free blocks (f_bfree) and block size (f_bsize), as BuildKit's
    # min-free-space reads them, or "-".
    for p in "$@"; do stat -f -c '%f %s' "$R$p" 2>/dev/null || echo -; done ;;
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
    case "$op" in gmeasure) sub='' ;; gmeasure:diff) sub='diff' ;; gmeasure:fs) sub='fs' ;; *) echo "bad sub" >&2; return 2 ;; esac
    [ -n "$LT_PID" ] && [ "$LT_PID" != 0 ] || return 5
    # Status lines and roots are appended to files, one line each: appending to the argument list
    # one by one (set -- "$@" x) copies it every time (3,000 roots took 6.5 s in busybox ash; the
    # files take 0.04 s). The roots then become the argument list in one step, split at newlines
    # (no root may hold one) with globbing off.
    S=$LT_TMP/s; Q=$LT_TMP/q; : > "$S"; : > "$Q"
    k=S; [ -n "$sub" ] || k=W; f='' p='' ok=
    # Many roots only (256 arguments or more, the "--" marker counted; no --each, no --list: a
    # cold scan's walks): the status lines are the loop's only output, its whole stdout going to
    # one file (a builtin's own redirection costs five system calls, for each of the two lines a
    # root wrote), and the roots are the arguments as given. Any root missing and the loop below
    # does it all again, leaving out what is not there. (" --each " in a path with spaces only
    # sends it the way below.) Not for a few roots: the split of the roots costs a process
    # (grep), which a warm scan's requests of 50-100 roots would pay for nothing.
    case " $* " in *" --each "*|*" --list "*) ;; *)
      if [ $# -ge 256 ]; then
        ok=1
        { for d in "$@"; do
          if [ "$d" = -- ]; then k=W; continue; fi
          case "$d" in /*) ;; *) echo "not absolute" >&2; return 2 ;; esac
          case "$d" in *"$NL"*) echo "a path holds a newline" >&2; return 2 ;; esac
          if [ $k = W ]; then
            if [ -e "$R$d" ]; then echo 'W +'; else ok=; break; fi
          elif [ -d "$R$d" ]; then
            if [ -d "$R$d/$sub" ]; then echo 'S + +'; else echo 'S ? +'; fi
          else ok=; break; fi
        done; } > "$S"
        if [ -n "$ok" ]; then
          echo '=G' >> "$S"; cat "$S"
          c=$IFS; IFS=$NL; set -f
          # Split on purpose: one root per line ("--" left out).
          # shellcheck disable=SC2046
          set -- $(printf '%s\n' "$@" | grep -v -x -e --)
          set +f; IFS=$c
        else : > "$S"; k=S; [ -n "$sub" ] || k=W; fi
      fi ;;
    esac
    # Both files open once for the loop (fds 5 and 6), not at every line: 6,300 roots of a cold
    # scan at scale opened and closed them 12,600 times.
    [ -n "$ok" ] || { for d in "$@"; do
      if [ "$d" = -- ]; then k=W; continue; fi
      if [ "$d" = --each ]; then k=E; continue; fi
      if [ "$d" = --list ]; then k=F; continue; fi
      case "$d" in /*) ;; *) echo "not absolute" >&2; return 2 ;; esac
      case "$d" in *"$NL"*) echo "a path holds a newline" >&2; return 2 ;; esac
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
          echo 'E +' >&5
          for e in *; do
            case "$e" in *[!A-Za-z0-9_.-]*) continue ;; esac
            [ -e "$e" ] || continue
            echo "e $e" >&5; echo "$d/$e" >&6
          done
        else echo 'E ?' >&5; fi
      elif [ $k = W ]; then
        if [ -e "$R$d" ]; then echo 'W +' >&5; echo "$d" >&6; else echo 'W ?' >&5; fi
      elif [ -d "$R$d" ]; then
        if [ -d "$R$d/$sub" ]; then echo 'S + +' >&5; else echo 'S ? +' >&5; fi
        echo "$d" >&6
      else echo 'S ? ?' >&5; fi
    done; } 5>> "$S" 6>> "$Q"
    if [ -z "$ok" ]; then
    # The status lines go out in one write: each write is a frame for the engine to pass on.
    echo '=G' >> "$S"; cat "$S"
    # The stamped file, if there, is walked last (beyond the requested roots): its line, and its
    # line wherever a root's walk meets it, carries " T <dev> <ino> <change time>".
    if [ -n "$f" ] && [ -e "$R$f" ]; then echo "$f" >> "$Q"; fi
    [ -s "$Q" ] || return 0
    k=$IFS; IFS=$NL; set -f
    # Split on purpose: the file holds words.
    # shellcheck disable=SC2046
    set -- $(cat "$Q")
    set +f; IFS=$k
    fi
    [ $# -gt 0 ] || return 0
    : > "$LT_TMP/e"
    G='%d %s %b %y'
    # The tests after the roots, built once (a few whole-list copies, not one per root). With a
    # stamped file its path is tested first at every entry. Without one, regular files of one
    # link (most entries of a big layer) are tested first and alone, printed just as the general
    # case would: over the 400,000-file layer at scale find took 1.42 s instead of 1.56 (-path and
    # three more tests per file).
    if [ -n "$p" ]; then set -- "$@" -xdev \( -path "$p" -printf "$G T %D %i %C@\n" \)
    else set -- "$@" -xdev \( -type f -links 1 -printf '%d %s %b f\n' \); fi
    if [ -n "$sub" ]; then set -- "$@" -o \( -type d -name "$sub" -printf "$G C %D\n" \); fi
    hostfind "$@" -o -type d -printf "$G %D\n" -o -links 1 -printf "$G\n" -o -printf "$G %D:%i\n" 2>"$LT_TMP/e"
    [ -s "$LT_TMP/e" ] && echo '!'
    : ;;
  glayerdb)
    # The layer store's files of every chain in one host process, where the read and stat ops
    # take a request per 1,600 paths and several processes each (a cold scan at scale: 3,112
    # chains, 0.8 s of requests on the lanes). "ids DIR": each cache-id and size file in DIR's
    # chain directories as GNU grep prints it, "<path>:<line>" per line (-r follows no symlink
    # below DIR, -D skip opens no FIFO or device, -a takes any byte as text, and no directory
    # whose name holds a ":" is entered, so a line's first ":" after DIR ends its path). "splits DIR":
    # "<chain dir> <size>" per tar-split.json.gz that is a regular file. DIR is trusted (the data
    # root's); the reader checks every path. Any failure (no GNU grep on the host, a file gone
    # meanwhile) and the caller reads the files as before, by the read and stat ops.
    [ -n "$LT_PID" ] && [ "$LT_PID" != 0 ] || return 5
    case "$2" in /*) ;; *) return 2 ;; esac
    case "$2" in *"$NL"*) return 2 ;; esac
    if [ "$1" = ids ]; then
      hostgrep -r -a -H -D skip --exclude-dir='*:*' --include=cache-id --include=size -e '' -- "$2" 2>"$LT_TMP/e"
      # 1: no line selected (every file empty), unless something said why (nsenter failing
      # exits 1 too). The reader reads what the sweep lacks one by one anyway.
      k=$?; [ "$k" -le 1 ] || return "$k"
      if [ -s "$LT_TMP/e" ]; then cat "$LT_TMP/e" >&2; return 1; fi
    elif [ "$1" = splits ]; then
      # -H: DIR itself may be a symlink, as grep -r and the stat op follow it.
      hostfind -H "$2" -mindepth 2 -maxdepth 2 -name tar-split.json.gz -type f -printf '%h %s\n' 2>"$LT_TMP/e" || return 1
      if [ -s "$LT_TMP/e" ]; then cat "$LT_TMP/e" >&2; return 1; fi
    else return 2; fi
    : ;;
  gnames)
    # The names op on the host's GNU find: one process, no stat of anything.
    [ -n "$LT_PID" ] && [ "$LT_PID" != 0 ] || return 5
    case "$1" in /*) ;; *) return 2 ;; esac
    [ -d "$R$1" ] || return 3
    hostfind "$1" -mindepth 1 -printf './%P\000' ;;
  gtree)
    # The tree op on the host's GNU find, one walk, one process: per entry
    # "<dev> <ino> <nlink> <size> <blocks> <perm octal> <type letter> <uid> <gid> <mtime>" NUL name
    # NUL link-target NUL.
    # NUL cannot occur in a name or a target, so every field is cut exactly. Device numbers are not
    # printable by find: the reader asks for those of device entries (whiteouts) with the rdev op.
    [ -n "$LT_PID" ] && [ "$LT_PID" != 0 ] || return 5
    case "$1" in /*) ;; *) return 2 ;; esac
    [ -d "$R$1" ] || return 3
    hostfind "$1" -mindepth 1 -printf '%D %i %n %s %b %m %y %U %G %T@\000%P\000%l\000' ;;
  gtrees)
    # gtree over several layer roots in ONE host find (a process per root cost more than the
    # walks of a 101-layer image): each root's entries follow its own line, the only one with an
    # empty name (%P of a starting point), in the order given. Every root must be a directory
    # now; one removed before find reaches it leaves fewer empty names, and the reader refuses it.
    [ -n "$LT_PID" ] && [ "$LT_PID" != 0 ] || return 5
    for d in "$@"; do
      case "$d" in /*) ;; *) return 2 ;; esac
      [ -d "$R$d" ] || return 3
    done
    hostfind "$@" -printf '%D %i %n %s %b %m %y %U %G %T@\000%P\000%l\000' ;;
  rdev:*)
    # Device numbers of entries INSIDE a root (whiteouts are 0/0 character devices): the root is
    # in the op (rdev:<root in base64>, so that every run xargs makes of a long list has it), the
    # arguments are paths relative to it, siblings next to each other. Per run of siblings: the
    # number of paths, per path "+" or "-", "=", then "<mode hex> <major hex> <minor hex>" per "+"
    # (the mode: a device swapped for a file after the test is refused by the reader). Their
    # parent directory is entered with indir (never through a symlink) and each name is stat'ed
    # there, by lstat: nothing is followed.
    d=$(printf '%s' "${op#rdev:}" | base64 -d) || return 2
    # ONE pass over the arguments: the flags and the devices go to files (appended through
    # descriptors opened once), each run out when its parent directory ends. Handing the rest of
    # the list to a function per run, and appending each device to the argument list, copied the
    # list every time: 4.9 s for 5,000 whiteouts in one directory.
    : > "$LT_TMP/rs"; : > "$LT_TMP/rp"
    {
      g='' n=0 ok=1
      for f in "$@"; do
        case "$f" in */*) e=${f%/*} ;; *) e= ;; esac
        if [ "$n" -gt 0 ] && [ "$e" != "$g" ]; then rdevflush "$n"; n=0; fi
        if [ "$n" = 0 ]; then g=$e; ok=0; indir "$d" "$g" || ok=1; fi
        n=$((n + 1))
        f=${f##*/}
        case "$f" in ''|.|..) ok2=1 ;; *) ok2=$ok ;; esac
        # A device by lstat: a name swapped for a symlink (or anything else) since it was listed is "-".
        if [ "$ok2" = 0 ] && [ ! -L "$f" ] && { [ -c "$f" ] || [ -b "$f" ]; }; then
          echo + >&6; printf './%s\000' "$f" >&4
        else echo - >&6; fi
      done
      [ "$n" = 0 ] || rdevflush "$n"
    } 4>> "$LT_TMP/rp" 6>> "$LT_TMP/rs" ;;
  names:live|tree:live)
    # names and tree of a root a running container writes to (its writable layer, its live
    # view), where no GNU find walks (the engine host's find is busybox's): busybox find re-opens
    # each directory by its path, so a directory swapped for a symlink in the instant between
    # would lead the walk, and the stat after it, out of the root to the host's names. Through
    # liveview no symlink is followed: such a walk fails and the reader reads again.
    case "$1" in /*) ;; *) return 2 ;; esac
    inlive "${op%:live}" "$@" ;;
  names)
    # Every entry below one directory, as NUL-terminated "./relative" names: bytes, lossless.
    cd "$R$1" 2>/dev/null || return 3
    find . -mindepth 1 -print0 ;;
  tree)
    # Everything below one directory from ONE walk: the names ("./rel" + NUL each), an empty name,
    # then per entry in the same order "<dev> <ino> <nlink> <size> <blocks> <mode hex>
    # <rdev major hex> <rdev minor hex> <uid> <gid> <mtime> %N TOKEN", where %N is 'NAME' or 'NAME' -> 'TARGET' (busybox) or
    # NAME or NAME -> TARGET (GNU with literal quoting). The reader knows each NAME and each
    # TARGET's length (a link's size), so no byte of a name can confuse it; an entry that vanished
    # between the walk and its stat leaves the two out of step, and the reader asks again.
    # TOKEN ($2, random per request) ends each line: stat sizes a link and reads its target in two
    # steps, so a running container can swap in a longer target holding a forged line of its own;
    # it cannot know the token.
    case "$2" in ''|*[!0-9a-f]*) return 2 ;; esac
    cd "$R$1" 2>/dev/null || return 3
    W=$LT_TMP
    find . -mindepth 1 -print0 | tee "$W/names" | QUOTING_STYLE=literal xargs -0 -r stat -c "%d %i %h %s %b %f %t %T %u %g %Y %N $2" > "$W/stats"
    cat "$W/names"; printf '\000'; cat "$W/stats"
    rm -f "$W/names" "$W/stats" ;;
  fread:*)
    # ROOT REL: one regular file inside ROOT (a layer's directory or a container's merged view),
    # resolved by infile (never through a symlink): "<dev> <ino> <mode hex> <size>" of the file
    # opened, a newline, then at most LEN of its bytes from byte OFF (op fread:OFF+LEN; an OFF
    # other than 0 is a multiple of 65536, and so is LEN then). A preview is one request; "cat"
    # reads a big file in bounded parts, each checked to be the same file (dev, inode).
    # fread:OFF+LEN:live: ROOT is one a running container writes to (its writable layer, its live
    # view). There the name checked by infile can become a symlink or a device node in the instant
    # before the open, and a privileged helper's open of a device (a watchdog, a tape) acts on the
    # host even though the identity check then refuses to read it. So such a file is opened in a
    # private mount namespace, through a bind mount of ROOT made nodev (no device opens) and
    # nosymfollow (no symlink is followed: Linux 5.10): inlive. A host that cannot make that view
    # gets status 9, and nothing is opened.
    n=${op#fread:}; live=
    case "$n" in *:live) live=1; n=${n%:live} ;; esac
    k=${n%%+*}; n=${n#*+}
    case "$k+$n" in *[!0-9+]*|+*|*+|*+*+*) echo "bad range" >&2; return 2 ;; esac
    [ $# -eq 2 ] || return 2
    case "$1" in /*) ;; *) return 2 ;; esac
    if [ -n "$live" ]; then inlive "fread:$k+$n" "$@"; return; fi
    infile "$1" "$2" || return
    printf '%s\n' "$ID"
    if [ "$k" = 0 ]; then head -c "$n" <&3
    else dd bs=65536 iflag=skip_bytes,fullblock skip="$k" count=$((n / 65536)) <&3 2>/dev/null; fi ;;
  gopaque)
    # Opaque directories of image layers read from their xattr (trusted.overlay.opaque) by the
    # engine host's GNU tar: ONE host process for every layer, where the probes op below mounts an
    # overlay per layer (a 101-layer image: 0.49 s of probes). Arguments: "-C <layer dir>" then
    # that layer's candidates, each "./<path inside the layer>", per layer; prints the archive of
    # those directories alone (posix format: each xattr in its member's extended header). Only for
    # layers nothing writes to, whose candidates come from their own listing (layer-list.ts); the
    # caller checks that every member is the candidate asked, in order, or probes instead.
    [ -n "$LT_PID" ] && [ "$LT_PID" != 0 ] || return 5
    local t x c t2
    t=
    for x in /usr/bin/tar /bin/tar /usr/local/bin/tar; do
      if [ -x "$R$x" ]; then t=$x; break; fi
    done
    [ -n "$t" ] || return 5
    # Only in the host's own user namespace: in another (a rootless engine, userns-remap) the
    # kernel hides trusted.* without a word, and every directory would read as not opaque.
    read -r x c t2 < /proc/self/uid_map || return 5
    [ "$x $c $t2" = "0 0 4294967295" ] || return 5
    # Another tar (busybox, bsdtar) may take --xattrs and store xattrs otherwise, or not at all.
    case "$(nsenter -t "$LT_PID" -m "$t" --version 2>/dev/null)" in "tar (GNU tar) "*) ;; *) return 5 ;; esac
    [ "$1" = -C ] || return 2
    c=
    for x in "$@"; do
      if [ "$c" = 1 ]; then
        case "$x" in /*) ;; *) return 2 ;; esac; c=
      elif [ "$x" = -C ]; then c=1
      else
        # No "." or ".." component, nothing an option could be read from.
        case "$x" in ./?*) ;; *) return 2 ;; esac
        case "/${x#./}/" in */../*|*/./*|*//*) return 2 ;; esac
      fi
    done
    [ -z "$c" ] || return 2
    nsenter -t "$LT_PID" -m "$t" --xattrs --xattrs-include=trusted.overlay.opaque --format=posix \
      --numeric-owner --no-recursion -b 1 -cf - "$@" ;;
  probes)
    # Opaque directories without getfattr (busybox has none): overlay the layer's directory on a
    # scratch tree holding a marker in each candidate directory; where the kernel hides a marker,
    # that directory is opaque (trusted.overlay.opaque). overlayfs takes lower directories only
    # from its own mount namespace, so this runs in a private copy of the engine's (nsenter, then
    # unshare with private propagation: nothing is mounted on the host, all goes with the copy),
    # with the helper's own busybox (reached through /proc/<helper pid>/root).
    # The candidates are paths inside the layer (the image's or the container's names): each is
    # entered in the mounted view with indir (this file's, loaded again in there), so a directory
    # swapped for a symlink is never followed out of the view; one that fails counts as not opaque.
    # Arguments "<layer dir> <count> <candidate>..." per layer: one private namespace and one
    # scratch tmpfs for all (a probe per layer cost a chain of processes: 100 layers took most of a
    # 101-layer image's listing). Prints 1 or 0 per candidate, in order; any failure fails the
    # whole request (the caller then asks layer by layer, and what still fails is unknown).
    [ -n "$LT_PID" ] && [ "$LT_PID" != 0 ] || return 5
    # A local helper (helper-main.sh's LT_BB) has no busybox: the host's env runs the host's tools;
    # so does a helper image without busybox (a Debian one).
    B=/proc/$$/root${LT_BB:-/bin/busybox}
    [ -x "$B" ] || B=/proc/$$/root/usr/bin/env
    # The marker's name is new for every request: a layer cannot hold an entry of that name to
    # stand in for it (a fixed name let an image fake or hide an opaque directory).
    M=.layertop-probe-$(cat /proc/sys/kernel/random/uuid) || return 4
    # shellcheck disable=SC2016
    nsenter -t "$LT_PID" -m "$B" unshare -m --propagation private "$B" sh -c '
      O=$1; M=$2; B=$3; shift 3
      R=; LT_LOOP=1; . "$O" || exit 4
      S=
      for s in /mnt /media /srv /opt /tmp /run; do
        ok=1
        for a in "$@"; do case "$a/" in "$s"/*) ok= ;; esac; done
        [ -n "$ok" ] && [ -d "$s" ] && { S=$s; break; }
      done
      [ -n "$S" ] || exit 4
      mount -t tmpfs layertop-probe "$S" || exit 4
      # First the shape of every group and every candidate is checked, and every scratch
      # directory is made by ONE mkdir: a process per directory cost 1.6 ms each, more than the
      # mounts (a 101-layer image has about three directories per layer to make).
      g=0 k=0 d=
      : > "$S/dirs" || exit 4
      for x in "$@"; do
        if [ "$k" -gt 0 ]; then
          case "/$x/" in */../*|*/./*|*//*) exit 2 ;; esac
          printf "%s\000" "$S/p$g/$x" >> "$S/dirs"; k=$((k - 1))
        elif [ -z "$d" ]; then
          case "$x" in /*) d=$x ;; *) exit 2 ;; esac
        else
          # Decimal digits without a leading 0 (arithmetic would read 010 as octal, test as ten).
          case "$x" in ""|*[!0-9]*|0?*) exit 2 ;; esac
          g=$((g + 1)) k=$x d=
          printf "%s\000%s\000" "$S/p$g" "$S/m$g" >> "$S/dirs"
        fi
      done
      [ "$k" = 0 ] && [ -z "$d" ] || exit 2
      # The busybox of the helper, as the unshare and this shell: the host may lack xargs.
      "$B" xargs -0 "$B" mkdir -p -- < "$S/dirs" || exit 4
      g=0
      while [ $# -gt 0 ]; do
        d=$1; c=$2; shift 2
        g=$((g + 1))
        i=0; cd "$S/p$g" || exit 4
        for x in "$@"; do
          [ "$i" -lt "$c" ] || break
          : > "$x/$M" || exit 4
          i=$((i + 1))
        done
        cd /
        mount -t overlay layertop-probe -o "ro,lowerdir=$d:$S/p$g" "$S/m$g" || exit 4
        i=0
        while [ "$i" -lt "$c" ]; do
          if indir "$S/m$g" "$1"; then
            if [ -f "$M" ] && [ ! -L "$M" ]; then echo 0; else echo 1; fi
          else echo 0; fi
          cd /
          shift; i=$((i + 1))
        done
      done
    ' sh "/proc/$$/root${LT_TMP%/w}/ops.sh" "$M" "$B" "$@" ;;
  reclaim:*)
    # reclaim:<base64 of "<seconds> <root>"> PATH...: one line per path, as reclaimone says (see
    # above); a path not under the root (the engine's data root, or containerd's own) is a badpath.
    W=$(echo "${op#reclaim:}" | base64 -d) || return 2
    k=${W%% *}; W=${W#* }
    case "$k" in ''|*[!0-9]*) echo "bad age $k" >&2; return 2 ;; esac
    case "$W/" in /*/../*|/*/./*|*//*|/../*|/./*|/) echo "bad root" >&2; return 2 ;; /*) ;; *) return 2 ;; esac
    n=$(date +%s)
    for p in "$@"; do
      case "$p" in "$W"/*) reclaimone "$p" "$k" "$n" ;; *) echo badpath ;; esac
      cd /
    done ;;
  *) echo "unknown op $op" >&2; return 2 ;;
esac
}
# Run by xargs (big lists): xargs says 123 for any failed run, so a failing run leaves its own
# status for the loop (fread's refusals must reach the caller as they are).
if [ -z "$LT_LOOP" ]; then
  # One byte per run: a walk's output must come from one run, and the loop checks that it did.
  printf r >> "$LT_TMP/runs"
  lt_op "$@"; st=$?
  [ "$st" = 0 ] || echo "$st" > "$LT_TMP/st"
  exit "$st"
fi
