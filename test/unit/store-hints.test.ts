import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { noteStore, storeHint } from '../../source/engine/store-hints.js';

// The hint file lives beside the size cache; the cache file itself need not exist.
const cacheFile = () => join(mkdtempSync(join(tmpdir(), 'lt-hints-')), 'sub', 'layer-sizes.json');
const hintsPath = (cache: string) => join(cache, '..', 'engine-stores.json');

describe('store hints', () => {
  it('give back what was noted per endpoint, and nothing for an endpoint never noted', () => {
    const cache = cacheFile();
    expect(storeHint(cache, 'unix:///a.sock')).toBeUndefined();
    noteStore(cache, 'unix:///a.sock', 'overlay2');
    noteStore(cache, 'tcp://b:2375', 'containerd');
    expect(storeHint(cache, 'unix:///a.sock')).toBe('overlay2');
    expect(storeHint(cache, 'tcp://b:2375')).toBe('containerd');
    expect(storeHint(cache, 'unix:///c.sock')).toBeUndefined();
    // A store switched (dockerd restarted with the containerd snapshotter): the new one wins.
    noteStore(cache, 'unix:///a.sock', 'containerd');
    expect(storeHint(cache, 'unix:///a.sock')).toBe('containerd');
    // Private to the user, like the size cache, and no temporary file left behind.
    expect(statSync(hintsPath(cache)).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(cache, '..'))).toEqual(['engine-stores.json']);
  });

  it('does not rewrite the file when nothing changed', () => {
    const cache = cacheFile();
    noteStore(cache, 'unix:///a.sock', 'overlay2');
    const before = statSync(hintsPath(cache)).ino;
    noteStore(cache, 'unix:///a.sock', 'overlay2');
    // A rewrite renames a new file into place: another inode.
    expect(statSync(hintsPath(cache)).ino).toBe(before);
  });

  it('takes a torn or foreign file as no hint, and keeps only known store names', () => {
    const cache = cacheFile();
    noteStore(cache, 'unix:///a.sock', 'overlay2');
    writeFileSync(hintsPath(cache), '{"unix:///a.sock":"overl');
    expect(storeHint(cache, 'unix:///a.sock')).toBeUndefined();
    writeFileSync(hintsPath(cache), JSON.stringify({ 'unix:///a.sock': 'zfs', b: 'overlay2' }));
    expect(storeHint(cache, 'unix:///a.sock')).toBeUndefined();
    expect(storeHint(cache, 'b')).toBe('overlay2');
    writeFileSync(hintsPath(cache), '["overlay2"]');
    expect(storeHint(cache, '0')).toBeUndefined();
    // Inherited names are no endpoints.
    expect(storeHint(cache, 'toString')).toBeUndefined();
    // Noting over a torn file starts afresh.
    noteStore(cache, 'unix:///a.sock', 'containerd');
    expect(JSON.parse(readFileSync(hintsPath(cache), 'utf8'))).toEqual({ 'unix:///a.sock': 'containerd' });
  });

  it('keeps the 64 endpoints noted last', () => {
    const cache = cacheFile();
    for (let i = 0; i < 70; i++) noteStore(cache, `tcp://h${i}:2375`, 'overlay2');
    const kept = Object.keys(JSON.parse(readFileSync(hintsPath(cache), 'utf8')) as object);
    expect(kept).toHaveLength(64);
    expect(kept[0]).toBe('tcp://h69:2375');
    expect(storeHint(cache, 'tcp://h5:2375')).toBeUndefined();
    expect(storeHint(cache, 'tcp://h6:2375')).toBe('overlay2');
  });

  it('leaves no hint, and throws nothing, where the directory cannot be made', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lt-hints-'));
    writeFileSync(join(dir, 'file'), 'x');
    const cache = join(dir, 'file', 'layer-sizes.json'); // its directory is a file
    expect(() => noteStore(cache, 'unix:///a.sock', 'overlay2')).not.toThrow();
    expect(storeHint(cache, 'unix:///a.sock')).toBeUndefined();
  });
});
