// A layer's files through the helper: for every test image on both storage backends, the merged
// view layertop computes from the layers equals `docker export` of a fresh container of that image.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { getInfo } from '../../source/engine/docker/inventory.js';
import { listLayers, resolveFilesTarget } from '../../source/engine/files.js';
import { parseCacheText } from '../../source/engine/helper/size-cache.js';
import { startHelper } from '../../source/engine/session.js';
import { filePathJson } from '../../source/model/file-path.js';
import { mergedList } from '../../source/model/overlay.js';
import { client, docker, ENGINE_BIN, type EngineName, engineHost, layertop } from '../support/engines.js';
import { freshEngine } from '../support/fresh-engine.js';
import { readTar, type TarEntry } from '../support/tar.js';

const run = promisify(execFile);

interface FileJson {
  path: string;
  pathBase64?: string;
  type: string;
  size: number;
  linkTarget: string | null;
  layer: string;
  status?: string;
}
interface FilesJson {
  wastedBytes: number;
  layer: { index: number; wastedBytes: number };
  opaqueKnown: boolean;
  entries: FileJson[];
}

/** The exact bytes of a JSON path, relative (no leading slash), as a latin1 string. */
const bytesOf = (e: FileJson) =>
  (e.pathBase64 ? Buffer.from(e.pathBase64, 'base64') : Buffer.from(e.path, 'utf8'))
    .toString('latin1')
    .replace(/^\//, '');

async function exportOf(engine: EngineName, container: string): Promise<TarEntry[]> {
  const { stdout } = await run(join(ENGINE_BIN, 'docker'), ['export', container], {
    env: { ...process.env, DOCKER_HOST: engineHost(engine) },
    encoding: 'buffer',
    maxBuffer: 1024 * 1024 * 1024,
  });
  return readTar(stdout);
}

async function files(engine: EngineName, args: string[]): Promise<FilesJson> {
  const res = await layertop(['files', ...args, '--json'], { engine });
  expect(res.stderr).toBe('');
  expect(res.code).toBe(0);
  return JSON.parse(res.stdout) as FilesJson;
}

/** path → what both sides must agree on: type, size (regular files), link target (symlinks). */
function fromExport(tar: TarEntry[]): Map<string, string> {
  const byPath = new Map(tar.map((t) => [t.path, t]));
  const out = new Map<string, string>();
  for (const t of tar) {
    if (t.path === '') continue;
    // A hard link is a regular file with its target's size.
    if (t.type === 'hardlink') out.set(t.path, `file ${byPath.get(t.linkTarget.replace(/^\//, ''))?.size}`);
    else if (t.type === 'file') out.set(t.path, `file ${t.size}`);
    else if (t.type === 'symlink') out.set(t.path, `symlink ${t.linkTarget}`);
    else out.set(t.path, t.type);
  }
  return out;
}

function fromLayertop(entries: FileJson[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of entries) {
    const p = bytesOf(e);
    if (e.type === 'file') out.set(p, `file ${e.size}`);
    else if (e.type === 'symlink') out.set(p, `symlink ${e.linkTarget}`);
    else out.set(p, e.type);
  }
  return out;
}

function diffMaps(a: Map<string, string>, b: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [k, v] of a)
    if (b.get(k) !== v) out.push(`${JSON.stringify(k)}: export ${v} / layertop ${b.get(k)}`);
  for (const [k, v] of b) if (!a.has(k)) out.push(`${JSON.stringify(k)}: export - / layertop ${v}`);
  return out;
}

describe.each(['overlay2', 'containerd'] as const)('files on the %s engine', (engine) => {
  // Every test image exported and its merged view made: 53-120 s in CI runs 62-63, and once over
  // the 180 s default on Docker 28.5 under load (run 63): its own limit.
  it('the merged view of every test image equals docker export of a fresh container of it', async () => {
    const tags = (await docker(engine, ['images', '--format', '{{.Repository}}:{{.Tag}}']))
      .split('\n')
      .filter((t) => t.startsWith('layertop-test/') || t === 'busybox:latest');
    expect(tags.length).toBeGreaterThanOrEqual(9);
    // One helper for all the images (the CLI's own path is tested below).
    const c = await client(engine);
    const info = await getInfo(c);
    const helper = await startHelper(c, info, {});
    try {
      for (const tag of tags) {
        const id = (await docker(engine, ['create', '--network=none', tag, 'sh'])).trim();
        try {
          const expected = fromExport(await exportOf(engine, id));
          // The container: its image's layers, then its init layer, then its writable layer.
          const target = await resolveFilesTarget(c, helper, info, id);
          const { layers, opaqueKnown } = await listLayers(helper, target);
          expect(opaqueKnown).toBe(true);
          const top = layers.length - 1;
          const entries = (k: number): FileJson[] =>
            mergedList(layers, k).map((m) => ({
              ...filePathJson(m.path),
              type: m.entry.type,
              size: m.entry.size,
              linkTarget: m.entry.linkTarget ?? null,
              layer: target.layers[m.layer]?.id ?? '',
            }));
          const ctr = entries(top);
          expect(diffMaps(expected, fromLayertop(ctr)), `${tag} (container)`).toEqual([]);
          // The image alone (the layers below init): the same, except where the init layer adds
          // or replaces an entry (/.dockerenv, /etc/hostname, /etc/hosts, /dev/console, ...).
          const initAt = target.layers.findIndex((l) => l.id === 'init');
          expect(initAt).toBeGreaterThan(0);
          const fromInit = new Set(ctr.filter((e) => e.layer === 'init').map(bytesOf));
          expect(fromInit.size).toBeGreaterThan(0);
          const imageView = fromLayertop(entries(initAt - 1));
          for (const p of fromInit) {
            expected.delete(p);
            imageView.delete(p);
          }
          expect(diffMaps(expected, imageView), `${tag} (image)`).toEqual([]);
        } finally {
          await docker(engine, ['rm', '-f', id]);
        }
      }
    } finally {
      await helper.close();
    }
  }, 360_000);

  it('shows the edge layers as overlayfs applies them: whiteout, opaque directory, chmod copy-up', async () => {
    const opaqueLayer = await files(engine, ['layertop-test/edge:latest', '--layer', '-2']);
    const status = new Map(opaqueLayer.entries.map((e) => [e.path, `${e.status} ${e.type}`]));
    expect(status.get('/w/gone')).toBe('deleted whiteout');
    expect(status.get('/opq/new')).toBe('added file');
    // "rm -rf /opq && mkdir /opq": overlay2's layer holds an opaque directory (found by the mount
    // probe); the containerd store's unpacked layer holds a plain directory and a whiteout for
    // each old child. Both say the same thing, and the merged views above agree with export.
    if (engine === 'overlay2') expect(status.get('/opq')).toBe('opaque dir');
    else {
      expect(status.get('/opq/old')).toBe('deleted whiteout');
      expect(status.get('/opq/sub')).toBe('deleted whiteout');
    }
    const merged = await files(engine, ['layertop-test/edge:latest', '--merged']);
    const paths = merged.entries.map((e) => e.path);
    expect(paths).toContain('/opq/new');
    expect(paths).not.toContain('/opq/old');
    expect(paths).not.toContain('/opq/sub/deep');
    expect(paths).not.toContain('/w/gone');
    const chmod = await files(engine, ['layertop-test/edge:latest']);
    expect(chmod.entries.find((e) => e.path === '/links/mode.bin')).toMatchObject({
      status: 'modified',
      size: 80000,
    });
    // The chmod-only copy-up wastes the whole lower copy.
    expect(chmod.wastedBytes).toBeGreaterThanOrEqual(80000);
  });

  it("reads the image layers' opaque directories from their xattrs (the host's GNU tar), as the overlay mounts say", async () => {
    // The same views, every layer of edge and of the image with the most layers, both ways: the
    // host's tar (one process) and the overlay mounts (--no-host-tools); the ops traced.
    const dir = mkdtempSync(join(tmpdir(), 'lt-opaque-ops-'));
    const traced = async (args: string[], name: string) => {
      const file = join(dir, name);
      const res = await layertop(['files', ...args, '--json'], {
        engine,
        env: { LAYERTOP_TIMING_FILE: file, LAYERTOP_TIMING_OPS: '1' },
      });
      expect(res.stderr).toBe('');
      expect(res.code).toBe(0);
      const ops = readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('op ') && l.includes(' sent '))
        .map((l) => l.split(' ')[1]);
      return { json: JSON.parse(res.stdout) as FilesJson, ops };
    };
    for (const layer of ['-2', '-1']) {
      const args = ['layertop-test/edge:latest', '--layer', layer, '--merged'];
      const tar = await traced(args, `tar${layer}`);
      const mounts = await traced([...args, '--no-host-tools'], `mounts${layer}`);
      expect(tar.ops).toContain('gopaque');
      expect(tar.ops).not.toContain('probes');
      expect(mounts.ops).toContain('probes');
      expect(mounts.ops).not.toContain('gopaque');
      expect(tar.json).toEqual(mounts.json);
      const diffTar = await traced(args.slice(0, 3), `dtar${layer}`);
      const diffMounts = await traced([...args.slice(0, 3), '--no-host-tools'], `dmounts${layer}`);
      expect(diffTar.json).toEqual(diffMounts.json);
      if (engine === 'overlay2' && layer === '-2')
        expect(diffTar.json.entries.find((e) => e.path === '/opq')?.status).toBe('opaque');
    }
  });

  // Only overlay2 has a layer store to remember answers of (cache-id, size, tar-split): on the
  // containerd store the test holds the listing with a scan's cache equal to one without.
  it(
    engine === 'overlay2'
      ? "lists the same from the layer store's answers a scan remembered, and reads them again once stale"
      : 'lists the same with the size cache a scan wrote as without it',
    async () => {
      const env = { LAYERTOP_CACHE_DIR: mkdtempSync(join(tmpdir(), 'lt-files-cache-')) };
      expect((await layertop(['scan', '--json'], { engine, env })).code).toBe(0);
      const args = ['files', 'layertop-test/edge:latest', '--merged', '--json'];
      /** A run's stdout, and the helper requests it made (LAYERTOP_TIMING_OPS). */
      const traced = async (extra: string[], more: NodeJS.ProcessEnv = {}) => {
        const marks = join(mkdtempSync(join(tmpdir(), 'lt-files-ops-')), 'marks');
        const r = await layertop([...args, ...extra], {
          engine,
          env: { ...env, ...more, LAYERTOP_TIMING_FILE: marks, LAYERTOP_TIMING_OPS: '1' },
        });
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        const ops = readFileSync(marks, 'utf8')
          .split('\n')
          .filter((l) => / sent /.test(l))
          .map((l) => l.split(' ')[1]);
        return { stdout: r.stdout, ops };
      };
      const fresh = await traced(['--no-cache']);
      const remembered = await traced([]);
      expect(JSON.parse(remembered.stdout).entries.length).toBeGreaterThan(3); // the fixture is there
      expect(remembered.stdout).toBe(fresh.stdout);
      if (engine !== 'overlay2') return;
      // overlay2: the layer store's files (cache-id, size, tar-split) were read only without the cache.
      expect(fresh.ops).toContain('read');
      expect(remembered.ops).not.toContain('read');
      // Every remembered directory made stale (a layer removed and pulled again gets a new one):
      // none is listed, so each is read again, and the listing is the same.
      const file = join(env.LAYERTOP_CACHE_DIR, 'layer-sizes.json');
      // Written back in the first version's form (one line), which is still read.
      const data = { version: 1, ...parseCacheText(readFileSync(file, 'utf8')) } as {
        facts: Record<string, { cacheId?: string }>;
      };
      let made = 0;
      for (const [k, v] of Object.entries(data.facts))
        if (k.includes('|overlay2-layer|') && v.cacheId) {
          v.cacheId = 'f'.repeat(64);
          made++;
        }
      expect(made).toBeGreaterThan(3);
      writeFileSync(file, JSON.stringify(data));
      const stale = await traced([]);
      expect(stale.ops).toContain('read');
      expect(stale.stdout).toBe(fresh.stdout);
      // A cache file written by someone else, naming an entry that IS listed but is no layer
      // ("l", overlay2's directory of short links): not taken either.
      for (const [k, v] of Object.entries(data.facts))
        if (k.includes('|overlay2-layer|') && v.cacheId) v.cacheId = 'l';
      writeFileSync(file, JSON.stringify(data));
      const forged = await traced([]);
      expect(forged.ops).toContain('read');
      expect(forged.stdout).toBe(fresh.stdout);
    },
  );

  it("counts the overwrite fixture's wasted bytes as exactly the overwritten file", async () => {
    const res = await files(engine, ['layertop-test/overwrite:latest']);
    expect(res.wastedBytes).toBe(300000);
    const text = await layertop(['files', 'layertop-test/overwrite:latest', '--layer', '-2'], { engine });
    expect(text.stdout).toMatch(/wasted here 300kB \(image: 300kB\)/);
    // --layer -2 is the layer below the top, said so beside its number (0 is the bottom).
    expect(text.stdout).toMatch(
      /^layertop-test\/overwrite:latest: layer \d+ \(1 below the top of \d+; 0 is the bottom\) RUN /,
    );
    // The merged view's first column is the layer each entry comes from, and its header says so.
    const merged = await layertop(['files', 'layertop-test/overwrite:latest', '--merged'], { engine });
    expect(merged.stdout.split('\n')[1]).toBe('LYR TYPE         SIZE  PATH');
    // The top layer's 100kB: the 300kB below it is hidden (layers 0 to 2: the base, then the two RUNs).
    expect(merged.stdout).toMatch(/^ {2}2 file +100kB {2}\/data\/file\.bin$/m);
  });

  it('prints hostile names escaped: no control byte reaches the terminal', async () => {
    const res = await layertop(['files', 'layertop-test/hostile:latest', '--layer', '1'], { engine });
    expect(res.code).toBe(0);
    expect(res.stdout).toContain('/hostile/new\\nline');
    expect(res.stdout).toContain('/hostile/esc\\e[31mred\\e]0;title\\x07');
    expect(res.stdout).toContain('/hostile/bad\\xff\\xfeutf8');
    expect(res.stdout).toContain('/hostile/$(touch PWNED)');
    // eslint-disable-next-line no-control-regex
    expect(res.stdout).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f]/);
  });
});

// Only overlay2 mounts a running container's merged directory on the host; on the containerd store
// the container's view is computed from its layers (tested above with docker export).
describe('files: an ID prefix that names an image and a container', () => {
  it('is refused, naming both, never one of them picked', async () => {
    // A fresh engine of its own: busybox alone, and containers made until one's ID starts as the
    // image's does (about 16 tries; each other one removed at once). The local helper: a helper
    // container of its own could start with the same character too.
    const e = await freshEngine('overlay2', 'light');
    try {
      const image = (await e.docker(['images', '-q', '--no-trunc', 'busybox:latest']))
        .trim()
        .replace(/^sha256:/, '');
      const prefix = image.slice(0, 1);
      let container = '';
      for (let i = 0; i < 200 && !container; i++) {
        const id = (await e.docker(['create', 'busybox:latest', 'true'])).trim();
        if (id.startsWith(prefix)) container = id;
        else await e.docker(['rm', id]);
      }
      expect(container, 'a container whose ID starts as the image ID does').not.toBe('');
      const r = await layertop(['files', prefix, '--helper-mode', 'local'], { env: e.env });
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(
        new RegExp(
          `^layertop: "${prefix}" names both image ${image.slice(0, 12)} and container \\S+ \\(${container.slice(0, 12)}\\): give more of the ID, or a name`,
        ),
      );
    } finally {
      await e.stop();
    }
  }, 120_000);
});

describe('files: the live view of a running container (overlay2)', () => {
  const engine = 'overlay2' as const;
  it("shows a running container's live view (the kernel's overlay mount) equal to the union of its layers", async () => {
    const res = await layertop(['files', 'lt-running', '--merged', '--json'], { engine });
    expect(res.code).toBe(0);
    const live = JSON.parse(res.stdout) as FilesJson & { live: boolean };
    expect(live.live).toBe(true);
    const c = await client(engine);
    const info = await getInfo(c);
    const helper = await startHelper(c, info, {});
    try {
      const target = await resolveFilesTarget(c, helper, info, 'lt-running');
      const { merged } = await listLayers(helper, target);
      const computed = new Map<string, string>();
      for (const [p, m] of merged)
        computed.set(
          p,
          m.entry.type === 'file'
            ? `file ${m.entry.size}`
            : m.entry.type === 'symlink'
              ? `symlink ${m.entry.linkTarget}`
              : m.entry.type,
        );
      const fromLive = fromLayertop(live.entries);
      // The running container wrote /rw-running.bin: in its writable layer and in the live view.
      expect(fromLive.get('rw-running.bin')).toBe('file 3000000');
      expect(live.entries.find((e) => e.path === '/rw-running.bin')?.layer).toBe('rw');
      expect(diffMaps(computed, fromLive)).toEqual([]);
    } finally {
      await helper.close();
    }
  });
});
