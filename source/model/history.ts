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
  const steps = [...history].reverse();
  const made = steps.filter((h) => (h.Size ?? 0) > 0 || !METADATA_STEP.test(h.CreatedBy ?? ''));
  return align(
    made.map((h) => cleanCommand(h.CreatedBy)),
    layerCount,
  );
}

function align(commands: (string | undefined)[], layerCount: number): (string | undefined)[] {
  if (commands.length === layerCount) return commands;
  // A mismatch means the history is not trustworthy for this image: attribute what we can from the top.
  const out: (string | undefined)[] = new Array(layerCount).fill(undefined);
  for (let i = 1; i <= Math.min(layerCount, commands.length); i++)
    out[layerCount - i] = commands[commands.length - i];
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
