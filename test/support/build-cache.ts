// A build cache made of several real builds on a test engine: local contexts, cache mounts,
// multi-stage builds whose first stage is in no image, and a build whose image is removed
// afterwards (its records then belong to no image). Random data, so every record has real bytes.

import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FreshEngine } from './fresh-engine.js';

export interface CacheRecordJson {
  ID: string;
  ' Parents'?: string[] | null;
  Parents?: string[] | null;
  Type: string;
  Description: string;
  InUse: boolean;
  Shared: boolean;
  Size: number;
  CreatedAt: string;
  LastUsedAt?: string | null;
  UsageCount: number;
}

export interface BuiltCache {
  /** Seconds since the epoch: after build C (image removed), before A; after A, before B. */
  afterC: number;
  afterA: number;
}

/** One real build of `dockerfile` with a context of random files (name → bytes). */
export async function build(e: FreshEngine, tag: string, dockerfile: string, files: Record<string, number>) {
  const ctx = mkdtempSync(join(tmpdir(), 'lt-bc-'));
  try {
    writeFileSync(join(ctx, 'Dockerfile'), dockerfile);
    for (const [name, bytes] of Object.entries(files)) {
      mkdirSync(join(ctx, name, '..'), { recursive: true });
      writeFileSync(join(ctx, name), randomBytes(bytes));
    }
    await e.docker(['build', '-q', '--network=none', '-t', tag, ctx]);
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Builds C (then removes its image), A and B, a little apart so their records' times differ. */
export async function makeBuildCache(e: FreshEngine): Promise<BuiltCache> {
  await build(
    e,
    'lt-bc/c:latest',
    'FROM busybox\nRUN head -c 900000 /dev/urandom > /c.bin\nCOPY ctx-c.bin /ctx-c.bin\n',
    { 'ctx-c.bin': 300_000 },
  );
  await e.docker(['rmi', 'lt-bc/c:latest']);
  await pause(1500);
  const afterC = Date.now() / 1000;
  await pause(1500);
  await build(
    e,
    'lt-bc/a:latest',
    [
      'FROM busybox AS build',
      'RUN --mount=type=cache,target=/cache,id=lt-cache-a head -c 2000000 /dev/urandom > /cache/c.bin && head -c 1000000 /dev/urandom > /out.bin',
      'FROM busybox',
      'COPY data/ /data/',
      'COPY --from=build /out.bin /out.bin',
      '',
    ].join('\n'),
    { 'data/a.bin': 1_500_000 },
  );
  await pause(1500);
  const afterA = Date.now() / 1000;
  await pause(1500);
  await build(
    e,
    'lt-bc/b:latest',
    [
      'FROM busybox AS gen',
      'RUN head -c 600000 /dev/urandom > /g.bin',
      'FROM busybox',
      'COPY data/ /data/',
      'COPY --from=gen /g.bin /g.bin',
      'RUN --mount=type=cache,target=/c,id=lt-cache-b head -c 500000 /dev/urandom > /c/x.bin',
      '',
    ].join('\n'),
    { 'data/b.bin': 800_000 },
  );
  await e.settle();
  return { afterC, afterA };
}

/** The engine's own records (GET /system/df), with parents under either JSON spelling. */
export async function apiRecords(e: FreshEngine): Promise<CacheRecordJson[]> {
  const out = await e.api('GET', '/system/df');
  return ((JSON.parse(out) as { BuildCache?: CacheRecordJson[] | null }).BuildCache ?? []).map((r) => ({
    ...r,
    Parents: r.Parents ?? r[' Parents'] ?? [],
  }));
}
