// temporary: times helper ops with many paths on the scale engine
import { openSession } from '../source/engine/session.js';
const s = await openSession({} as never);
const helper = await s.helper!;
const root = s.info.DockerRootDir;
const dirs = (await helper.run('liststat', ['/', `${root}/image/overlay2/layerdb/sha256`])).toString('latin1').split('\0').filter((x) => /^\.\/[0-9a-f]{64}$/.test(x)).map((x) => x.slice(2));
console.log('layers', dirs.length);
const files = dirs.flatMap((d) => [`${root}/image/overlay2/layerdb/sha256/${d}/cache-id`, `${root}/image/overlay2/layerdb/sha256/${d}/size`]);
const splits = dirs.map((d) => `${root}/image/overlay2/layerdb/sha256/${d}/tar-split.json.gz`);
for (let i = 0; i < 3; i++) {
  let t = performance.now();
  const r = await helper.readFiles(files);
  const a = performance.now() - t;
  t = performance.now();
  const st = await helper.statFiles(splits);
  const b = performance.now() - t;
  t = performance.now();
  await Promise.all([helper.readFiles(files), helper.statFiles(splits)]);
  const c = performance.now() - t;
  console.log(`read ${files.length}: ${a.toFixed(0)} ms (${r.filter(Boolean).length} read); stat ${splits.length}: ${b.toFixed(0)} ms (${st.filter(Boolean).length}); both at once ${c.toFixed(0)} ms`);
}
await helper.close();
process.exit(0);
