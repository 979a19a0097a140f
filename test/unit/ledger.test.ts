import { describe, expect, it } from 'vitest';
import type { FileStat } from '../../source/engine/helper/helper-read.js';
import type { HelperSession } from '../../source/engine/helper/helper-session.js';
import {
  finishLedger,
  knownPieces,
  type LedgerStart,
  missingEntries,
  startLedger,
} from '../../source/engine/ledger-walk.js';
import type { StorageLayout } from '../../source/engine/storage/storage-layout.js';
import { buildLedger, classifyPath } from '../../source/model/ledger.js';
import type { ScanInputs } from '../../source/model/report.js';
import type { ImageInput } from '../../source/model/types.js';

describe('the disk ledger', () => {
  it('puts every piece in one category, adds up exactly, and leaves the unknown unexplained', () => {
    const l = buildLedger({
      dataRoot: '/var/lib/docker',
      imageStore: 'graphdriver',
      pieces: [
        { path: 'overlay2/abc', bytes: 100_000, key: 'images', id: 'sha256:c1', name: 'app:1' },
        { path: 'overlay2/l', bytes: 4096 },
        { path: 'containers/c1/c1-json.log', bytes: 5_000_000, key: 'logs', id: 'c1', name: 'web' },
        { path: 'containers/c1/config.v2.json', bytes: 4096, key: 'containers', id: 'c1', name: 'web' },
        { path: 'volumes/data', bytes: 8192, key: 'volumes', name: 'data' },
        { path: 'volumes/metadata.db', bytes: 32768 },
        { path: 'buildkit', bytes: 65536, key: 'buildCache' },
        { path: 'network', bytes: 12288 },
        { path: '.', bytes: 4096 },
        { path: 'mystery.bin', bytes: 1000 },
      ],
    });
    const by = Object.fromEntries(l.categories.map((c) => [c.key, c.bytes]));
    expect(by).toEqual({
      images: 104_096,
      containers: 4096,
      logs: 5_000_000,
      volumes: 8192,
      buildCache: 65536,
      leftovers: 0,
      otherStore: 0,
      engine: 32768 + 12288 + 4096,
    });
    expect(l.unexplainedBytes).toBe(1000);
    expect(l.unexplained).toEqual([{ path: 'mystery.bin', bytes: 1000 }]);
    const sum = l.categories.reduce((a, c) => a + c.bytes, 0) + l.unexplainedBytes;
    expect(sum).toBe(l.totalBytes);
    expect(l.categories.find((c) => c.key === 'logs')?.items[0]).toEqual({
      path: 'containers/c1/c1-json.log',
      bytes: 5_000_000,
      id: 'c1',
      name: 'web',
    });
  });

  it('names the store not in use as the other store, both ways', () => {
    // A layer directory nothing names is a leftover; the short links and the directory are the images'.
    expect(classifyPath('overlay2/xyz', 'graphdriver')).toBe('leftovers');
    expect(classifyPath('overlay2/l', 'graphdriver')).toBe('images');
    expect(classifyPath('overlay2/.', 'graphdriver')).toBe('images');
    expect(classifyPath('overlay2/xyz', 'containerd')).toBe('otherStore');
    expect(classifyPath('image/overlay2/imagedb', 'containerd')).toBe('otherStore');
    const snap = 'containerd/daemon/io.containerd.snapshotter.v1.overlayfs/snapshots/12';
    expect(classifyPath(snap, 'containerd')).toBe('images');
    expect(classifyPath(snap, 'graphdriver')).toBe('otherStore');
    // The snapshotter's database grows with every container create and never shrinks.
    const snapDb = 'containerd/daemon/io.containerd.snapshotter.v1.overlayfs/metadata.db';
    expect(classifyPath(snapDb, 'containerd')).toBe('engine');
    expect(classifyPath(snapDb, 'graphdriver')).toBe('otherStore');
    expect(classifyPath('containerd/daemon/io.containerd.metadata.v1.bolt/meta.db', 'graphdriver')).toBe(
      'engine',
    );
    expect(classifyPath('something-else', 'graphdriver')).toBeUndefined();
    // The containerd store's mount points of running containers' views: the engine's.
    expect(classifyPath('rootfs', 'containerd')).toBe('engine');
  });

  it("keeps the volume store's own entries out of the volumes (no volume to remove)", () => {
    for (const p of ['volumes', 'volumes/.', 'volumes/metadata.db', 'volumes/backingFsBlockDev'])
      expect([p, classifyPath(p, 'graphdriver')]).toEqual([p, 'engine']);
    expect(classifyPath('volumes/pgdata', 'graphdriver')).toBe('volumes');
  });
});

describe("the ledger's use of a listing taken at the scan's start", () => {
  it('finds the targets it lacks (a container created while the scan waited for the API), once', () => {
    const listed = [Buffer.from('./aaa'), Buffer.from('./bbb-init')];
    expect(missingEntries(listed, ['bbb-init', 'ccc', 'ccc-init', 'ccc'])).toEqual(['ccc', 'ccc-init']);
  });
  it('finds none in a listing that has them all', () => {
    const listed = [Buffer.from('./aaa')];
    expect(missingEntries(listed, ['aaa'])).toEqual([]);
    expect(missingEntries(listed, [])).toEqual([]);
  });
});

describe('the ledger started beside the walks (a first scan)', () => {
  // Started before the walks said which targets exist, it keeps aside the targets a listing taken
  // at the scan's start lacks; the scan's finding decides at the end. No helper request is made
  // when every target kept has the scan's figure (a helper that is asked anything fails the test).
  const noHelper = new Proxy({} as HelperSession, {
    get: (_t, k) => {
      throw new Error(`the helper was asked for ${String(k)}`);
    },
  });
  const start: LedgerStart = {
    root: '/d',
    pieces: [{ path: 'overlay2/l', bytes: 4096 }],
    targetEntries: ['overlay2/aaa'],
    lateTargets: ['overlay2/ccc', 'overlay2/gone'],
    byContainerDir: new Map(),
    logConfigs: new Map(),
    readLogConfigs: new Map(),
    plan: { listed: [], walked: [] },
  };
  const measured = new Map([
    ['/d/overlay2/aaa', 8192],
    ['/d/overlay2/ccc', 12288],
  ]);
  it('counts a late target the scan found, with its bytes, and leaves out one it found missing', async () => {
    const pieces = await finishLedger(noHelper, start, measured, new Map(), (p) => p !== '/d/overlay2/gone');
    expect(pieces.map((p) => [p.path, p.bytes])).toEqual([
      ['overlay2/l', 4096],
      ['overlay2/aaa', 8192],
      ['overlay2/ccc', 12288],
    ]);
  });
});

describe("the ledger's start from listings taken at the scan's start", () => {
  // Every listing and every listed directory's stat is known already (a first scan's early reads):
  // the helper is asked nothing (a helper asked anything but whether it has GNU find fails the
  // test). A target the listing lacks (created after it) is kept aside as late, not lost.
  const helper = new Proxy({} as HelperSession, {
    get: (_t, k) => {
      if (k === 'hostFind') return true;
      throw new Error(`the helper was asked for ${String(k)}`);
    },
  });
  const stat = (blocks: number): FileStat => ({
    dev: '1',
    ino: '2',
    nlink: 2,
    size: 4096,
    blocks,
    mode: 0o40755,
    ctime: '',
  });
  const names = (...n: string[]) => n.map((x) => Buffer.from(`./${x}`, 'latin1'));
  const known = new Map([
    ['/d', names('overlay2', 'containerd')],
    ['/d/overlay2', names('aaa')],
    ['/d/containerd', names('daemon')],
    ['/d/containerd/daemon', names()],
    ['/d/volumes', names()],
  ]);
  const stats = new Map([...known.keys()].map((d, i) => [d, stat(8 * (i + 1))]));
  it('keeps a target the listing lacks aside, counts the one it has, and each listed directory by its own blocks', async () => {
    const start = await startLedger(
      helper,
      '/d',
      ['/d/overlay2/aaa', '/d/overlay2/bbb'],
      [],
      'json-file',
      known,
      {
        stats,
      },
    );
    expect(start.targetEntries).toEqual(['overlay2/aaa']);
    expect(start.lateTargets).toEqual(['overlay2/bbb']);
    expect(start.pieces.map((p) => [p.path, p.bytes])).toEqual([
      ['.', 4096],
      ['containerd/.', 12288],
      ['containerd/daemon/.', 16384],
      ['overlay2/.', 8192],
      ['volumes/.', 20480],
    ]);
    expect(start.plan).toEqual({
      listed: ['/d', '/d/containerd', '/d/containerd/daemon', '/d/overlay2', '/d/volumes'],
      walked: [],
    });
  });
});

describe('what the ledger names a layer by', () => {
  it('names a shared layer by a tagged image that has it, not a dangling one listed first, and how many more have it', () => {
    const base = `sha256:${'b'.repeat(64)}`;
    const img = (id: string, tags: string[]): ImageInput => ({
      id,
      tags,
      created: 0,
      diffIds: [base],
      layerCommands: [undefined],
    });
    const inputs = {
      images: [img(`sha256:${'d'.repeat(64)}`, []), img(`sha256:${'e'.repeat(64)}`, ['app:1'])],
      containers: [],
      volumes: [],
    } as unknown as ScanInputs;
    const layout = {
      kind: 'overlay2',
      dataRoot: '/var/lib/docker',
      layers: new Map([[base, { path: '/var/lib/docker/overlay2/x', size: 1 }]]),
      containers: new Map(),
      buildCacheDirs: [],
      contentSub: 'diff',
      imageConfigPath: () => '',
      extraTargets: [],
    } as unknown as StorageLayout;
    const known = knownPieces(inputs, layout, '/var/lib/docker');
    // ... and says it is not that image's alone.
    expect(known.get('/var/lib/docker/overlay2/x')).toEqual({
      key: 'images',
      id: base,
      name: 'app:1 and 1 other image',
    });
    const three = knownPieces(
      { ...inputs, images: [...inputs.images, img(`sha256:${'f'.repeat(64)}`, ['app:2'])] } as ScanInputs,
      layout,
      '/var/lib/docker',
    );
    expect(three.get('/var/lib/docker/overlay2/x')?.name).toBe('app:1 and 2 other images');
    // One ID listed twice is one image.
    const twice = knownPieces(
      {
        ...inputs,
        images: [...inputs.images, { ...(inputs.images[1] as ImageInput), tags: ['app:v2'] }],
      } as ScanInputs,
      layout,
      '/var/lib/docker',
    );
    expect(twice.get('/var/lib/docker/overlay2/x')?.name).toBe('app:1 and 1 other image');
    // Only dangling images: named by one of them (its short ID), not left unnamed.
    const alone = knownPieces(
      { ...inputs, images: [inputs.images[0]] } as ScanInputs,
      layout,
      '/var/lib/docker',
    );
    expect(alone.get('/var/lib/docker/overlay2/x')?.name).toBe('dddddddddddd');
  });
});
