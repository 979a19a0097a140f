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
//
// The program itself is two plain shell files beside this one, bundled as text (scripts/build.mjs;
// vitest.config.ts loads them the same way) and kept shellcheck-clean by npm test: helper-ops.sh
// (the ops) and helper-main.sh (the request loop, which writes the ops to a file at start).

import KEEPER from './helper-keeper.sh';
import MAIN from './helper-main.sh';
import OPS from './helper-ops.sh';

/** The ops, as the loop writes them to its ops file (and as the tests run them without Docker). */
export const HELPER_OPS: string = OPS;

/** The whole program the helper container runs: the loop with the ops in its heredoc. */
export const HELPER_MAIN: string = MAIN.replace('@LT_OPS@', () => OPS.replace(/\n$/, ''));

/** A kept helper's main process (--keep-helper): see helper-keeper.sh. */
export const HELPER_KEEPER: string = KEEPER;
