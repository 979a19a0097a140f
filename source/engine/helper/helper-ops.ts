// The helper's ops by name, as helper-ops.sh's `case` has them: a request names one of these, so a
// misspelt op is a type error, not an "unknown op" from the helper at run time. Each op's parser:
//   ping procs access du      read in place (one line each)
//   statfs                    read in place ("<free blocks> <block size>" per path)
//   read stat liststat        helper-read.ts (parseRead, parseStat, parseList)
//   measure[:sub]             measure-parse.ts (parseMeasure); gmeasure[:sub]: parseGnuMeasure(Each)
//   names gnames tree gtree   layer-list.ts (parseNames, parseTree, parseGnuTree)
//   gtrees                    layer-list.ts (parseGnuTrees: gtree of several roots)
//   rdev:<dir>                layer-list.ts (parseRdev)
//   probes                    layer-list.ts (opaque directories of one or more layers: a line per candidate)
//   gopaque                   layer-list.ts (parseOpaqueTar: the same from the host's GNU tar, image layers)
//   fread:<offset>+<length>   file-read.ts
//   gprobe                    helper-session.ts (the host's find, if any)
//   glayerdb                  layerdb-sweep.ts (parseSweptIds, parseSweptSplits)
//   reclaim:<age root, b64>   reclaim.ts (one verdict per leftover path)

/** A layer's content subdirectory, as the walks take it: overlay2's diff, a snapshot's fs. */
export type ContentSub = 'diff' | 'fs';

export type HelperOp =
  | 'ping'
  | 'procs'
  | 'access'
  | 'read'
  | 'stat'
  | 'liststat'
  | 'du'
  | 'statfs'
  | 'gprobe'
  | 'glayerdb'
  | 'measure'
  | `measure:${ContentSub}`
  | 'gmeasure'
  | `gmeasure:${ContentSub}`
  | 'names'
  | 'names:live'
  | 'gnames'
  | 'tree'
  | 'tree:live'
  | 'gtree'
  | 'gtrees'
  | 'probes'
  | 'gopaque'
  | `rdev:${string}`
  | `fread:${number}+${number}`
  | `fread:${number}+${number}:live`
  | `reclaim:${string}`;
