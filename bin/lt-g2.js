#!/usr/bin/env node
// Launcher: layertop needs Node >= 22 (Ink 8). When started by an older Node, re-run under the
// Node 24 that the clone's devDependencies bring (package `node`), so no manual install is needed.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  const bundled = join(here, '..', 'node_modules', 'node', 'bin', 'node');
  if (!existsSync(bundled)) {
    process.stderr.write(
      `layertop: needs Node.js 22 or newer (found ${process.version}). Install Node 22+, or run \`npm ci\` in the clone to get Node 24.\n`,
    );
    process.exit(1);
  }
  const r = spawnSync(bundled, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  if (r.signal) process.kill(process.pid, r.signal);
  process.exit(r.status ?? 1);
}
// V8 grows its young generation up to 16x its start when much of what it allocates survives (a
// scan's model, a layer of 400,000 entries): measured on the scale engine, that young space was a
// third of the peak (listing the 400,000-file layer: 360 MB, 242 MB without the growth, in the
// same time). Set before anything large exists; only on the V8 versions it was measured with
// (Node 22-24: V8 12-13), as an unknown flag would print an error. V8 reads this flag each time it
// would grow the young generation, so setting it after start-up takes effect (measured above).
const v8major = Number(process.versions.v8.split('.')[0]);
if (v8major >= 12 && v8major <= 13)
  (await import('node:v8')).setFlagsFromString('--semi-space-growth-factor=2');
// V8's code cache across runs (Node >= 22.1): the bundle is parsed and compiled once, not at every start.
const { enableCompileCache } = await import('node:module');
enableCompileCache?.();
await import('../dist/layertop.js');
