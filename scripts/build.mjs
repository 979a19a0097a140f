// One bundled ESM file keeps start-up to a single module load (the first frame must be cheap).
// Dependencies stay external, and code split at the dynamic imports keeps Ink, React and dockerode
// out of the start-up path of `--help`, `--version` and the first frame.
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';

await build({
  entryPoints: ['source/cli/main.ts'],
  outdir: 'dist',
  entryNames: 'layertop',
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
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
