// Explorer speed: keypress → new frame on a generated 5,000-layer model (baseline: the same on
// 50 layers, so the ratio shows how it scales), and launch → first frame in a real terminal
// (baseline: `docker image ls` on the same engine).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventEmitter } from 'node:events';
import { render } from 'ink';
import { makeModel } from '../test/support/model.js';
import type { EngineData } from '../source/tui/data-context.js';
import { Explorer } from '../source/tui/explorer/Explorer.js';

function model(layers: number) {
  const perImage = 100;
  const all = Array.from({ length: layers }, (_, i) => ({ id: `l${i}`, size: i * 10, disk: 4096 * (i + 1), cmd: `RUN step ${i}` }));
  const images = Array.from({ length: Math.ceil(layers / perImage) }, (_, k) => ({
    id: `i${k}`,
    tags: [`bench/img${k}:1`],
    layers: [all[0] as (typeof all)[number], ...all.slice(k * perImage + 1, (k + 1) * perImage)],
  }));
  return makeModel(images);
}

// A terminal as Ink sees one: a TTY of known size (the testing library's stdout reports no rows,
// so Ink would ask `tput` for them on every frame, a process per frame that no user pays).
class Terminal extends EventEmitter {
  readonly isTTY = true;
  readonly columns = 120;
  readonly rows = 30;
  writes = 0;
  lastWriteAt = 0;
  write = (_frame: string): boolean => {
    this.writes++;
    this.lastWriteAt = performance.now();
    return true;
  };
}
class Keyboard extends EventEmitter {
  readonly isTTY = true;
  private data: string | null = null;
  press(key: string): void {
    this.data = key;
    this.emit('readable');
    this.emit('data', key);
  }
  read = (): string | null => {
    const d = this.data;
    this.data = null;
    return d;
  };
  setEncoding(): void {}
  setRawMode(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
}

async function keypressMs(layers: number, presses = 40): Promise<number> {
  const data: EngineData = { phase: 'ready', model: model(layers), progress: undefined, helper: 'ready', message: undefined, refresh: () => {} };
  const stdout = new Terminal();
  const stdin = new Keyboard();
  // The options the app renders with (source/tui/run.tsx), in a terminal of a fixed size.
  const app = render(<Explorer data={data} onQuit={() => {}} size={{ columns: 120, rows: 30 }} />, {
    stdout: stdout as unknown as NodeJS.WriteStream,
    stdin: stdin as unknown as NodeJS.ReadStream,
    stderr: stdout as unknown as NodeJS.WriteStream,
    interactive: true,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  await new Promise((r) => setTimeout(r, 300));
  const times: number[] = [];
  for (let i = 0; i < presses; i++) {
    // Presses a user makes, not faster than Ink's frame pacing (30 frames a second).
    await new Promise((r) => setTimeout(r, 40));
    const before = stdout.writes;
    const t = performance.now();
    // Every press must change the screen: down and up in turn, and now and then End then Home.
    stdin.press(i % 10 === 8 ? 'G' : i % 10 === 9 ? 'g' : i % 2 === 0 ? 'j' : 'k');
    while (stdout.writes === before && performance.now() - t < 2000) await new Promise((r) => setTimeout(r, 0));
    times.push(stdout.lastWriteAt - t);
  }
  app.unmount();
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? Number.NaN;
}

const small = await keypressMs(50);
const big = await keypressMs(5000);
console.log('\nexplorer keypress → new frame (median of 40)');
console.log(`  50 layers:    ${small.toFixed(1)} ms`);
console.log(`  5,000 layers: ${big.toFixed(1)} ms   (goal <= 50 ms: ${big <= 50 ? 'met' : 'NOT met'}; ratio to 50 layers ${(big / small).toFixed(2)})`);

const hosts = (process.env.LAYERTOP_BENCH_ENGINES ?? '').split(',').filter(Boolean);
const root = join(import.meta.dirname, '..', '..');
const docker = join(root, '.cache', 'engine', process.env.LAYERTOP_ENGINE_SET ?? 'stable', 'root', 'usr', 'bin', 'docker');
for (const host of hosts) {
  const t0 = performance.now();
  execFileSync(docker, ['image', 'ls'], { env: { ...process.env, DOCKER_HOST: host } });
  const cli = performance.now() - t0;
  const session = `lt-bench-${process.pid}`;
  const timing = join(tmpdir(), `lt-bench-timing-${process.pid}.txt`);
  rmSync(timing, { force: true });
  spawnSync('tmux', ['kill-session', '-t', session]);
  const t1 = performance.now();
  spawnSync('tmux', [
    'new-session', '-d', '-s', session, '-x', '120', '-y', '30',
    `env DOCKER_HOST=${host} LAYERTOP_TIMING_FILE=${timing} ${process.execPath} ${join(root, 'bin', 'layertop.js')}; sleep 30`,
  ]);
  let firstFrame = Number.NaN;
  let tree = Number.NaN;
  while (performance.now() - t1 < 20_000 && Number.isNaN(tree)) {
    const screen = spawnSync('tmux', ['capture-pane', '-p', '-t', session]).stdout.toString();
    const now = performance.now() - t1;
    if (Number.isNaN(firstFrame) && /helper:|Connecting/.test(screen)) firstFrame = now;
    if (screen.includes('▣')) tree = now;
  }
  // Let the helper finish measuring (the "measured" milestone) before quitting.
  const t2 = performance.now();
  while (performance.now() - t2 < 30_000 && !(existsSync(timing) && readFileSync(timing, 'utf8').includes('measured')))
    await new Promise((r) => setTimeout(r, 100));
  spawnSync('tmux', ['send-keys', '-t', session, 'q']);
  await new Promise((r) => setTimeout(r, 1500));
  spawnSync('tmux', ['kill-session', '-t', session]);
  // Milestones from inside the process (ms since it started), free of tmux's own polling delay.
  const inside = Object.fromEntries(
    (existsSync(timing) ? readFileSync(timing, 'utf8') : '')
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(' ') as [string, string]),
  );
  console.log(`\nexplorer launch on ${host}`);
  console.log(
    `  from inside the process: first frame ${inside['first-frame']} ms, tree ${inside.tree} ms, measured ${inside.measured ?? 'not reached in 30 s'} ms`,
  );
  rmSync(timing, { force: true });
  console.log(`  docker image ls (baseline): ${cli.toFixed(0)} ms`);
  const treeInside = Number(inside.tree);
  console.log(`  first frame seen in tmux:   ${firstFrame.toFixed(0)} ms   (ratio ${(firstFrame / cli).toFixed(2)})`);
  console.log(`  layer tree seen in tmux:    ${tree.toFixed(0)} ms   (ratio ${(tree / cli).toFixed(2)})`);
  console.log(`  layer tree, in process:     ${treeInside.toFixed(0)} ms   (goal <= 300 ms: ${treeInside <= 300 ? 'met' : 'NOT met'}; ratio ${(treeInside / cli).toFixed(2)})`);
}
