// The helper's shell program. It is constant text: requests carry their arguments as base64 of a
// NUL-separated list that `xargs -0` turns into argv, so no path is ever parsed as shell code.
//
// Host files are reached through /proc/<dockerd pid>/root rather than by running host programs
// after `nsenter -m`: /proc/<pid>/root is the same mount namespace, and the helper's own busybox
// then does the work, so one set of tools and one parser serve every host (GNU Debian, Docker
// Desktop's VM, Alpine). The ops use only options that GNU and busybox share, so a helper image
// with GNU tools (--helper-image) works too; the tests run both.
//
// Request line:  <id> <op> <timeout-seconds> <pid|0> <base64 of NUL-separated args>\n
// Reply frame:   LT1 <id> <exit status> <stdout bytes> <stderr bytes>\n<stdout><stderr>

export const HELPER_OPS = String.raw`
op=$1; shift
F='%i %h %s %b %f'
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
  measure:*)
    sub=$(echo "$op" | cut -d: -f2)
    case "$sub" in *[!a-z]*|'') echo "bad sub" >&2; exit 2 ;; esac
    for d in "$@"; do
      echo @
      if [ -d "$R$d" ]; then
        find "$R$d" -xdev -name "$sub" -prune -o -exec stat -c "$F" {} + || echo '!'
        echo =
        if [ -d "$R$d/$sub" ]; then find "$R$d/$sub" -xdev -exec stat -c "$F" {} + || echo '!'; fi
      else
        echo '?'
      fi
    done ;;
  measure)
    for d in "$@"; do
      echo @
      if [ -e "$R$d" ]; then find "$R$d" -xdev -exec stat -c "$F" {} + || echo '!'; else echo '?'; fi
    done ;;
  read)
    t=$(mktemp)
    for p in "$@"; do
      if cp "$R$p" "$t" 2>/dev/null; then wc -c < "$t"; cat "$t"; else echo -1; fi
    done
    rm -f "$t" ;;
  list) for d in "$@"; do (cd "$R$d" 2>/dev/null && find . -mindepth 1 -maxdepth 1 -print0); printf '\000\000'; done ;;
  du) for d in "$@"; do du -s "$R$d" | cut -f1; done ;;
  *) echo "unknown op $op" >&2; exit 2 ;;
esac
`;

export const HELPER_MAIN = String.raw`
export LC_ALL=C
T=$(mktemp -d 2>/dev/null || echo /tmp/lt.$$); mkdir -p "$T"
cat > "$T/ops.sh" <<'LTOPS'
${HELPER_OPS}
LTOPS
printf 'LT1 0 0 5 0\nready'
while IFS=' ' read -r id op tmo pid b64; do
  case "$pid" in ''|*[!0-9]*) pid=0 ;; esac
  case "$tmo" in ''|*[!0-9]*) tmo=60 ;; esac
  if [ "$pid" = 0 ]; then R=; else R=/proc/$pid/root; fi
  if [ "$b64" = - ]; then : > "$T/args"; else printf '%s' "$b64" | base64 -d > "$T/args"; fi
  R="$R" timeout "$tmo" xargs -0 sh "$T/ops.sh" "$op" < "$T/args" > "$T/out" 2> "$T/err"
  st=$?
  printf 'LT1 %s %s %s %s\n' "$id" "$st" "$(wc -c < "$T/out")" "$(wc -c < "$T/err")"
  cat "$T/out" "$T/err"
done
rm -rf "$T"
`;
