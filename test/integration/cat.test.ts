// `layertop cat`: a file of a layer, or of the merged view at a layer, byte for byte what the
// image's own container holds (`docker run IMAGE cat PATH`), on both storage backends.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, ENGINE_BIN, type EngineName, runRaw } from '../support/engines.js';

const cat = (engine: EngineName, args: string[]) => runRaw(process.execPath, [BIN, 'cat', ...args], engine);
const inContainer = async (engine: EngineName, image: string, path: string) => {
  const r = await runRaw(
    join(ENGINE_BIN, 'docker'),
    ['run', '--rm', '--network=none', image, 'cat', path],
    engine,
  );
  expect(r.code, r.err).toBe(0);
  return r.out;
};

describe.each(['overlay2', 'containerd'] as const)('layertop cat on the %s engine', (engine) => {
  it('prints a file of the top layer byte for byte: terminal escapes in it go out raw when piped', async () => {
    // The hostile image's last layer writes ESC and BEL bytes into /hostile/esc-cmd.
    const want = await inContainer(engine, 'layertop-test/hostile:latest', '/hostile/esc-cmd');
    expect(want.includes(0x1b)).toBe(true);
    const got = await cat(engine, ['layertop-test/hostile:latest', '/hostile/esc-cmd']);
    expect(got.err).toBe('');
    expect(got.code).toBe(0);
    expect(got.out.equals(want)).toBe(true);
  });

  it('prints binary files from lower layers with --merged, whole (several parts)', async () => {
    for (const path of ['/opt/common/lib.bin', '/app/a.bin']) {
      // lib.bin (2 MiB) comes from common's layer below; a.bin (1 MiB, exactly one part) from the top.
      const want = await inContainer(engine, 'layertop-test/app-a:latest', path);
      const got = await cat(engine, ['layertop-test/app-a:latest', path, '--merged']);
      expect(got.err, path).toBe('');
      expect(got.out.length, path).toBe(want.length);
      expect(got.out.equals(want), path).toBe(true);
    }
    // Without --merged only the layer's own files: lib.bin is not in app-a's top layer.
    const own = await cat(engine, ['layertop-test/app-a:latest', '/opt/common/lib.bin']);
    expect(own.code).toBe(1);
    expect(own.out.length).toBe(0);
    expect(own.err).toMatch(/no such file in layer \d+'s own files/);
    // The layer that holds it, by index.
    const byLayer = await cat(engine, ['layertop-test/app-a:latest', 'opt/common/lib.bin', '--layer', '-2']);
    expect(byLayer.code, byLayer.err).toBe(0);
    expect(
      byLayer.out.equals(await inContainer(engine, 'layertop-test/app-a:latest', '/opt/common/lib.bin')),
    ).toBe(true);
  });

  it('prints a symlink as its target; a whiteout, a missing path and a directory are errors', async () => {
    const abs = await cat(engine, ['layertop-test/edge:latest', '/links/abs-sym', '--merged']);
    expect(abs.code, abs.err).toBe(0);
    expect(abs.out.toString()).toBe('/etc/hostname\n');
    const rel = await cat(engine, ['layertop-test/edge:latest', '/links/rel-sym', '--merged']);
    expect(rel.out.toString()).toBe('target.bin\n');
    // edge's second RUN deletes /w/gone: a whiteout in that layer, gone from the merged view.
    for (const args of [
      ['/w/gone', '--layer', '-2'],
      ['/w/gone', '--merged'],
    ]) {
      const res = await cat(engine, ['layertop-test/edge:latest', ...args]);
      expect(res.code, args.join(' ')).toBe(1);
      expect(res.err).toMatch(/^layertop: \/w\/gone: deleted in layer \d+ \(a whiteout\)\n$/);
    }
    const missing = await cat(engine, ['layertop-test/edge:latest', '/no/such', '--merged']);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/no such file/);
    const dir = await cat(engine, ['layertop-test/edge:latest', '/links', '--merged']);
    expect(dir.code).toBe(1);
    expect(dir.err).toMatch(/\/links: is a directory/);
    // A hostile name is found by its bytes, and shown escaped in messages.
    const named = await cat(engine, [
      'layertop-test/hostile:latest',
      '/hostile/esc\x1b[31mred\x1b]0;title\x07',
      '--merged',
    ]);
    expect(named.code, named.err).toBe(0);
    expect(named.out.toString()).toBe('x');
    const hostile = await cat(engine, [
      'layertop-test/hostile:latest',
      '/hostile/no\x1b[31m\nsuch',
      '--merged',
    ]);
    expect(hostile.code).toBe(1);
    expect(hostile.err).toMatch(
      /^layertop: \/hostile\/no\\e\[31m\\nsuch: no such file in the merged view at layer \d+\n$/,
    );
  });
});
