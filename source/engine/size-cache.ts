import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

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
  private dirty = false;

  constructor(readonly file: string | undefined) {
    if (!file) return;
    try {
      const data = JSON.parse(readFileSync(file, 'utf8')) as {
        version?: number;
        entries?: Record<string, CachedSize>;
      };
      if (data.version === 1 && data.entries) this.entries = data.entries;
    } catch {
      // no cache yet, or unreadable: start empty
    }
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
  }

  save(): void {
    if (!this.file || !this.dirty) return;
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      const tmp = `${this.file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify({ version: 1, entries: this.entries }));
      renameSync(tmp, this.file);
      this.dirty = false;
    } catch {
      // a cache that cannot be written only costs time on the next run
    }
  }
}
