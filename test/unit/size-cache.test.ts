import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SizeCache } from '../../source/engine/helper/size-cache.js';

const isNumber = (v: unknown): v is number => typeof v === 'number';
const fresh = () => join(mkdtempSync(join(tmpdir(), 'lt-size-cache-')), 'layer-sizes.json');

describe('the size cache file', () => {
  it('opens (read without blocking) what an earlier run saved', async () => {
    const file = fresh();
    const first = new SizeCache(file);
    first.set('e|chain|/dir', { apparentBytes: 10, diskBytes: 4096, contentDiskBytes: 4096 });
    first.setFact('e|fact', 7);
    first.save();
    const again = await SizeCache.open(file);
    expect(again.get('e|chain|/dir')).toEqual({ apparentBytes: 10, diskBytes: 4096, contentDiskBytes: 4096 });
    expect(again.fact('e|fact', isNumber)).toBe(7);
    // The same as the synchronous reading.
    expect(new SizeCache(file).fact('e|fact', isNumber)).toBe(7);
  });

  it('starts empty from a file that is absent or not JSON, and a save replaces a broken one', async () => {
    const absent = await SizeCache.open(fresh());
    expect(absent.get('e|chain|/dir')).toBeUndefined();
    const file = fresh();
    writeFileSync(file, '{"version":1,"entries":{"e|c|/d":');
    const broken = await SizeCache.open(file);
    expect(broken.get('e|c|/d')).toBeUndefined();
    broken.setFact('e|fact', 1);
    broken.save();
    expect(JSON.parse(readFileSync(file, 'utf8')).facts).toEqual({ 'e|fact': 1 });
  });

  it('without a file (--no-cache) remembers within the run only and writes nothing', async () => {
    const none = await SizeCache.open(undefined);
    none.setFact('e|fact', 3);
    expect(none.fact('e|fact', isNumber)).toBe(3);
    none.save();
    expect(none.file).toBeUndefined();
  });
});
