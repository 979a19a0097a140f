import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { StorageKind } from '../model/types.js';

/**
 * Which image store each engine endpoint had at its last /info, so that a scan can ask the
 * engine's lists as soon as it is connected, beside /info (askScanListsAtConnect): the image list
 * only where it is cheap to ask before anything is proven (the graph drivers), never on the
 * containerd store, where the engine computes it anew each time (17 s at 1,300 images on Docker
 * 28.5) and a scan waits for the store's own proof first. A hint only: /info decides, and a wrong
 * hint costs one request asked or dropped (see askInventoryEarly). A tiny file of its own beside
 * the size cache, read before /info (the size cache is read after it, and is megabytes at scale).
 */
const FILE = 'engine-stores.json';
/** Endpoints remembered (the most recently noted first): a fleet's hosts, not every host ever seen. */
const MAX_HOSTS = 64;

type Hints = Record<string, StorageKind>;

function hintsFile(cacheFile: string): string {
  return join(dirname(cacheFile), FILE);
}

function readHints(cacheFile: string): Hints {
  try {
    const v: unknown = JSON.parse(readFileSync(hintsFile(cacheFile), 'utf8'));
    if (!v || typeof v !== 'object' || Array.isArray(v)) return {};
    const out: Hints = {};
    for (const [host, kind] of Object.entries(v))
      if (kind === 'overlay2' || kind === 'containerd') out[host] = kind;
    return out;
  } catch {
    return {}; // none yet, unreadable or torn: no hint
  }
}

/** The store `host` had at its last noted /info, or undefined (never noted, or no file). */
export function storeHint(cacheFile: string, host: string): StorageKind | undefined {
  const hints = readHints(cacheFile);
  return Object.hasOwn(hints, host) ? hints[host] : undefined;
}

/**
 * Notes `host`'s store as /info described it; writes only when that changes (not at every scan),
 * through a temporary file renamed into place, so a reader sees the old file or the new one.
 * Best effort: a cache directory that cannot be written leaves the hint as it was.
 */
export function noteStore(cacheFile: string, host: string, kind: StorageKind): void {
  const hints = readHints(cacheFile);
  if (hints[host] === kind) return;
  const next: Hints = { [host]: kind };
  for (const [h, k] of Object.entries(hints)) {
    if (Object.keys(next).length >= MAX_HOSTS) break;
    if (h !== host) next[h] = k;
  }
  const file = hintsFile(cacheFile);
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(tmp, `${JSON.stringify(next)}\n`, { mode: 0o600 });
    renameSync(tmp, file);
  } catch {
    try {
      unlinkSync(tmp);
    } catch {
      // never made
    }
  }
}
