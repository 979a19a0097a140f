import { open } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { writeJsonLines } from '../../process/json-file.js';
import { decodePieces, readPieces, readTextFileSync } from '../../process/text-pieces.js';

/** The fact that says when an engine was last scanned (ms since the epoch): "<engine ID>|seen". */
const SEEN = '|seen';
const DAY_MS = 86_400_000;
/** What the cache holds of an engine not scanned for this long is forgotten (it is only a cache). */
export const FORGET_AFTER_MS = 60 * DAY_MS;

/** The save under way per cache file (see SizeCache.save). */
const saving = new Map<string, Promise<void>>();

export interface CachedSize {
  apparentBytes: number;
  diskBytes: number;
  contentDiskBytes?: number;
}

/**
 * Facts a scan needs before anything else (the walks the last scan foresaw, the ledger's plan,
 * the containerd store's remembered image list): the file's first line holds them, so that a
 * warm scan sends its first walks as soon as its helper is ready, while the rest (5 MB at scale:
 * 60-130 ms to read and parse, and 4,000 fresh pages) is read beside them.
 */
const EARLY_KINDS = ['|mutable|', '|ledger|', '|image-list|', '|swept|'];
/** The fact that says when a scan last forgot what it did not use (see SizeCache.sweep). */
const SWEPT = '|swept|at';
const isEarly = (key: string) => EARLY_KINDS.some((k) => key.includes(k));

interface CacheData {
  entries: Record<string, CachedSize>;
  facts: Record<string, unknown>;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The file's two lines: `{"version":2,"early":{facts}}` then `{"entries":{..},"facts":{..}}`.
 * Version 1 (one line: `{"version":1,"entries":..,"facts":..}`) is still read. Undefined where
 * the text is neither.
 */
export function parseCacheText(text: string): CacheData | undefined {
  try {
    const nl = text.indexOf('\n');
    const first = JSON.parse(nl < 0 ? text : text.slice(0, nl)) as { version?: number; early?: unknown };
    if (first.version === 1) {
      const v1 = first as { entries?: unknown; facts?: unknown };
      return {
        entries: (isRecord(v1.entries) ? v1.entries : {}) as Record<string, CachedSize>,
        facts: isRecord(v1.facts) ? v1.facts : {},
      };
    }
    if (first.version !== 2 || !isRecord(first.early) || nl < 0) return undefined;
    // A torn rest counts as empty: the first line still holds.
    const rest = parseRest(text.slice(nl + 1)) ?? { entries: {}, facts: {} };
    return { entries: rest.entries, facts: { ...rest.facts, ...first.early } };
  } catch {
    return undefined;
  }
}

function parseRest(text: string): CacheData | undefined {
  try {
    const rest = JSON.parse(text) as { entries?: unknown; facts?: unknown };
    if (!isRecord(rest.entries) || !isRecord(rest.facts)) return undefined;
    return { entries: rest.entries as Record<string, CachedSize>, facts: rest.facts };
  } catch {
    return undefined;
  }
}

/**
 * How much of the file is read for its first line at once (a scale engine's: about 530 kB, of
 * which the remembered image list 300 kB).
 */
const HEAD_BYTES = 1024 * 1024;

/**
 * Image layers never change once written, so their measured sizes are remembered across runs.
 * The key joins the engine, the layer's chainID and its directory: a directory name that is reused
 * for other content (a new cache-id or snapshot number) is a new key, never a stale hit.
 * Writable layers are never cached.
 */
export class SizeCache {
  private entries: Record<string, CachedSize> = {};
  /** Other immutable facts (an image's layer list and build commands, a layer's directory). */
  private facts: Record<string, unknown> = {};
  private dirty = false;
  /** Counts changes: a save clears `dirty` only if nothing changed while it was being written. */
  private changes = 0;
  /**
   * Set while only the file's first line is in (see open): the rest's reading, under way. Until
   * it is in, anything not among the early facts, and any change, reads the rest at once.
   */
  private pending:
    | { reading: Promise<Buffer[] | undefined>; done: boolean; bytes?: Buffer[] | undefined }
    | undefined;

  /** `text`: the file's content already read (see open); otherwise it is read now. */
  constructor(
    readonly file: string | undefined,
    text?: string,
  ) {
    if (!file) return;
    let data: CacheData | undefined;
    try {
      data = parseCacheText(text ?? readTextFileSync(file));
    } catch {
      // no cache yet, or unreadable: start empty
    }
    if (data) {
      this.entries = data.entries;
      this.facts = data.facts;
    }
  }

  /**
   * The cache, without holding the thread: the file's first line (the early facts) is read and
   * parsed before this resolves, the rest is read beside what the caller does next and parsed
   * when first needed (or `loaded`). A file of version 1, or one whose first line is not in its
   * first 512 kB, is read whole first. Never rejects: a file that cannot be read (absent, a
   * directory, an I/O error) or parsed is no cache.
   */
  static async open(file: string | undefined): Promise<SizeCache> {
    if (!file) return new SizeCache(undefined);
    const fh = await open(file, 'r').catch(() => undefined);
    // Unreadable or absent: an empty text, which parses as no cache.
    if (!fh) return new SizeCache(file, '');
    let closing = true;
    try {
      const size = (await fh.stat()).size;
      const head = Buffer.allocUnsafe(Math.min(size, HEAD_BYTES));
      const { bytesRead } = await fh.read(head, 0, head.length, 0);
      const nl = head.subarray(0, bytesRead).indexOf(0x0a);
      // In pieces, not fh.readFile(): see text-pieces (a 5 MB Buffer and string, once per launch).
      const whole = async () => new SizeCache(file, decodePieces((await readPieces(fh, 0, size)) ?? []));
      if (nl < 0 || bytesRead === size)
        return bytesRead === size ? new SizeCache(file, head.toString('utf8', 0, bytesRead)) : await whole();
      let first: unknown;
      try {
        first = JSON.parse(head.toString('utf8', 0, nl));
      } catch {
        return new SizeCache(file, '');
      }
      if (!isRecord(first) || first.version !== 2 || !isRecord(first.early)) return await whole();
      const cache = new SizeCache(file, '');
      cache.facts = { ...first.early };
      // The rest: what the head already holds, then what follows it, in pieces (see
      // text-pieces). Kept as bytes: made a string only when parsed (a 4.6 MB string made as the
      // read came in held the helper's readiness probes 60 ms), and never if something read it
      // sooner.
      const reading = (async () => {
        const more = await readPieces(fh, bytesRead, size - bytesRead);
        return more && [head.subarray(nl + 1, bytesRead), ...more];
      })().finally(() => fh.close().catch(() => {}));
      closing = false;
      // Read now, parsed when first needed (or `loaded`): its parse (about 0.1 s at scale) held
      // the helper's readiness probes when it came in as they did, and the first walks with them.
      const pending: NonNullable<SizeCache['pending']> = {
        reading: reading.catch(() => undefined),
        done: false,
      };
      cache.pending = pending;
      void pending.reading.then((bytes) => {
        pending.bytes = bytes;
        pending.done = true;
      });
      return cache;
    } catch {
      return new SizeCache(file, '');
    } finally {
      if (closing) await fh.close().catch(() => {});
    }
  }

  /** The rest of the file as read (undefined: unreadable, then it counts as empty). */
  private takeRest(text: string | Buffer[] | undefined): void {
    this.pending = undefined;
    const rest =
      text === undefined ? undefined : parseRest(typeof text === 'string' ? text : decodePieces(text));
    if (!rest) return;
    // What the first line or this run set meanwhile stays: the rest only adds. (The rest is the
    // base, the few facts already here go over it: the other way, 11,000 keys added one by one
    // to an object took 85 ms at scale.)
    for (const [k, v] of Object.entries(this.facts)) rest.facts[k] = v;
    for (const [k, v] of Object.entries(this.entries)) rest.entries[k] = v;
    this.facts = rest.facts;
    this.entries = rest.entries;
  }

  /**
   * The rest, read now if it is not in yet (a need that came before it). A file saved again
   * since the first line was read gives its own rest: every fact and size names what it is about
   * (engine, layer, directory), so parts of two saves are still true together.
   */
  private restNow(): void {
    const file = this.file;
    if (!this.pending || !file) return;
    if (this.pending.done) {
      this.takeRest(this.pending.bytes);
      return;
    }
    let text: string | undefined;
    try {
      const all = readTextFileSync(file);
      const nl = all.indexOf('\n');
      text = nl < 0 ? undefined : all.slice(nl + 1);
    } catch {
      text = undefined;
    }
    this.takeRest(text);
  }

  /** Resolves once the whole file is in and parsed (at once for a cache read whole). */
  async loaded(): Promise<void> {
    const p = this.pending;
    if (!p) return;
    const text = await p.reading;
    if (this.pending === p) this.takeRest(text);
  }

  static defaultFile(env: NodeJS.ProcessEnv = process.env): string {
    const base =
      env.LAYERTOP_CACHE_DIR ||
      (env.XDG_CACHE_HOME ? join(env.XDG_CACHE_HOME, 'layertop') : join(homedir(), '.cache', 'layertop'));
    return join(base, 'layer-sizes.json');
  }

  static key(engineId: string, chainId: string, dir: string): string {
    return `${engineId}|${chainId}|${dir}`;
  }

  get(key: string): CachedSize | undefined {
    this.restNow();
    this.used(key);
    return this.entries[key];
  }

  /** Keys asked for or set while a scan runs (see track): what the next sweep keeps. */
  private trackers = new Set<Set<string>>();

  private used(key: string): void {
    for (const t of this.trackers) t.add(key);
  }

  /**
   * Notes every key asked for or set from now until `stop`, for a sweep at the end of a complete
   * scan (see sweep). Scans side by side each note the other's keys too: more is kept, never less.
   */
  /**
   * Whether a scan of `engineId` should note the keys it uses, for a sweep at its end: once a day
   * per engine (the noting cost a warm scan at scale about 20 ms of CPU, 2% of it).
   */
  sweepDue(engineId: string, now = Date.now()): boolean {
    const t = this.fact(`${engineId}${SWEPT}`, (v: unknown): v is number => typeof v === 'number');
    return !(t !== undefined && t <= now && now - t < DAY_MS);
  }

  track(): { keys: ReadonlySet<string>; stop: () => void } {
    const keys = new Set<string>();
    this.trackers.add(keys);
    return { keys, stop: () => this.trackers.delete(keys) };
  }

  /**
   * Forgets what the engine `engineId` has in the cache that a complete scan of it did not use
   * (`used`, from track, once a day: sweepDue): the sizes and facts of images, layers and
   * containers that are gone.
   * Without this a build machine's cache grew with every image it ever built (about 3.5 kB per
   * image at the scale engine), and every warm scan parsed all of it. What a later run needs
   * again is read again (a cache only saves time). The engine's stamp stays, and so do the keys of
   * another engine whose ID or data root makes its keys start like these (one that holds "|").
   * An engine's first scan, with nothing to forget, only stamps (stampSweep). Returns how many
   * keys went.
   */
  sweep(engineId: string, used: ReadonlySet<string>, now = Date.now()): number {
    this.restNow();
    const prefix = `${engineId}|`;
    const others: string[] = [];
    for (const k of Object.keys(this.facts))
      if (k.endsWith(SEEN) && k.startsWith(prefix) && k !== `${engineId}${SEEN}`)
        others.push(`${k.slice(0, -SEEN.length)}|`);
    const ours = (k: string) => k.startsWith(prefix) && !others.some((o) => k.startsWith(o));
    let gone = 0;
    for (const k of Object.keys(this.entries))
      if (ours(k) && !used.has(k)) {
        delete this.entries[k];
        gone++;
      }
    for (const k of Object.keys(this.facts))
      if (ours(k) && !used.has(k) && k !== `${engineId}${SEEN}`) {
        delete this.facts[k];
        gone++;
      }
    if (gone) {
      this.dirty = true;
      this.changes++;
    }
    this.stampSweep(engineId, now);
    return gone;
  }

  /**
   * The sweep's stamp alone: the engine's first complete scan found nothing of it to forget (see
   * scanEngine), and the next sweep is then a day later.
   */
  stampSweep(engineId: string, now = Date.now()): void {
    this.setFact(`${engineId}${SWEPT}`, now);
  }

  set(key: string, value: CachedSize): void {
    this.restNow();
    this.used(key);
    // The same figures again (a rescan that walked what did not change) leave the file as it is:
    // writing 5 MB of it after each of the explorer's rescans made most of what a rescan allocated.
    const had = this.entries[key];
    if (
      had &&
      had.apparentBytes === value.apparentBytes &&
      had.diskBytes === value.diskBytes &&
      had.contentDiskBytes === value.contentDiskBytes
    )
      return;
    this.entries[key] = value;
    this.dirty = true;
    this.changes++;
  }

  /** A fact remembered under `key`, if `valid` accepts its shape (a file from another version may not). */
  fact<T>(key: string, valid: (v: unknown) => v is T): T | undefined {
    if (!(this.pending && isEarly(key))) this.restNow();
    this.used(key);
    const v = this.facts[key];
    return v !== undefined && valid(v) ? v : undefined;
  }

  setFact(key: string, value: unknown): void {
    this.restNow();
    this.used(key);
    // Unchanged: the very value, or one of the same JSON. A new key is not compared (a first scan
    // sets 9,000 facts at scale: their text made for nothing took 25 ms of it).
    const had = this.facts[key];
    if (had === value || (had !== undefined && JSON.stringify(had) === JSON.stringify(value))) return;
    this.facts[key] = value;
    this.dirty = true;
    this.changes++;
  }

  /**
   * Notes that the engine `engineId` (every key of it starts "<ID>|<data root>|") was scanned now.
   * Changes the cache at most once a day per engine, so a warm scan's cache stays unwritten.
   */
  touchEngine(engineId: string, now = Date.now()): void {
    this.restNow();
    const k = `${engineId}${SEEN}`;
    const t = this.facts[k];
    if (typeof t === 'number' && t <= now && now - t < DAY_MS) return;
    this.setFact(k, now);
  }

  /**
   * Forgets what the cache holds of engines not scanned for FORGET_AFTER_MS (a data root removed,
   * a machine reinstalled, a context gone): without this their entries stayed for ever, and every
   * warm scan of the engines still here parsed them (two generations of the scale engine made a
   * 9.6 MB file of a 4.8 MB one). An engine of a cache written before this is stamped now.
   */
  private forgotAt = Number.NEGATIVE_INFINITY;

  private forgetStale(now: number): void {
    const seen = new Map<string, number>();
    for (const [k, v] of Object.entries(this.facts))
      if (k.endsWith(SEEN) && typeof v === 'number') seen.set(k.slice(0, -SEEN.length), v);
    // A key's engine: its first two components, as engineKeyOf makes them, unless it starts with
    // a stamped engine of more (an ID or a data root that holds "|"; rare, so this stays linear).
    const odd = [...seen.keys()].filter((e) => e.split('|').length > 2).sort((a, b) => b.length - a.length);
    const engineOf = (k: string): string | undefined => {
      for (const e of odd) if (k.startsWith(e) && k.charCodeAt(e.length) === 0x7c) return e;
      const j = k.indexOf('|', k.indexOf('|') + 1);
      return j < 0 ? undefined : k.slice(0, j);
    };
    const sort = (k: string): boolean => {
      const e = engineOf(k);
      if (e === undefined) return false;
      const t = seen.get(e);
      if (t === undefined) {
        seen.set(e, now);
        this.facts[`${e}${SEEN}`] = now;
        return false;
      }
      return now - t > FORGET_AFTER_MS;
    };
    for (const k of Object.keys(this.entries)) if (sort(k)) delete this.entries[k];
    for (const k of Object.keys(this.facts)) if (sort(k)) delete this.facts[k];
  }

  /** Forgets every fact whose key starts with `prefix` (a shape of fact no longer kept). */
  dropFacts(prefix: string): void {
    this.restNow();
    for (const k of Object.keys(this.facts))
      if (k.startsWith(prefix)) {
        delete this.facts[k];
        this.dirty = true;
        this.changes++;
      }
  }

  /**
   * Writes the file if anything changed, without holding the thread for long: the text is made in
   * slices (process/json-slices.ts) and written asynchronously to a temporary file of its own,
   * then renamed into place (a reader never sees half a file). Saves of one file run one after
   * another, also from several caches of it (a fleet's sessions). Never rejects: a cache that
   * cannot be written only costs time on the next run.
   */
  save(): Promise<void> {
    const file = this.file;
    if (!file) return Promise.resolve();
    const next = (saving.get(file) ?? Promise.resolve()).then(() => this.saveNow(file));
    saving.set(file, next);
    void next.then(() => {
      if (saving.get(file) === next) saving.delete(file);
    });
    return next;
  }

  private async saveNow(file: string): Promise<void> {
    if (!this.dirty) return;
    const seen = this.changes;
    try {
      await this.loaded();
      // Once a day per cache at most: an explorer saves after each rescan, and this pass over
      // 50,000 keys allocated 11 MB of each save at scale while nothing can turn stale in between.
      const now = Date.now();
      if (now - this.forgotAt >= DAY_MS) {
        this.forgetStale(now);
        this.forgotAt = now;
      }
      const early: Record<string, unknown> = {};
      const facts: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(this.facts)) (isEarly(k) ? early : facts)[k] = v;
      await writeJsonLines(file, [
        { version: 2, early },
        { entries: this.entries, facts },
      ]);
      if (this.changes === seen) this.dirty = false;
    } catch {
      // Not written: still dirty, for the next save.
    }
  }
}
