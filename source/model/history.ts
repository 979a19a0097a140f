// Which build command made which layer. An image config's history lists every build step;
// only the steps without `empty_layer` made a layer, in the same order as RootFS diffIDs.

export interface ConfigHistoryEntry {
  created_by?: string;
  comment?: string;
  empty_layer?: boolean;
}

/** Exact: from the image config's history. */
export function layerCommandsFromConfig(
  history: readonly ConfigHistoryEntry[],
  layerCount: number,
): (string | undefined)[] {
  // `docker import` leaves created_by empty and says what happened in the comment.
  const out = history.filter((h) => !h.empty_layer).map((h) => cleanCommand(h.created_by || h.comment));
  return align(out, layerCount);
}

export interface ApiHistoryEntry {
  CreatedBy?: string;
  Comment?: string;
  Size?: number;
}

const METADATA_STEP =
  /^(\/bin\/sh -c #\(nop\) )?(CMD|ENTRYPOINT|ENV|LABEL|EXPOSE|USER|WORKDIR|VOLUME|STOPSIGNAL|HEALTHCHECK|SHELL|ARG|ONBUILD|MAINTAINER)\b/;

/**
 * Best effort from GET /images/{id}/history (newest first), which hides `empty_layer`: a step made a
 * layer when it has bytes or is not a metadata-only instruction. Used until the config is read.
 */
export function layerCommandsFromApiHistory(
  history: readonly ApiHistoryEntry[],
  layerCount: number,
): (string | undefined)[] {
  return align(
    // `docker import` leaves CreatedBy empty and says what happened in the comment.
    layerSteps(history).map((h) => cleanCommand(h.CreatedBy || h.Comment)),
    layerCount,
  );
}

/**
 * The engine's own bytes per layer, bottom to top, from the same history: each layer-making step's
 * `Size` is the engine's figure for that layer (overlay2: the layer store's size; the containerd
 * store: the snapshot's usage). Undefined where the steps cannot be matched to the layers.
 */
export function layerSizesFromApiHistory(
  history: readonly ApiHistoryEntry[],
  layerCount: number,
): (number | undefined)[] {
  return align(
    layerSteps(history).map((h) => h.Size),
    layerCount,
  );
}

/** The history's steps that made a layer, bottom to top. */
function layerSteps(history: readonly ApiHistoryEntry[]): ApiHistoryEntry[] {
  return [...history].reverse().filter((h) => (h.Size ?? 0) > 0 || !METADATA_STEP.test(h.CreatedBy ?? ''));
}

function align<T>(values: (T | undefined)[], layerCount: number): (T | undefined)[] {
  if (values.length === layerCount) return values;
  // A mismatch means the history is not trustworthy for this image: attribute what we can from the top.
  const out: (T | undefined)[] = new Array(layerCount).fill(undefined);
  for (let i = 1; i <= Math.min(layerCount, values.length); i++)
    out[layerCount - i] = values[values.length - i];
  return out;
}

/** Strips the shell wrapper the builders add, as `docker history` users read it. */
export function cleanCommand(cmd: string | undefined): string | undefined {
  if (cmd === undefined) return undefined;
  return cmd
    .replace(/^\/bin\/sh -c #\(nop\)\s+/, '')
    .replace(/^\/bin\/sh -c /, 'RUN ')
    .replace(/^RUN \/bin\/sh -c /, 'RUN ')
    .replace(/ # buildkit$/, '')
    .trim();
}
