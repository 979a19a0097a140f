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
import { sweepLayerStore } from '../../source/engine/storage/storage-overlay2.js';
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
    writeFileSync(join(dir, d, 'size'), '7');
    const s = await sweepLayerStore(helper, dir);
    expect(swept(s, [a, b, c, d])).toEqual([
      [a, 'e'.repeat(64), '12', 100],
      [b, 'x\ny $(touch /tmp/lt-sweep-pwned)', undefined, undefined],
      [c, undefined, undefined, undefined],
      [d, undefined, '7', undefined],
    ]);
    expect(swept(s, [a, b, c, d])).toEqual(await oneByOne(dir, [a, b, c, d]));
    expect(readdirSync('/tmp').includes('lt-sweep-pwned')).toBe(false);
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
