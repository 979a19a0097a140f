// The layer store's files read by the host's grep and find in one process each (the glayerdb op,
// for cold scans of many layers) must give exactly what the read and stat ops give file by file,
// on the real engine's store and on a store made hostile by hand, where it must never follow a
// symlink, open a FIFO or take a file deeper down for a chain's own.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getInfo } from '../../source/engine/docker/inventory.js';
import { HelperSession } from '../../source/engine/helper/helper-session.js';
import { readLayerFacts, sweepLayerStore } from '../../source/engine/storage/storage-overlay2.js';
import { client } from '../support/engines.js';

describe('the layer store swept by the host grep and find', () => {
  let helper: HelperSession;
  let root: string;
  const work = mkdtempSync(join(tmpdir(), 'lt-sweep-'));

  beforeAll(async () => {
    const c = await client('overlay2');
    const info = await getInfo(c);
    root = info.DockerRootDir;
    helper = await HelperSession.start(c, { dataRoot: root });
  }, 120_000);
  afterAll(async () => {
    await helper?.close();
    rmSync(work, { recursive: true, force: true });
  });

  /** What the read and stat ops give for `chains` (their 64 hex digits) under `dir`. */
  const oneByOne = async (dir: string, chains: string[]) => {
    const files = chains.flatMap((h) => [`${dir}/${h}/cache-id`, `${dir}/${h}/size`]);
    const read = (await helper.readFiles(files)).map((b) => b?.toString('utf8').trim() || undefined);
    const splits = await helper.statFiles(chains.map((h) => `${dir}/${h}/tar-split.json.gz`));
    return chains.map((h, i) => [h, read[2 * i], read[2 * i + 1], splits[i]?.size]);
  };
  const swept = (s: Awaited<ReturnType<typeof sweepLayerStore>>, chains: string[]) =>
    chains.map((h) => [
      h,
      s?.ids.get(h)?.cacheId?.trim() || undefined,
      s?.ids.get(h)?.size?.trim() || undefined,
      s?.splits.get(h),
    ]);

  it("gives every chain's cache-id, size and tar-split size of the engine's store as the files read one by one", async () => {
    expect(helper.hostFind).toBe(true);
    const dir = `${root}/image/overlay2/layerdb/sha256`;
    const chains = readdirSync(dir).filter((n) => /^[0-9a-f]{64}$/.test(n));
    expect(chains.length).toBeGreaterThan(10);
    const s = await sweepLayerStore(helper, dir);
    expect(s?.ids.size).toBe(chains.length);
    expect(swept(s, chains)).toEqual(await oneByOne(dir, chains));
    // Every chain has its three figures: nothing came back empty.
    expect(swept(s, chains).filter((row) => row.includes(undefined))).toEqual([]);
  });

  it('follows no symlink, opens no FIFO, and joins the lines of a file as the read op gives it', async () => {
    const dir = join(work, 'plain', 'sha256');
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((x) => x.repeat(64)) as [string, string, string, string];
    for (const h of [a, b, c, d]) mkdirSync(join(dir, h), { recursive: true });
    writeFileSync(join(dir, a, 'cache-id'), 'e'.repeat(64));
    writeFileSync(join(dir, a, 'size'), '12\n');
    writeFileSync(join(dir, a, 'tar-split.json.gz'), Buffer.alloc(100));
    writeFileSync(join(dir, b, 'cache-id'), 'x\ny $(touch /tmp/lt-sweep-pwned)');
    writeFileSync(join(dir, b, 'size'), '');
    symlinkSync('/etc/hostname', join(dir, c, 'cache-id'));
    execFileSync('mkfifo', [join(dir, c, 'size')]);
    symlinkSync(join(dir, a, 'tar-split.json.gz'), join(dir, c, 'tar-split.json.gz'));
    // A byte NUL: grep without -a would say "binary file matches" instead of the line.
    writeFileSync(join(dir, d, 'size'), '7\u0000');
    const s = await sweepLayerStore(helper, dir);
    expect(swept(s, [a, b, c, d])).toEqual([
      [a, 'e'.repeat(64), '12', 100],
      [b, 'x\ny $(touch /tmp/lt-sweep-pwned)', undefined, undefined],
      [c, undefined, undefined, undefined],
      [d, undefined, '7\u0000', undefined],
    ]);
    expect(swept(s, [a, b, c, d])).toEqual(await oneByOne(dir, [a, b, c, d]));
  });

  it('gives the facts of a hand-made store the same swept as read one by one, what the sweep lacks read one by one', async () => {
    // A data root of its own: 300 chains, and among them what grep -r and find -type f leave out.
    const root = join(work, 'root');
    const real = join(work, 'real-store');
    const dir = join(root, 'image', 'overlay2', 'layerdb');
    mkdirSync(dir, { recursive: true });
    mkdirSync(real);
    // The store itself a symlink: grep -r follows its starting point, find -H too. Relative links:
    // read one by one through the helper container's view of the host's root, an absolute target
    // would resolve against the container's own root (the sweep runs in the host's namespace).
    symlinkSync('../../../../real-store', join(dir, 'sha256'));
    const chains = Array.from({ length: 300 }, (_, i) => i.toString(16).padStart(64, '0'));
    for (const [i, h] of chains.entries()) {
      if (i === 7) continue;
      mkdirSync(join(real, h));
      if (i !== 3) writeFileSync(join(real, h, 'cache-id'), `${(i + 1).toString(16).padStart(64, 'f')}\n`);
      writeFileSync(join(real, h, 'size'), `${i * 1000}`);
      if (i === 5) symlinkSync('cache-id', join(real, h, 'tar-split.json.gz'));
      else if (i !== 6) writeFileSync(join(real, h, 'tar-split.json.gz'), Buffer.alloc(20 * (i + 1)));
    }
    // A chain directory that is a symlink: grep -r does not enter it, the read op does.
    mkdirSync(join(work, 'elsewhere'));
    writeFileSync(join(work, 'elsewhere', 'cache-id'), 'a'.repeat(64));
    writeFileSync(join(work, 'elsewhere', 'size'), '99');
    symlinkSync('../elsewhere', join(real, chains[7] as string));
    const ids = chains.map((h) => `sha256:${h}`);
    const facts = async (sweepMin: number) =>
      Object.fromEntries((await readLayerFacts(helper, root, ids, [], undefined, 'x', sweepMin)).facts);
    const [viaSweep, oneByOneFacts] = [await facts(0), await facts(Number.POSITIVE_INFINITY)];
    expect(viaSweep).toEqual(oneByOneFacts);
    expect(Object.keys(viaSweep)).toHaveLength(299); // chain 3 has no cache-id
    expect(viaSweep['sha256:'.concat(chains[1] as string)]).toEqual({
      cacheId: `${'f'.repeat(63)}2`,
      size: 1000,
      work: 2,
    });
    expect(viaSweep['sha256:'.concat(chains[7] as string)]).toEqual({
      cacheId: 'a'.repeat(64),
      size: 99,
      work: null,
    });
    // The symlinked tar-split: its length as a link (8 bytes, "cache-id"), as stat gives it.
    expect(viaSweep['sha256:'.concat(chains[5] as string)]?.work).toBe(1);
    expect(viaSweep['sha256:'.concat(chains[6] as string)]?.work).toBeNull();
  });

  it('gives nothing for a store holding a file deeper down under a name that could pass for a chain file', async () => {
    const dir = join(work, 'deep', 'sha256');
    const a = 'a'.repeat(64);
    mkdirSync(join(dir, a, 'cache-id:'), { recursive: true });
    writeFileSync(join(dir, a, 'cache-id'), 'e'.repeat(64));
    writeFileSync(join(dir, a, 'cache-id:', 'size'), '999');
    writeFileSync(join(dir, a, 'size'), '1');
    // The directory named "cache-id:" is not entered: the chain's own files only.
    expect(swept(await sweepLayerStore(helper, dir), [a])).toEqual([[a, 'e'.repeat(64), '1', undefined]]);
    // Any other entry deeper down is refused whole: the caller reads the files one by one.
    mkdirSync(join(dir, a, 'sub'));
    writeFileSync(join(dir, a, 'sub', 'size'), '5');
    expect(await sweepLayerStore(helper, dir)).toBeUndefined();
  });
});
