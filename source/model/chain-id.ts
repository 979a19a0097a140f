import { createHash } from 'node:crypto';

// Each hash remembered by its inputs: images share their lower layers, so at scale (1,300 images,
// 3,100 layers) a scan asked for 8,000 hashes of which 3,100 differ. Keyed parent first, then the
// diff ID, both strings the caller already holds (their hashes are computed once): a key made by
// joining them was a new 140-character string to hash at every lookup. Bounded, as a long
// explorer session may see many layers come and go.
const memo = new Map<string, Map<string, string>>();
let memoSize = 0;
const MEMO_MAX = 100_000;
// One answer per diff ID list the caller holds: a scan asks for the same image's chains up to
// four times (inputs, layer graph, layout, ledger); 26-35 ms of a warm scan at scale before.
const byList = new WeakMap<readonly string[], readonly string[]>();

/**
 * ChainID per the OCI image spec: ChainID(L0) = DiffID(L0),
 * ChainID(L0..n) = sha256(ChainID(L0..n-1) + " " + DiffID(Ln)).
 * Two images share a layer exactly when they share its chain, which is why the graph keys on it.
 * The answer is shared by every call with the same list: it is never to be changed.
 */
export function chainIds(diffIds: readonly string[]): readonly string[] {
  const known = byList.get(diffIds);
  if (known) return known;
  const out: string[] = [];
  let prev: string | undefined;
  for (const diffId of diffIds) {
    let id = diffId;
    if (prev !== undefined) {
      let children = memo.get(prev);
      const hit = children?.get(diffId);
      if (hit) id = hit;
      else {
        id = `sha256:${createHash('sha256').update(`${prev} ${diffId}`).digest('hex')}`;
        if (memoSize >= MEMO_MAX) {
          memo.clear();
          memoSize = 0;
          children = undefined;
        }
        if (!children) {
          children = new Map();
          memo.set(prev, children);
        }
        children.set(diffId, id);
        memoSize++;
      }
    }
    out.push(id);
    prev = id;
  }
  byList.set(diffIds, out);
  return out;
}
