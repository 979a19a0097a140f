import { randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { stringifyInSlices } from '../../process/json-slices.js';

/** The save under way per cache file (see SizeCache.save). */
const saving = new Map<string, Promise<void>>();
/** Temporary files being written: removed if the process exits meanwhile (a quit mid-save). */
const writing = new Set<string>();
let exitHook = false;

function writingNow(tmp: string): void {
  writing.add(tmp);
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const t of writing)
      try {
        unlinkSync(t);
      } catch {
        // already renamed into place, or never made
      }
  });
}

export interface CachedSize {
  apparentBytes: number;
  diskBytes: number;
  contentDiskBytes?: number;
}

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

  /** `text`: the file's content already read (see open); otherwise it is read now. */
  constructor(
    readonly file: string | undefined,
    text?: string,
  ) {
    if (!file) return;
    try {
      const data = JSON.parse(text ?? readFileSync(file, 'utf8')) as {
        version?: number;
        entries?: Record<string, CachedSize>;
        facts?: Record<string, unknown>;
      };
      if (data.version === 1 && data.entries) this.entries = data.entries;
      if (data.version === 1 && data.facts) this.facts = data.facts;
    } catch {
      // no cache yet, or unreadable: start empty
    }
  }

  /**
   * The cache, its file read without holding the thread: at scale it is 5 MB and took 60-100 ms
   * to read and parse, and a session opened it while its helper's create request still waited to
   * be sent (every helper started that much later).
   */
  static async open(file: string | undefined): Promise<SizeCache> {
    if (!file) return new SizeCache(undefined);
    // Unreadable or absent: an empty text, which parses as no cache.
    return new SizeCache(file, await readFile(file, 'utf8').catch(() => ''));
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
    return this.entries[key];
  }

  set(key: string, value: CachedSize): void {
    this.entries[key] = value;
    this.dirty = true;
    this.changes++;
  }

  /** A fact remembered under `key`, if `valid` accepts its shape (a file from another version may not). */
  fact<T>(key: string, valid: (v: unknown) => v is T): T | undefined {
    const v = this.facts[key];
    return v !== undefined && valid(v) ? v : undefined;
  }

  setFact(key: string, value: unknown): void {
    if (JSON.stringify(this.facts[key]) === JSON.stringify(value)) return;
    this.facts[key] = value;
    this.dirty = true;
    this.changes++;
  }

  /** Forgets every fact whose key starts with `prefix` (a shape of fact no longer kept). */
  dropFacts(prefix: string): void {
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
    const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      const text = await stringifyInSlices({ version: 1, entries: this.entries, facts: this.facts });
      await mkdir(dirname(file), { recursive: true });
      writingNow(tmp);
      await writeFile(tmp, text);
      await rename(tmp, file);
      if (this.changes === seen) this.dirty = false;
    } catch {
      await unlink(tmp).catch(() => {});
    } finally {
      writing.delete(tmp);
    }
  }
}
