import { describe, expect, it } from 'vitest';
import { freedIfRemoved } from '../../source/model/freed.js';
import { planPrune } from '../../source/model/prune-plan.js';
import { base, common, makeModel } from '../support/model.js';

const d = (s: string) => `sha256:${s.padEnd(64, '0')}`;

function model() {
  const m = makeModel(
    [
      {
        id: 'aaa1',
        tags: ['shop/app-a:latest'],
        layers: [base, common, { id: 'a1', size: 10, disk: 4096, cmd: 'RUN a' }],
      },
      {
        id: 'bbb1',
        tags: ['shop/app-b:latest'],
        layers: [base, common, { id: 'b1', size: 20, disk: 8192, cmd: 'RUN b' }],
      },
      { id: 'ddd1', tags: [], layers: [base, { id: 'd1', size: 30, disk: 12288, cmd: 'RUN d' }] },
    ],
    [
      {
        id: 'run'.padEnd(64, '0'),
        name: 'web',
        imageId: 'aaa1',
        state: 'running',
        diskBytes: 1000,
        sizeRw: 900,
      },
      {
        id: 'old'.padEnd(64, '0'),
        name: 'job',
        imageId: 'bbb1',
        state: 'exited',
        diskBytes: 2000,
        metaDiskBytes: 300,
        sizeRw: 1500,
      },
    ],
  );
  m.inputs.networks.push(
    { id: 'n1', name: 'bridge', driver: 'bridge', builtin: true, containers: 0 },
    { id: 'n2', name: 'unused', driver: 'bridge', builtin: false, containers: 0 },
    { id: 'n3', name: 'busy', driver: 'bridge', builtin: false, containers: 1 },
  );
  m.inputs.volumes.push(
    { name: 'named', size: 5, diskBytes: 4096, anonymous: false, refCount: 0 },
    { name: 'f'.repeat(64), size: 7, diskBytes: 8192, anonymous: true, refCount: 0 },
  );
  m.inputs.buildCache = { records: 3, size: 100, diskBytes: 50_000 };
  return m;
}

describe('prune plan (docker system prune -a)', () => {
  it('removes stopped containers first, so their images become unused; keeps what a running container uses', () => {
    const p = planPrune(model(), { all: true, volumes: false });
    expect(p.containers.map((c) => c.name)).toEqual(['job']);
    expect(p.images.map((i) => i.id)).toEqual([d('bbb1'), d('ddd1')]);
    expect(p.kept.map((k) => [k.image.id, k.reason])).toEqual([[d('aaa1'), 'used by web (running)']]);
    expect(p.networks.map((n) => n.name)).toEqual(['unused']);
    expect(p.volumes).toEqual([]);
    expect(p.buildCache).toBe(true);
  });

  it('predicts the disk bytes that come back: unique layers only, the container with its logs, build cache', () => {
    const p = planPrune(model(), { all: true, volumes: false });
    // app-b's own layer (8192) and the dangling image's (12288); base and common stay for app-a.
    expect(p.predictedFreedBytes).toBe(8192 + 12288 + 2000 + 300 + 50_000);
    expect(p.dockerEstimateBytes).toBe(1500 + 100);
  });

  it('takes only anonymous unused volumes with --volumes, only dangling images without -a', () => {
    const p = planPrune(model(), { all: false, volumes: true });
    expect(p.volumes.map((v) => v.name)).toEqual(['f'.repeat(64)]);
    expect(p.images.map((i) => i.id)).toEqual([d('ddd1')]);
  });

  it('honours until and label filters as Docker does (build cache ignores labels)', () => {
    const m = model();
    for (const c of m.inputs.containers) c.labels = { team: 'x' };
    const p = planPrune(m, { all: true, volumes: false, filters: { notLabel: ['team=x'] } });
    expect(p.containers).toEqual([]);
    expect(p.buildCache).toBe(true);
    const q = planPrune(m, { all: true, volumes: false, filters: { until: 0 } });
    expect(q.images).toEqual([]);
    expect(q.buildCache).toBe(false);
  });

  it('counts a content-store blob shared by two images once, and only when both go', () => {
    const m = model();
    const [a, b, dd] = m.inputs.images;
    if (!a || !b || !dd) throw new Error('fixture');
    a.blobs = [{ digest: 'base-blob', diskBytes: 1000 }];
    b.blobs = [
      { digest: 'base-blob', diskBytes: 1000 },
      { digest: 'b-blob', diskBytes: 10 },
    ];
    dd.blobs = [{ digest: 'base-blob', diskBytes: 1000 }];
    const job = 'old'.padEnd(64, '0');
    // app-b goes with its stopped container; the base blob stays for app-a, which web still runs.
    expect(freedIfRemoved(m, { images: [b.id], containers: [job] })).toBe(2000 + 300 + 8192 + 10);
    expect(freedIfRemoved(m, { images: [b.id, dd.id], containers: [job] })).toBe(
      2000 + 300 + 8192 + 12288 + 10,
    );
    // An image a surviving container uses cannot go (Docker refuses without force).
    expect(freedIfRemoved(m, { images: [b.id], containers: [] })).toBe(0);
  });
});
