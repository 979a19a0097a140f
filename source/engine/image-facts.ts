// Facts of an image that never change (an image ID is its config's or manifest's digest): its
// build commands and the disk bytes of its config file, read through the helper once and then
// remembered in the size cache.
import { type ConfigHistoryEntry, layerCommandsFromConfig } from '../model/history.js';
import type { ImageInput } from '../model/types.js';

import type { HelperSession } from './helper/helper-session.js';
import type { SizeCache } from './helper/size-cache.js';
import type { StorageLayout } from './storage/storage-layout.js';

const isCommands = (v: unknown): v is (string | null)[] =>
  Array.isArray(v) && v.every((x) => x === null || typeof x === 'string');
const isNumber = (v: unknown): v is number => typeof v === 'number';

/**
 * Build commands from the image configs (exact), read through the helper in one request. `parsed`:
 * commands already taken from configs read for another purpose (overlay2's layer lists: see
 * StorageBackend.imageLayers), used for the images listed here instead of reading their configs
 * again, and remembered like the rest (only for images the engine lists).
 */
export async function readCommands(
  helper: HelperSession,
  images: ImageInput[],
  layout: StorageLayout,
  cache: SizeCache | undefined,
  key: (imageId: string) => string,
  parsed?: ReadonlyMap<string, (string | undefined)[]>,
): Promise<void> {
  const todo: ImageInput[] = [];
  const take = (img: ImageInput, commands: (string | undefined)[]) => {
    img.layerCommands = commands;
    cache?.setFact(
      key(img.id),
      commands.map((c) => c ?? null),
    );
  };
  for (const img of images) {
    const known = rememberedCommands(img, cache, key);
    const read = parsed?.get(img.id);
    if (known) img.layerCommands = known;
    else if (read && read.length === img.diffIds.length) take(img, read);
    else todo.push(img);
  }
  if (!todo.length) return;
  const paths = todo.map((i) => layout.imageConfigPath(i.id));
  const configs = await helper.readFiles(paths);
  todo.forEach((img, i) => {
    const raw = configs[i];
    if (!raw) return;
    try {
      const commands = commandsOfConfig(JSON.parse(raw.toString('utf8')), img.diffIds.length);
      if (commands) take(img, commands);
    } catch {
      // unreadable config: leave the commands unknown
    }
  });
}

/** An image's build commands as the size cache remembers them (one per layer), if it does. */
export function rememberedCommands(
  img: ImageInput,
  cache: SizeCache | undefined,
  key: (imageId: string) => string,
): (string | undefined)[] | undefined {
  const known = cache?.fact(key(img.id), isCommands);
  return known && known.length === img.diffIds.length ? known.map((c) => c ?? undefined) : undefined;
}

/** An image's build commands (one per layer) from its parsed config; undefined when it is not an object. */
export function commandsOfConfig(config: unknown, layerCount: number): (string | undefined)[] | undefined {
  if (typeof config !== 'object' || config === null) return undefined;
  const history = (config as { history?: ConfigHistoryEntry[] }).history;
  return layerCommandsFromConfig(history ?? [], layerCount);
}

/** Disk bytes of each image's config file in the image store (immutable: remembered). */
export async function configFileBytes(
  helper: HelperSession,
  images: ImageInput[],
  file: (imageId: string) => string,
  cache: SizeCache | undefined,
  key: (imageId: string) => string,
): Promise<number[]> {
  const out = images.map((img) => cache?.fact(key(img.id), isNumber));
  const todo = images.map((_, i) => i).filter((i) => out[i] === undefined);
  if (todo.length) {
    const stats = await helper.statFiles(todo.map((i) => file((images[i] as ImageInput).id)));
    todo.forEach((i, k) => {
      const st = stats[k];
      if (!st) return;
      const bytes = st.blocks * 512;
      out[i] = bytes;
      cache?.setFact(key((images[i] as ImageInput).id), bytes);
    });
  }
  return out.map((b) => b ?? 0);
}
