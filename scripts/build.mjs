// One bundled ESM file keeps start-up to a single module load (the first frame must be cheap).
// dockerode and its transitive CommonJS stay external: they load lazily only when the engine is needed.
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';

await build({
  entryPoints: ['source/cli/main.ts'],
  outfile: 'dist/layertop.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  sourcemap: 'linked',
  jsx: 'automatic',
  packages: 'external',
  logLevel: 'warning',
  define: { __LAYERTOP_VERSION__: JSON.stringify(JSON.parse(readFileSync('package.json', 'utf8')).version) },
});
