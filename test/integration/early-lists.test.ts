// A scan's engine lists asked before the scan runs (askInventoryEarly, beside the size cache's
// read): the next inventory takes them once, and only while they are fresh (2 s); every later one asks
// the engine anew. A container created after the early ask tells which answer an inventory used.
import { afterAll, describe, expect, it } from 'vitest';
import { askInventoryEarly, getInfo, readInventory } from '../../source/engine/docker/inventory.js';
import { client, docker, engineNames } from '../support/engines.js';

const NAME = 'layertop-early-lists';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(engineNames())('the early lists on the %s engine', (engine) => {
  afterAll(async () => {
    await docker(engine, ['rm', '-f', NAME]).catch(() => undefined);
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
});
