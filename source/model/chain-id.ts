import { createHash } from 'node:crypto';

/**
 * ChainID per the OCI image spec: ChainID(L0) = DiffID(L0),
 * ChainID(L0..n) = sha256(ChainID(L0..n-1) + " " + DiffID(Ln)).
 * Two images share a layer exactly when they share its chain, which is why the graph keys on it.
 */
export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  let prev: string | undefined;
  for (const diffId of diffIds) {
    const id =
      prev === undefined
        ? diffId
        : `sha256:${createHash('sha256').update(`${prev} ${diffId}`).digest('hex')}`;
    out.push(id);
    prev = id;
  }
  return out;
}
