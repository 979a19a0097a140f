// A throwaway engine made fresh for one test: stopped and wiped if it exists, started, fixtures
// built. Prune tests delete things, so each gets its own engine, never the shared ones.
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { ENGINE_BIN, engineHost, ROOT } from './engines.js';
import { traced } from './trace.js';

const run = promisify(execFile);

export interface FreshEngine {
  name: string;
  host: string;
  dataRoot: string;
  env: NodeJS.ProcessEnv;
  docker: (args: string[]) => Promise<string>;
  /** One Engine API request over the socket (curl), its body as text. */
  api: (method: 'GET' | 'POST', path: string) => Promise<string>;
  /** `du -sx -B1` of the data root on the host (the running containers' merged mounts excluded). */
  du: () => Promise<number>;
  /** The same data root under the other image store (scripts/engines.sh restart). */
  restart: (store: 'overlay2' | 'containerd') => Promise<void>;
  /** Every path under the data root (same file system) with its allocated bytes, to explain a shrink. */
  files: () => Promise<Map<string, number>>;
  /**
   * Waits until the data root has not changed for 3 s (at most 30 s): a fresh engine's BuildKit
   * writes its state a few seconds after start (seen: buildkit/ 4,096 B larger after a scan had
   * measured it), and an exact comparison with du must not race that.
   */
  settle: () => Promise<void>;
  stop: () => Promise<void>;
}

/**
 * A fresh engine of the given backend. `full` builds the whole fixture set (about a minute);
 * `light` only imports busybox (the helper image), for tests that make their own small images.
 */
export async function freshEngine(
  kind: 'overlay2' | 'containerd',
  weight: 'full' | 'light' = 'full',
  /** An engine of its own name ("switch": one whose image store a test switches). */
  own?: 'switch',
): Promise<FreshEngine> {
  const enginesDir = dirname(dirname(engineHost('overlay2').replace(/^unix:\/\//, '')));
  const name = own ?? `${weight === 'full' ? 'prune' : 'light'}-${kind}`;
  const dir = join(enginesDir, name);
  const host = `unix://${dir}/docker.sock`;
  const env = {
    ...process.env,
    LAYERTOP_ENGINES_DIR: enginesDir,
    DOCKER_HOST: host,
    DOCKER_CONFIG: join(dir, 'config'),
  };
  const engines = (args: string[]) => run('bash', [join(ROOT, 'scripts', 'engines.sh'), ...args], { env });
  await engines(['stop-one', name]).catch(() => undefined);
  await traced('engine start', () => engines(['start', name]));
  if (weight === 'full')
    await run('bash', [join(ROOT, 'scripts', 'fixtures.sh')], { env, maxBuffer: 16 * 1024 * 1024 });
  else
    await run(
      'sh',
      [
        '-c',
        `"${ENGINE_BIN}/docker" import -c 'CMD ["sh"]' "${ROOT}/.cache/fixtures/busybox.tar" busybox:latest`,
      ],
      { env },
    );
  const dataRoot = join(dir, 'data');
  return {
    name,
    host,
    dataRoot,
    env,
    docker: async (args) =>
      traced(
        `docker ${args.join(' ').slice(0, 50)}`,
        async () =>
          (await run(join(ENGINE_BIN, 'docker'), args, { env, maxBuffer: 64 * 1024 * 1024 })).stdout,
      ),
    api: async (method, path) =>
      traced(
        `api ${path.slice(0, 40)}`,
        async () =>
          (
            await run(
              'curl',
              ['-sS', '-X', method, '--unix-socket', host.replace(/^unix:\/\//, ''), `http://docker${path}`],
              {
                maxBuffer: 64 * 1024 * 1024,
              },
            )
          ).stdout,
      ),
    restart: async (store) => {
      await engines(['restart', name, store]);
    },
    du: async () =>
      traced('du', async () => Number((await run('du', ['-sx', '-B1', dataRoot])).stdout.split('\t')[0])),
    files: async () => {
      const out = (
        await run('find', [dataRoot, '-xdev', '-printf', '%b\\t%i\\t%p\\0'], { maxBuffer: 256 * 1024 * 1024 })
      ).stdout;
      const map = new Map<string, number>();
      for (const rec of out.split('\0')) {
        const [blocks, , ...rest] = rec.split('\t');
        if (rest.length) map.set(rest.join('\t').slice(dataRoot.length), Number(blocks) * 512);
      }
      return map;
    },
    settle: async () =>
      traced('settle', async () => {
        // The engine is still changing while this waits (containerd's garbage collector removes
        // snapshots after a prune): an entry that vanishes during the walk makes find fail, and
        // that walk counts as a change, not as an error of the test (seen once in CI).
        const stamp = async () =>
          (
            await run('find', [dataRoot, '-xdev', '-printf', '%b %T@ %p\n'], {
              maxBuffer: 256 * 1024 * 1024,
            }).catch((err: { stdout?: string; stderr?: string }) => {
              if (!/No such file or directory/.test(err.stderr ?? '')) throw err;
              return { stdout: `changing ${Date.now()}\n${err.stdout ?? ''}` };
            })
          ).stdout;
        let last = await stamp();
        let quietSince = Date.now();
        const deadline = Date.now() + 30_000;
        while (Date.now() - quietSince < 3_000 && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 500));
          const now = await stamp();
          if (now !== last) {
            last = now;
            quietSince = Date.now();
          }
        }
      }),
    stop: async () => {
      await engines(['stop-one', name]).catch(() => undefined);
    },
  };
}

/** Every object of the engine by kind, as IDs (volumes by name), to compare before and after. */
export async function objects(e: FreshEngine): Promise<Record<string, string[]>> {
  const list = async (args: string[]) => (await e.docker(args)).split('\n').filter(Boolean).sort();
  return {
    container: await list(['ps', '-aq', '--no-trunc']),
    image: [...new Set(await list(['images', '-aq', '--no-trunc']))],
    volume: await list(['volume', 'ls', '-q']),
    network: await list(['network', 'ls', '-q', '--no-trunc']),
  };
}

/** Imports a one-layer image of `bytes` random bytes under the given tag; returns its ID. */
export async function importImage(e: FreshEngine, tag: string, bytes = 100_000): Promise<string> {
  const { stdout } = await run(
    'sh',
    [
      '-c',
      'd=$(mktemp -d) && mkdir "$d/data" && head -c "$1" /dev/urandom > "$d/data/blob" && tar -C "$d" -c data | "$2" import - "$3"; s=$?; rm -rf "$d"; exit $s',
      'sh',
      String(bytes),
      join(ENGINE_BIN, 'docker'),
      tag,
    ],
    { env: e.env },
  );
  return stdout.trim();
}

/**
 * The paths whose allocated bytes changed between two snapshots, largest change first, as
 * "+/-bytes path" lines, grouped by their first three path parts (one line per removed layer).
 * Printed when a prediction misses, so the miss names the files behind it.
 */
export function shrinkByPath(before: Map<string, number>, after: Map<string, number>, top = 25): string[] {
  const groups = new Map<string, number>();
  const add = (path: string, delta: number) => {
    if (!delta) return;
    const key = path.split('/').slice(0, 4).join('/');
    groups.set(key, (groups.get(key) ?? 0) + delta);
  };
  for (const [p, b] of before) add(p, b - (after.get(p) ?? 0));
  for (const [p, b] of after) if (!before.has(p)) add(p, -b);
  return [...groups]
    .sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]))
    .slice(0, top)
    .map(([p, d]) => `${d > 0 ? '-' : '+'}${Math.abs(d)} ${p}`);
}
