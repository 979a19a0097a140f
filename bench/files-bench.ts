// npm run bench (files): listing every layer of the 50,000-file image through the helper, against
// `docker save` of the same image (dive's minimum work: it reads the saved tarball), in the same
// script; plus the time to the first rows (names only) and the memory the listing holds.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connectEngine } from '../source/engine/docker/docker-client.js';
import { resolveEndpoint } from '../source/engine/docker/endpoint.js';
import { listLayers, resolveFilesTarget } from '../source/engine/files.js';
import { HelperSession } from '../source/engine/helper/helper-session.js';
import { getInfo } from '../source/engine/docker/inventory.js';
import { listNames } from '../source/engine/helper/layer-list.js';
import { sortedView } from '../source/model/overlay.js';

const run = promisify(execFile);
const hosts = (process.env.LAYERTOP_BENCH_ENGINES ?? '').split(',').filter(Boolean);
const RUNS = Number(process.env.LAYERTOP_BENCH_RUNS ?? 5);
const IMAGE = 'layertop-test/many:latest';
const DOCKER = join(process.cwd(), '.cache', 'engine', process.env.LAYERTOP_ENGINE_SET ?? 'stable', 'root', 'usr', 'bin', 'docker');

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

for (const host of hosts) {
  const client = await connectEngine(resolveEndpoint({ host }));
  const info = await getInfo(client);
  const helper = await HelperSession.start(client, {
    dataRoot: info.DockerRootDir,
    ...(process.env.LAYERTOP_LANES ? { lanes: Number(process.env.LAYERTOP_LANES) } : {}),
  });
  try {
    const target = await resolveFilesTarget(client, helper, info, IMAGE);
    const top = target.layers.at(-1)?.dir as string;
    const save: number[] = [];
    const list: number[] = [];
    const first: number[] = [];
    let entries = 0;
    let heap = 0;
    for (let i = 0; i < RUNS; i++) {
      save.push(
        await timeIt(() =>
          run('sh', ['-c', `"${DOCKER}" save "${IMAGE}" > /dev/null`], { env: { ...process.env, DOCKER_HOST: host } }),
        ),
      );
      first.push(await timeIt(() => listNames(helper, top)));
      const before = process.memoryUsage().heapUsed;
      list.push(
        await timeIt(async () => {
          const { merged } = await listLayers(helper, target);
          entries = sortedView(merged).length;
          heap = Math.max(heap, process.memoryUsage().heapUsed - before);
        }),
      );
    }
    const s = median(save);
    const l = median(list);
    console.log(`\nfiles on ${host} (${IMAGE}, ${target.layers.length} layers, ${entries} entries merged), median of ${RUNS}`);
    console.log(`  docker save of the image:                 ${s.toFixed(0)} ms`);
    console.log(`  layertop: every layer listed and merged:  ${l.toFixed(0)} ms`);
    console.log(`  layertop: first rows (top layer's names): ${median(first).toFixed(0)} ms (goal <= 500 ms)`);
    console.log(`  docker save / layertop: ${(s / l).toFixed(2)}  (goal >= 3: ${s / l >= 3 ? 'met' : 'NOT met'})`);
    console.log(`  heap held by the listing: ${(heap / 1e6).toFixed(0)} MB (budget 200 MB: ${heap <= 200e6 ? 'within' : 'OVER'})`);
  } finally {
    await helper.close();
  }
}
