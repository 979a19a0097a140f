// npm run bench: speed figures as ratios against a baseline run in the same process and helper,
// so they mean the same on any machine. Talks only to the test engines scripts/bench.sh starts.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectEngine } from '../source/engine/docker/docker-client.js';
import { resolveEndpoint } from '../source/engine/docker/endpoint.js';
import { HelperSession } from '../source/engine/helper/helper-session.js';
import { getInfo } from '../source/engine/docker/inventory.js';
import { scanEngine } from '../source/engine/scan.js';
import { SizeCache } from '../source/engine/helper/size-cache.js';

const hosts = (process.env.LAYERTOP_BENCH_ENGINES ?? '').split(',').filter(Boolean);
const RUNS = Number(process.env.LAYERTOP_BENCH_RUNS ?? 5);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

const fmt = (ms: number) => `${ms.toFixed(0)} ms`;
const ratio = (a: number, b: number, goal: string, ok: boolean) => `${(a / b).toFixed(2)}  (goal ${goal}: ${ok ? 'met' : 'NOT met'})`;

for (const host of hosts) {
  const client = await connectEngine(resolveEndpoint({ host }));
  const info = await getInfo(client);
  const helper = await HelperSession.start(client, { dataRoot: info.DockerRootDir, lanes: Number(process.env.LAYERTOP_LANES ?? 2) });
  try {
    // The directories a scan walks (layers, containers, volumes, build cache), found by one scan;
    // the baseline is bare `du -s` over exactly those.
    const probe = await scanEngine(client, { helper, info });
    const dirs = probe.inputs.measuredDirs ?? [];
    const cold: number[] = [];
    const du: number[] = [];
    const warm: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      // Alternate so that page-cache state favours neither side.
      du.push(await timeIt(() => helper.run('du', dirs, 600_000)));
      const cacheFile = join(mkdtempSync(join(tmpdir(), 'lt-bench-')), 'sizes.json');
      cold.push(await timeIt(() => scanEngine(client, { helper, info, cache: new SizeCache(cacheFile) })));
      warm.push(await timeIt(() => scanEngine(client, { helper, info, cache: new SizeCache(cacheFile) })));
    }
    const c = median(cold);
    const d = median(du);
    const w = median(warm);
    const storage = probe.report.engine.storage;
    console.log(`\nengine ${host} (${storage}): ${probe.report.layers.length} layers, ${dirs.length} directories, median of ${RUNS}`);
    console.log(`  bare du -s over the same directories: ${fmt(d)}`);
    console.log(`  cold scan (no size cache):            ${fmt(c)}`);
    console.log(`  warm scan (size cache filled):        ${fmt(w)}`);
    console.log(`  cold scan / bare du:   ${ratio(c, d, '<= 1.3', c / d <= 1.3)}`);
    console.log(`  warm scan / cold scan: ${ratio(w, c, '<= 0.1', w / c <= 0.1)}`);
  } finally {
    await helper.close();
  }
}
