// Access to the throwaway engines that scripts/test.sh started. Tests talk to nothing else.
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { connectEngine, type EngineClient } from '../../source/engine/docker/docker-client.js';
import { resolveEndpoint } from '../../source/engine/docker/endpoint.js';
import { traced } from './trace.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = join(ROOT, 'bin', 'layertop.js');
/** The engine version under test (scripts/fetch-engine.sh): stable (Docker 26.1) or sid (Docker 28.5). */
export const ENGINE_SET = process.env.LAYERTOP_ENGINE_SET ?? 'stable';
export const ENGINE_BIN = join(ROOT, '.cache', 'engine', ENGINE_SET, 'root', 'usr', 'bin');
const run = promisify(execFile);

export type EngineName = 'overlay2' | 'containerd' | 'containerd-ext';
interface EngineEntry {
  host: string;
  config: string;
}

function engines(): Record<string, EngineEntry> {
  const raw = process.env.LAYERTOP_TEST_ENGINES;
  if (!raw) throw new Error('LAYERTOP_TEST_ENGINES is not set: run the engine tests through `npm test`');
  return JSON.parse(raw) as Record<string, EngineEntry>;
}

export function engineHost(name: EngineName): string {
  const e = engines()[name];
  if (!e) throw new Error(`test engine ${name} was not started`);
  // The deletion guard in the product trusts this marker; tests check it too before touching anything.
  const sock = e.host.replace(/^unix:\/\//, '');
  if (!existsSync(join(dirname(sock), 'layertop-test-engine')))
    throw new Error(`${e.host} is not a test engine`);
  return e.host;
}

export function engineNames(): EngineName[] {
  return Object.keys(engines()) as EngineName[];
}

export async function client(name: EngineName): Promise<EngineClient> {
  return connectEngine(resolveEndpoint({ host: engineHost(name) }));
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the built layertop bin against a test engine. */
export function layertop(
  args: string[],
  opts: {
    engine?: EngineName;
    env?: NodeJS.ProcessEnv;
    onSpawn?: (pid: number) => void;
    uid?: number;
    gid?: number;
  } = {},
): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env };
  if (opts.engine) env.DOCKER_HOST = engineHost(opts.engine);
  return traced(
    `layertop ${args.join(' ').slice(0, 60)}`,
    () =>
      new Promise<CliResult>((res, rej) => {
        const child = spawn(process.execPath, [BIN, ...args], {
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
          ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.gid ?? opts.uid } : {}),
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => {
          stdout += d.toString('utf8');
        });
        child.stderr.on('data', (d: Buffer) => {
          stderr += d.toString('utf8');
        });
        child.on('error', rej);
        if (child.pid) opts.onSpawn?.(child.pid);
        child.on('close', (code, signal) => res({ code, signal, stdout, stderr }));
      }),
  );
}

/** Runs a docker CLI command against a test engine (the CLI from the pinned engine packages). */
export async function docker(name: EngineName, args: string[]): Promise<string> {
  const { stdout } = await run(join(ENGINE_BIN, 'docker'), args, {
    env: { ...process.env, DOCKER_HOST: engineHost(name), DOCKER_CONFIG: engines()[name]?.config ?? '' },
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

export async function sh(cmd: string, args: string[]): Promise<string> {
  const { stdout } = await run(cmd, args, { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

export async function helperContainers(name: EngineName): Promise<string[]> {
  const out = await docker(name, ['ps', '-aq', '--filter', 'label=io.layertop.helper']);
  return out.split('\n').filter(Boolean);
}

/**
 * A helper container as a layertop process that is gone (PID 2147480000) would have left it: created,
 * never started, with the helper label and these (owner or kept-by, ...). Its ID.
 */
export async function staleHelper(name: EngineName, labels: Record<string, string>): Promise<string> {
  const args = ['create', '--network=none', '--label', 'io.layertop.helper=1'];
  for (const [k, v] of Object.entries(labels)) args.push('--label', `${k}=${v}`);
  return (await docker(name, [...args, 'busybox', 'true'])).trim();
}

/** The "<host>:<pid>" of a layertop process that does not exist on this machine. */
export const GONE_OWNER = `${hostname()}:2147480000`;

export async function waitFor(
  cond: () => Promise<boolean>,
  timeoutMs = 20_000,
  stepMs = 100,
): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await cond()) return true;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return false;
}

export interface RawResult {
  code: number;
  out: Buffer;
  err: string;
}

/** Runs a program against a test engine with its stdout as bytes (names need not be UTF-8). */
export async function runRaw(cmd: string, args: string[], engine: EngineName): Promise<RawResult> {
  try {
    const { stdout, stderr } = await run(cmd, args, {
      env: { ...process.env, DOCKER_HOST: engineHost(engine) },
      encoding: 'buffer',
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, out: stdout, err: stderr.toString('utf8') };
  } catch (e) {
    const err = e as { code?: number; stdout?: Buffer; stderr?: Buffer };
    return {
      code: err.code ?? -1,
      out: err.stdout ?? Buffer.alloc(0),
      err: err.stderr?.toString('utf8') ?? '',
    };
  }
}

/** The engine's own release and newest API, as `docker version` prints them: the rules that differ by version key on these. */
export async function engineVersion(name: EngineName): Promise<{ version: string; api: string }> {
  const [version = '', api = ''] = (
    await docker(name, ['version', '--format', '{{.Server.Version}} {{.Server.APIVersion}}'])
  )
    .trim()
    .split(' ');
  return { version, api };
}
