// A running container swaps the files and directories layertop lists for symlinks that point out of
// its layer (up to the host's root, or absolute) while layertop reads them, as an attacker would:
// every read must be refused, in the container's writable layer (its diff) and in its live merged
// view, on both storage backends; never a byte of the host's file. The reads go through the code
// the explorer's preview and `layertop cat` use (engine/file-read.ts, loadPreview, the CLI), as
// they read these roots: opened through a view that follows no symlink and opens no device (live).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineClient } from '../../source/engine/docker/docker-client.js';
import { getInfo } from '../../source/engine/docker/inventory.js';
import {
  FileReadError,
  type FileSource,
  layerSource,
  readFileHead,
  readFileParts,
} from '../../source/engine/file-read.js';
import { type FilesTarget, listLayers, resolveFilesTarget } from '../../source/engine/files.js';
import type { HelperSession } from '../../source/engine/helper/helper-session.js';
import { listLayerDir } from '../../source/engine/helper/layer-list.js';
import { startHelper } from '../../source/engine/session.js';
import type { EngineData } from '../../source/tui/engine-data.js';
import { openFiles } from '../../source/tui/files/files-view.js';
import { loadPreview } from '../../source/tui/files/use-files-view.js';
import { BIN, client, docker, type EngineName, runRaw } from '../support/engines.js';

/** More ".." than any data root is deep: from anywhere in a layer, up to the host's root. */
const UP = '../'.repeat(24);

/** The built CLI, stdout as bytes. */
const cat = (engine: EngineName, args: string[]) => runRaw(process.execPath, [BIN, 'cat', ...args], engine);

describe.each(['overlay2', 'containerd'] as const)(
  'no read follows a symlink out of a layer (%s)',
  (engine) => {
    const name = `lt-escape-${engine}-${process.pid}`;
    let hostDir = '';
    let marker: Buffer = Buffer.alloc(0);
    /** The first bytes of the host's real /etc/shadow (root-only), when this process can read it. */
    let shadow: Buffer | undefined;
    let c: EngineClient;
    let helper: HelperSession;
    /** The local helper (root on the engine's host): a follow there would reach the host's root. */
    let local: HelperSession;
    let target: FilesTarget;
    let rw = 0;
    /** The roots a reader reaches the container's files through: its writable layer and its live view. */
    let roots: { label: string; root: string }[] = [];
    const exec = (script: string) => docker(engine, ['exec', name, 'sh', '-c', script]);

    /** Never a byte of the host's files, whatever came back. */
    const notHost = (bytes: Buffer | string) => {
      const b = Buffer.from(bytes);
      expect(b.includes(marker.subarray(0, 24))).toBe(false);
      if (shadow?.length) expect(b.includes(shadow.subarray(0, Math.min(24, shadow.length)))).toBe(false);
    };

    /** A read that must be refused, with the reason the helper gave. */
    async function refused(src: FileSource): Promise<string> {
      try {
        const got = await readFileHead(helper, { ...src, live: true }, 16384);
        notHost(got.bytes);
        return `read ${JSON.stringify(got.bytes.toString('latin1').slice(0, 40))}`;
      } catch (err) {
        if (!(err instanceof FileReadError)) throw err;
        return err.reason;
      }
    }

    beforeAll(async () => {
      hostDir = mkdtempSync('/tmp/layertop-escape-');
      marker = Buffer.from(`HOST-ONLY MARKER ${randomBytes(12).toString('hex')}\n`);
      writeFileSync(`${hostDir}/marker`, marker);
      try {
        shadow = readFileSync('/etc/shadow');
      } catch {
        shadow = undefined;
      }
      await docker(engine, ['rm', '-f', name]).catch(() => '');
      await docker(engine, ['run', '-d', '--network=none', '--name', name, 'busybox', 'sleep', '3600']);
      await exec(
        'mkdir -p /data/dir /data/dir2 && echo container-file > /data/file && echo container-abs > /data/abs' +
          ' && echo container-ok > /data/ok' +
          ' && echo container-shadow > /data/dir/shadow && echo container-marker > /data/dir2/marker',
      );
      c = await client(engine);
      const info = await getInfo(c);
      helper = await startHelper(c, info, {});
      local = await startHelper(c, info, { helperMode: 'local' });
      target = await resolveFilesTarget(c, helper, info, name);
      rw = target.layers.findIndex((l) => l.id === 'rw');
      expect(rw).toBeGreaterThan(0);
      expect(target.mergedDir, 'a running container has a live view').toBeTruthy();
      roots = [
        { label: 'writable layer', root: target.layers[rw]?.dir ?? '' },
        { label: 'live view', root: target.mergedDir ?? '' },
      ];
    });

    afterAll(async () => {
      await helper?.close();
      await local?.close();
      await docker(engine, ['rm', '-f', name]).catch(() => '');
      if (hostDir) rmSync(hostDir, { recursive: true, force: true });
    });

    it('reads the listed files before the swap: through the layer, the live view, the preview and cat', async () => {
      const own = await listLayerDir(helper, target.layers[rw]?.dir ?? '');
      expect(own.find((e) => e.path === 'data/file')?.type).toBe('file');
      for (const { root } of roots) {
        expect(
          (await readFileHead(helper, { root, path: 'data/file', live: true }, 100)).bytes.toString(),
        ).toBe('container-file\n');
        expect(
          (await readFileHead(helper, { root, path: 'data/dir/shadow', live: true }, 100)).bytes.toString(),
        ).toBe('container-shadow\n');
      }
      const res = await cat(engine, [name, '/data/dir2/marker']);
      expect(res.err).toBe('');
      expect(res.out.toString()).toBe('container-marker\n');
    });

    it('refuses a listed file or directory swapped for a symlink out of the layer, never showing host bytes', async () => {
      // The listing the explorer holds, taken before the swap: it still says "file" and "dir".
      const listed = await listLayers(helper, target);
      const stale = listed.layers[rw] ?? [];
      expect(stale.find((e) => e.path === 'data/file')?.type).toBe('file');
      expect(stale.find((e) => e.path === 'data/dir')?.type).toBe('dir');
      await exec(
        [
          `rm /data/file && ln -s ${UP}${hostDir.slice(1)}/marker /data/file`,
          'rm /data/abs && ln -s /etc/shadow /data/abs',
          `rm -r /data/dir && ln -s ${UP}etc /data/dir`,
          `rm -r /data/dir2 && ln -s ${UP}${hostDir.slice(1)} /data/dir2`,
        ].join(' && '),
      );
      // The symlinks really lead to the host's files from the layer (so the refusals below matter).
      const layerDir = target.layers[rw]?.dir ?? '';
      expect(existsSync(layerDir), layerDir).toBe(true);
      expect(readFileSync(`${layerDir}/data/file`)).toEqual(marker);

      for (const { label, root } of roots) {
        expect(await refused({ root, path: 'data/file' }), `${label}: file -> host marker`).toBe(
          'not-regular',
        );
        expect(await refused({ root, path: 'data/abs' }), `${label}: file -> /etc/shadow`).toBe(
          'not-regular',
        );
        expect(await refused({ root, path: 'data/dir/shadow' }), `${label}: dir -> host /etc`).toBe(
          'outside',
        );
        expect(await refused({ root, path: 'data/dir2/marker' }), `${label}: dir -> host dir`).toBe(
          'outside',
        );
        // The whole-file read (cat's) refuses the same way.
        await expect(
          (async () => {
            for await (const part of readFileParts(helper, { root, path: 'data/file' })) notHost(part);
          })(),
        ).rejects.toBeInstanceOf(FileReadError);
      }

      // The explorer's preview of the stale rows: the reason, not the host's bytes.
      const data = {
        readFile: (src: FileSource, n: number) => readFileHead(helper, src, n),
      } as unknown as EngineData;
      const view = { ...openFiles(name, name), target, listed, layer: rw };
      for (const path of ['data/file', 'data/dir/shadow', 'data/dir2/marker']) {
        const item = stale.find((e) => e.path === path);
        expect(item, path).toBeDefined();
        if (!item) continue;
        const lines = await loadPreview(data, view, { ...item, layer: rw });
        const text = lines.map((l) => l.text).join('\n');
        notHost(text);
        expect(text).toMatch(/^\(cannot be read: .*inside the layer \(a symlink\?\)\)$/);
      }
      const src = layerSource(target, rw, 'data/dir/shadow');
      expect(src.root).toBe(layerDir);

      // The CLI lists again: the file is a symlink now (its target is printed, never followed), and
      // what was below the swapped directory is not there at all.
      const link = await cat(engine, [name, '/data/file']);
      expect(link.code).toBe(0);
      expect(link.out.toString('latin1')).toBe(`${UP}${hostDir.slice(1)}/marker\n`);
      for (const args of [
        [name, '/data/dir/shadow'],
        [name, '/data/dir2/marker', '--merged'],
      ]) {
        const res = await cat(engine, args);
        notHost(res.out);
        expect(res.code, args.join(' ')).toBe(1);
        expect(res.err).toMatch(/no such file/);
      }
    });

    /** The swapped paths of the test above, refused by another helper just the same. */
    async function refusedByOther(options: Parameters<typeof startHelper>[2]): Promise<void> {
      const c2 = await client(engine);
      const other = await startHelper(c2, await getInfo(c2), options);
      try {
        for (const { label, root } of roots) {
          const ok = await readFileHead(other, { root, path: 'data/ok', live: true }, 100);
          expect(ok.bytes.toString(), label).toBe('container-ok\n');
          for (const [path, reason] of [
            ['data/file', 'not-regular'],
            ['data/abs', 'not-regular'],
            ['data/dir/shadow', 'outside'],
            ['data/dir2/marker', 'outside'],
          ] as const) {
            const got = await readFileHead(other, { root, path, live: true }, 100).then(
              (r) => `read ${r.bytes.toString('latin1')}`,
              (err: unknown) => (err instanceof FileReadError ? err.reason : String(err)),
            );
            notHost(got);
            expect(got, `${label}: ${path}`).toBe(reason);
          }
        }
      } finally {
        await other.close();
      }
    }

    it('refuses the same with a Debian helper image (dash and GNU tools instead of busybox)', async () => {
      await refusedByOther({ helperImage: 'layertop-test/debian:bookworm' });
    });

    it("refuses the same with the local helper (the host's own sh and tools, no container)", async () => {
      await refusedByOther({ helperMode: 'local' });
    });

    /**
     * Reads of race/f and race/d/marker, both roots in turn, by the helper container and the local
     * helper in turn (in blocks of four reads): never host bytes; the outcomes.
     */
    async function raceReads(count: number, through = roots): Promise<Map<string, number>> {
      const outcomes = new Map<string, number>();
      for (let i = 0; i < count; i++) {
        const { root } = through[i % through.length] ?? { root: '' };
        const path = i % 4 < 2 ? 'race/f' : 'race/d/marker';
        const by = Math.floor(i / 4) % 2 ? local : helper;
        let outcome: string;
        try {
          const got = await readFileHead(by, { root, path, live: true }, 16384);
          notHost(got.bytes);
          // The container's own file, whole; race/d/marker is made empty and then written, so a
          // read between the two finds it empty (seen once in CI run 65): that is its content then.
          const text = got.bytes.toString();
          if (path === 'race/d/marker' && text === '') outcome = 'read-empty';
          else {
            expect(text).toBe('container-race\n');
            outcome = 'read';
          }
        } catch (err) {
          if (!(err instanceof FileReadError)) throw err;
          outcome = err.reason;
        }
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }
      expect([...outcomes.values()].reduce((a, b) => a + b, 0)).toBe(count);
      return outcomes;
    }

    it('never returns host bytes while the container swaps a file and a directory for symlinks as fast as it can', async () => {
      await exec(
        'rm -rf /race && mkdir -p /race/d && echo container-race > /race/f && echo container-race > /race/d/marker',
      );
      // Renames are atomic: the name is the container's file (directory), the symlink, or missing.
      const loop = [
        'echo $$ > /tmp/swapper.pid;',
        'while :; do',
        `  ln -s ${UP}${hostDir.slice(1)}/marker /race/f.l; mv -f /race/f.l /race/f;`,
        '  echo container-race > /race/f.n; mv -f /race/f.n /race/f;',
        `  rm -rf /race/d; ln -s ${UP}${hostDir.slice(1)} /race/d;`,
        '  rm -f /race/d; mkdir /race/d; echo container-race > /race/d/marker;',
        'done',
      ].join(' ');
      await docker(engine, ['exec', '-d', name, 'sh', '-c', loop]);
      try {
        // 120 reads: each now goes through the live view (a private mount namespace, about 0.1 s
        // under CI's load); 200 of them took CI past 40 minutes (run 49), and 120 still meet
        // dozens of swaps (40-50% of reads were refused in every run).
        const outcomes = await raceReads(120);
        console.log(`${engine}: 120 reads while the container swaps:`, Object.fromEntries(outcomes));
        // The swaps really raced the reads: some were refused.
        expect((outcomes.get('not-regular') ?? 0) + (outcomes.get('outside') ?? 0)).toBeGreaterThan(0);
      } finally {
        // Stop the loop by its PID and wait until it is gone: a loop still running would rebuild
        // /race under the next test's set-up.
        await exec(
          'p=$(cat /tmp/swapper.pid); kill $p; while kill -0 $p 2>/dev/null; do sleep 0.05; done; true',
        ).catch(() => '');
      }
    });

    it('never returns host bytes when the swaps land between the check and the cd or the open', async () => {
      // busybox's shell forks for each mv, so the loop above swaps about once a millisecond and
      // rarely lands inside the microseconds between a check and the cd or open that follows it. A
      // container with a compiled swapper renames a thousand times faster: the same renames, done
      // here in the container's writable layer by a process of its own, to hit those windows. Read
      // through that layer only: renames made below a mounted overlay are undefined behaviour for
      // its merged view (it can show a file empty), not something a container can do.
      await exec(
        'for i in 1 2 3 4 5; do rm -rf /race && break; sleep 0.2; done; mkdir -p /race/d && echo container-race > /race/f && cp /race/f /race/d/marker',
      );
      await exec(
        `ln -s ${UP}${hostDir.slice(1)}/marker /race/f.link && ln -s ${UP}${hostDir.slice(1)} /race/d.link`,
      );
      const dir = `${target.layers[rw]?.dir}/race`;
      const swapper = spawn(
        process.execPath,
        [
          '-e',
          `const fs = require('node:fs'); const d = process.argv[1];
         const mv = (a, b) => { try { fs.renameSync(d + a, d + b); } catch {} };
         for (;;) { mv('/f', '/f.file'); mv('/f.link', '/f'); mv('/f', '/f.link'); mv('/f.file', '/f');
                    mv('/d', '/d.dir'); mv('/d.link', '/d'); mv('/d', '/d.link'); mv('/d.dir', '/d'); }`,
          dir,
        ],
        { stdio: 'ignore' },
      );
      try {
        const outcomes = await raceReads(300, roots.slice(0, 1));
        console.log(`${engine}: 300 reads while a fast swapper renames:`, Object.fromEntries(outcomes));
        expect((outcomes.get('not-regular') ?? 0) + (outcomes.get('outside') ?? 0)).toBeGreaterThan(0);
      } finally {
        swapper.kill('SIGKILL');
      }
    });
  },
);
