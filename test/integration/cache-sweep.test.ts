// The size cache forgets what a complete scan no longer uses (SizeCache.sweep): an image removed
// takes its facts (layer list, build commands, config size) and its layer's sizes out of the
// file at the next scan. Without this a build machine's cache grew with every image it built.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCacheText } from '../../source/engine/helper/size-cache.js';
import { docker, sh } from '../support/engines.js';
import { scanWithCache } from '../support/same-scan.js';

const TAG = 'layertop-test/sweep-import:1';

describe('the size cache after an image is removed (overlay2 engine)', () => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'lt-sweep-cache-'));
  const keys = () => {
    const c = parseCacheText(readFileSync(join(cacheDir, 'layer-sizes.json'), 'utf8')) as {
      entries: object;
      facts: object;
    };
    return [...Object.keys(c.entries), ...Object.keys(c.facts)];
  };
  /** A day later, as far as the cache can tell: its last sweep's stamp taken out of the file. */
  const aDayLater = () => {
    const file = join(cacheDir, 'layer-sizes.json');
    const [first, ...rest] = readFileSync(file, 'utf8').split('\n');
    const head = JSON.parse(first as string) as { early: Record<string, unknown> };
    const stamps = Object.keys(head.early).filter((k) => k.endsWith('|swept|at'));
    expect(stamps).toHaveLength(1);
    for (const k of stamps) delete head.early[k];
    writeFileSync(file, [JSON.stringify(head), ...rest].join('\n'));
  };
  const scan = () => scanWithCache('overlay2', cacheDir);

  afterAll(async () => {
    await docker('overlay2', ['rmi', TAG]).catch(() => undefined);
  });

  it("forgets the image's facts and its layer's sizes at the next scan, and keeps every other", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lt-sweep-import-'));
    writeFileSync(join(dir, 'only-here'), `sweep ${process.pid} ${Date.now()}\n`);
    await sh('tar', ['-cf', join(dir, 'layer.tar'), '-C', dir, 'only-here']);
    await docker('overlay2', ['import', join(dir, 'layer.tar'), TAG]);
    const id = (await docker('overlay2', ['image', 'inspect', '-f', '{{.Id}}', TAG])).trim();
    const with_ = await scan();
    const image = with_.images.find((i) => i.id === id);
    const chain = with_.layers.find((l) => l.images.includes(id) && l.images.length === 1)?.chainId;
    expect(image).toBeDefined();
    expect(chain).toMatch(/^sha256:[0-9a-f]{64}$/);
    const before = keys();
    const about = (k: string) => k.includes(id) || k.includes(chain as string);
    // Its layer list, commands and config size, and its layer's sizes and layer-store facts.
    expect(before.filter(about).length).toBeGreaterThanOrEqual(5);
    await docker('overlay2', ['rmi', TAG]);
    // The keys but the image list's, which a scan may add (once the image store has stood still
    // for 2 s: overlay2-image-list.ts), or drop at a change.
    const noList = (ks: string[]) => ks.filter((k) => !k.includes('|image-list|'));
    // The same day: nothing is forgotten yet (a scan notes what it uses once a day).
    await scan();
    expect(noList(keys())).toEqual(noList(before));
    aDayLater();
    const without = await scan();
    expect(without.images.map((i) => i.id)).not.toContain(id);
    const after = keys();
    expect(after.filter(about)).toEqual([]);
    // Nothing else went: every key of the scan before is still there but the image's.
    expect(before.filter((k) => !about(k) && !after.includes(k))).toEqual([]);
    // And a sweep with nothing gone forgets nothing.
    aDayLater();
    await scan();
    expect(noList(keys())).toEqual(noList(after));
  });
});
