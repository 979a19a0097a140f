// A scan's engine lists asked before the scan runs (askInventoryEarly, beside the size cache's
// read): the next inventory takes them once, and only while they are fresh (2 s); every later one asks
// the engine anew. A container created after the early ask tells which answer an inventory used.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { askInventoryEarly, getInfo, readInventory } from '../../source/engine/docker/inventory.js';
import { client, docker, engineHost, engineNames, layertop } from '../support/engines.js';

const NAME = 'layertop-early-lists';
const TAG = 'layertop-test/early-lists:1';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(engineNames())('the early lists on the %s engine', (engine) => {
  afterAll(async () => {
    await docker(engine, ['rm', '-f', NAME]).catch(() => undefined);
    await docker(engine, ['rmi', TAG]).catch(() => undefined);
  });

  const names = async (c: Awaited<ReturnType<typeof client>>) => {
    const inv = await readInventory(c, await getInfo(c), undefined, false);
    return inv.containers.flatMap((x) => x.Names ?? []);
  };

  it('are taken by the next inventory only, and not once they are old', async () => {
    const c = await client(engine);
    await docker(engine, ['rm', '-f', NAME]).catch(() => undefined);
    askInventoryEarly(c, engine === 'overlay2');
    // The engine has answered long before (20-40 ms on these engines), and the answers are
    // taken well within their 2 s.
    await sleep(400);
    await docker(engine, ['create', '--name', NAME, 'busybox:latest', 'true']);
    // The early answer, from before the create: the feature is in use.
    expect(await names(c)).not.toContain(`/${NAME}`);
    // Taken once: the next inventory asks the engine.
    expect(await names(c)).toContain(`/${NAME}`);

    await docker(engine, ['rm', '-f', NAME]);
    askInventoryEarly(c, engine === 'overlay2');
    await sleep(400);
    await docker(engine, ['create', '--name', NAME, 'busybox:latest', 'true']);
    // Older than 2 s: asked anew.
    await sleep(1_800);
    expect(await names(c)).toContain(`/${NAME}`);
  });
  it('asked again while fresh, add or drop only the image list', async () => {
    const c = await client(engine);
    const info = await getInfo(c);
    await docker(engine, ['rm', '-f', NAME]).catch(() => undefined);
    await docker(engine, ['rmi', TAG]).catch(() => undefined);
    const seen = async () => {
      const inv = await readInventory(c, info, undefined, false);
      return {
        containers: inv.containers.flatMap((x) => x.Names ?? []),
        tags: inv.images.flatMap((i) => i.RepoTags ?? []),
      };
    };
    // Without the image list (a connect with no hint), then with it (/info named a graph driver):
    // the containers are the first ask's, the images the second's (the tag, removed after it, is
    // still there; an image list asked by the inventory itself would not have it).
    askInventoryEarly(c, false);
    await sleep(300);
    await docker(engine, ['create', '--name', NAME, 'busybox:latest', 'true']);
    await docker(engine, ['tag', 'busybox:latest', TAG]);
    askInventoryEarly(c, true);
    await sleep(300);
    await docker(engine, ['rmi', TAG]);
    const added = await seen();
    expect(added.containers).not.toContain(`/${NAME}`);
    expect(added.tags).toContain(TAG);

    // With it (a hint of a graph driver), then without (/info named the containerd store): the
    // early image list is dropped and the inventory asks the engine for its own.
    await docker(engine, ['rm', '-f', NAME]);
    askInventoryEarly(c, true);
    await sleep(300);
    await docker(engine, ['create', '--name', NAME, 'busybox:latest', 'true']);
    await docker(engine, ['tag', 'busybox:latest', TAG]);
    askInventoryEarly(c, false);
    const dropped = await seen();
    expect(dropped.containers).not.toContain(`/${NAME}`);
    expect(dropped.tags).toContain(TAG);
  });

  it('are asked by a CLI scan at connect, the image list only on a graph driver noted before', async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), 'lt-early-cache-'));
    const marksOf = async () => {
      const file = join(mkdtempSync(join(tmpdir(), 'lt-early-marks-')), 'marks');
      const r = await layertop(['scan', '--json'], {
        engine,
        env: { LAYERTOP_CACHE_DIR: cacheDir, LAYERTOP_TIMING_FILE: file },
      });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect((JSON.parse(r.stdout) as { images: unknown[] }).images.length).toBeGreaterThan(0);
      const at = new Map<string, number>();
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        const [name, ms] = line.split(' ');
        if (name && ms && !at.has(name)) at.set(name, Number(ms));
      }
      return at;
    };
    const graph = engine === 'overlay2';
    // No hint yet: the rest at connect, the image list (graph driver) only once /info said so.
    const first = await marksOf();
    expect(first.get('api-lists-asked')).toBeLessThan(first.get('api-info') as number);
    if (graph) expect(first.get('api-images-asked')).toBeGreaterThan(first.get('api-info') as number);
    else expect(first.has('api-images-asked')).toBe(false);
    const hints = JSON.parse(readFileSync(join(cacheDir, 'engine-stores.json'), 'utf8')) as Record<
      string,
      string
    >;
    expect(hints).toEqual({ [engineHost(engine)]: graph ? 'overlay2' : 'containerd' });
    // Noted: the image list goes out at connect too, before /info; never on the containerd store.
    const second = await marksOf();
    expect(second.get('api-lists-asked')).toBeLessThan(second.get('api-info') as number);
    if (graph) expect(second.get('api-images-asked')).toBeLessThan(second.get('api-info') as number);
    else expect(second.has('api-images-asked')).toBe(false);
    // --no-cache reads no hint: the image list waits for /info again.
    if (graph) {
      const file = join(mkdtempSync(join(tmpdir(), 'lt-early-marks-')), 'marks');
      const r = await layertop(['scan', '--json', '--no-cache'], {
        engine,
        env: { LAYERTOP_CACHE_DIR: cacheDir, LAYERTOP_TIMING_FILE: file },
      });
      expect(r.code).toBe(0);
      const text = readFileSync(file, 'utf8');
      const ms = (name: string) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1]);
      expect(ms('api-images-asked')).toBeGreaterThan(ms('api-info'));
    }
  });
});
