// The helper's ops without root or Docker: the same shell text the helper runs, under Debian's dash
// with GNU tools and under busybox sh with busybox's own applets, on a tree made here; their output
// goes through the parsers the product uses, and the figures are checked against the tree.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseList, parseRead, parseStat } from '../../source/engine/helper/helper-read.js';
import { HELPER_OPS } from '../../source/engine/helper/helper-script.js';
import { parseRdev, parseTree } from '../../source/engine/helper/layer-list.js';
import { parseGnuMeasure, parseMeasure } from '../../source/engine/helper/measure-parse.js';
import { parseReclaim } from '../../source/engine/helper/reclaim.js';

const ROOT = join(import.meta.dirname, '..', '..');
const BUSYBOX_TAR = join(ROOT, '.cache', 'fixtures', 'busybox.tar');

/** A symlink out of the test tree to /etc/shadow, resolving there from any depth below 16. */
const ESCAPE = `${'../'.repeat(16)}etc/shadow`;
const work = mkdtempSync(join(tmpdir(), 'lt-ops-'));
const opsFile = join(work, 'ops.sh');
writeFileSync(opsFile, HELPER_OPS);

/** busybox from the fixture tarball (npm test makes it before the tests), every applet on PATH. */
function busyboxPath(): string | undefined {
  if (!existsSync(BUSYBOX_TAR)) return undefined;
  const dir = join(work, 'bb');
  mkdirSync(dir, { recursive: true });
  execFileSync('tar', ['-xf', BUSYBOX_TAR, '-C', dir, './bin/busybox']);
  const bin = join(dir, 'bin');
  for (const applet of execFileSync(join(bin, 'busybox'), ['--list'], { encoding: 'utf8' }).split('\n'))
    if (applet && applet !== 'busybox') symlinkSync('busybox', join(bin, applet));
  return bin;
}

const bb = busyboxPath();
const shells: { name: string; shell: string; path: string }[] = [
  { name: 'dash with GNU tools', shell: '/usr/bin/dash', path: process.env.PATH ?? '/usr/bin:/bin' },
  ...(bb ? [{ name: 'busybox sh with busybox applets', shell: join(bb, 'sh'), path: bb }] : []),
];

/** A tree with what layers hold: nested directories, a hard link, a symlink, hostile names, a hole. */
function makeTree(): { dir: string; files: Record<string, Buffer> } {
  const dir = mkdtempSync(join(work, 'tree-'));
  const files: Record<string, Buffer> = {
    'a.bin': Buffer.alloc(10_000, 7),
    'sub/c.txt': Buffer.from('x'.repeat(5_000)),
    'sub/deeper/d': Buffer.from('d'),
    'new\nline $(touch pwned) \x1b[31m': Buffer.from('hostile'),
    'quote\'"`': Buffer.from(''),
  };
  mkdirSync(join(dir, 'sub', 'deeper'), { recursive: true });
  for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name), data);
  linkSync(join(dir, 'a.bin'), join(dir, 'sub', 'a-link'));
  // Enough ".." to reach / from any TMPDIR: a link whose target is missing reads as absent (the
  // op's test follows it), and four of them left a deeper TMPDIR (CI run 30: one per engine set).
  symlinkSync(ESCAPE, join(dir, 'escape'));
  // A sparse file: disk bytes far below its size.
  execFileSync('truncate', ['-s', '5M', join(dir, 'sparse')]);
  return { dir, files };
}

/** What Docker counts for a layer (non-directories, each inode once) and du -s -B1, from lstat. */
function expected(dir: string): { apparent: number; disk: number; entries: number } {
  const seen = new Set<string>();
  let apparent = 0;
  let disk = 0;
  let entries = 0;
  const walk = (p: string) => {
    const st = lstatSync(p);
    entries++;
    const key = `${st.dev}:${st.ino}`;
    if (!seen.has(key)) {
      seen.add(key);
      disk += st.blocks * 512;
      if (!st.isDirectory()) apparent += st.size;
    }
    if (st.isDirectory()) for (const n of readdirSync(p)) walk(join(p, n));
  };
  walk(dir);
  return { apparent, disk, entries };
}

function op(
  sh: (typeof shells)[number],
  name: string,
  args: string[],
  extraEnv: Record<string, string> = {},
): Buffer {
  const lt = mkdtempSync(join(work, 'lt-'));
  const r = spawnSync(sh.shell, [opsFile, name, ...args], {
    env: { PATH: sh.path, R: '', LT_PID: '0', LT_TMP: lt, LC_ALL: 'C', ...extraEnv },
    maxBuffer: 64 * 1024 * 1024,
  });
  expect(r.stderr.toString()).toBe('');
  expect(r.status).toBe(0);
  return r.stdout;
}

describe.each(shells)('the helper ops under $name', (sh) => {
  const { dir, files } = makeTree();
  const want = expected(dir);

  it('measure: apparent bytes as Docker counts them, disk bytes as du -s -B1, every entry', () => {
    const missing = join(dir, 'no-such-dir');
    const [m, gone] = parseMeasure(op(sh, 'measure', [dir, missing]).toString('latin1'), 2, false);
    const du = Number(execFileSync('du', ['-s', '-B1', dir], { encoding: 'utf8' }).split('\t')[0]);
    expect(m).toMatchObject({ apparentBytes: want.apparent, diskBytes: du, entries: want.entries });
    expect(m?.diskBytes).toBe(want.disk);
    expect(m?.partial).toBe(false);
    expect(gone?.missing).toBe(true);
  });

  it('stat: size, links and mode of each path; absent paths and ".." components are absent', () => {
    const names = ['a.bin', 'sub/a-link', 'escape', 'sparse', 'nope'];
    const paths = [...names.map((n) => join(dir, n)), `${dir}/sub/../a.bin`];
    const st = parseStat(op(sh, 'stat', paths), paths.length);
    expect(st.map((s) => s && [s.size, s.nlink])).toEqual([
      [10_000, 2],
      [10_000, 2],
      [ESCAPE.length, 1],
      [5 * 1024 * 1024, 1],
      undefined,
      undefined,
    ]);
    expect(st[2]?.mode && st[2].mode & 0xf000).toBe(0xa000);
    expect(st[3]?.blocks).toBe(0);
  });

  it('read: whole files byte for byte, hostile names included; a symlink or a directory is not read', () => {
    const names = Object.keys(files);
    const paths = [...names.map((n) => join(dir, n)), join(dir, 'escape'), join(dir, 'sub')];
    // GNU tools: also the way helper-main.sh takes where head is GNU's (LT_HEADC), head -c for cat
    // when there are more than 16 files (the list three times over).
    const ways: Record<string, string>[] = sh.name.startsWith('dash') ? [{}, { LT_HEADC: '1' }] : [{}];
    for (const env of ways) {
      const list = [...paths, ...paths, ...paths];
      const got = parseRead(op(sh, 'read', list, env), list.length);
      const want = [...names.map((n) => files[n]), undefined, undefined];
      expect(got, JSON.stringify(env)).toEqual([...want, ...want, ...want]);
    }
  });

  it('liststat: the stamp of a file, then each directory names, hostile names intact', () => {
    const out = op(sh, 'liststat', [join(dir, 'a.bin'), dir, join(dir, 'sub')]);
    const nl = out.indexOf(0x0a);
    expect(out.subarray(0, nl).toString().split(' ').slice(2, 3)).toEqual(['10000']);
    const lists = parseList(out.subarray(nl + 1)).map((l) => l.map((b) => b.toString()).sort());
    expect(lists).toEqual([
      [
        './a.bin',
        './escape',
        `./${'new\nline $(touch pwned) \x1b[31m'}`,
        './quote\'"`',
        './sparse',
        './sub',
      ].sort(),
      ['./a-link', './c.txt', './deeper'],
    ]);
    expect(existsSync(join(dir, 'pwned'))).toBe(false);
  });

  it('tree: every entry with its type, size, mode, owner and modification time as lstat gives them', () => {
    const entries = parseTree(op(sh, 'tree', [dir, 'c0ffee']), 'c0ffee');
    const seen = new Map(entries.map((e) => [e.path, e]));
    const want: string[] = [];
    const walk = (rel: string) => {
      for (const n of readdirSync(join(dir, rel))) {
        const p = rel ? `${rel}/${n}` : n;
        const st = lstatSync(join(dir, p));
        want.push(p);
        expect(seen.get(Buffer.from(p).toString('latin1')), p).toMatchObject({
          mode: st.mode & 0o7777,
          uid: st.uid,
          gid: st.gid,
          mtime: Math.floor(st.mtimeMs / 1000),
          ...(st.isDirectory() ? {} : { size: st.size }),
        });
        if (st.isDirectory()) walk(p);
      }
    };
    walk('');
    expect(entries).toHaveLength(want.length);
  });

  it('du: one total per directory in KiB, as du -sxk gives it', () => {
    const out = op(sh, 'du', [dir, join(dir, 'nope')]).toString();
    const du = execFileSync('du', ['-sxk', dir], { encoding: 'utf8' }).split('\t')[0];
    expect(out).toBe(`${du}\t.\n-\n`);
  });

  it('reclaim: deletes only leftover-shaped paths old enough, with the short link; says why not', () => {
    const o2 = join(mkdtempSync(join(work, 'dr-')), 'overlay2');
    const id = (c: string) => c.repeat(64);
    const layer = (c: string) => {
      mkdirSync(join(o2, id(c), 'diff'), { recursive: true });
      writeFileSync(join(o2, id(c), 'diff', 'f'), 'x'.repeat(5000));
      return join(o2, id(c));
    };
    mkdirSync(join(o2, 'l'), { recursive: true });
    const a = layer('a');
    writeFileSync(join(a, 'link'), 'LINKA');
    symlinkSync(`../${id('a')}/diff`, join(o2, 'l', 'LINKA'));
    const b = layer('b');
    // A leftover-shaped name that is a symlink (to a real directory elsewhere): never followed.
    symlinkSync(b, join(o2, id('c')));
    // A leftover-shaped directory under another root: not this request's, never touched.
    const elsewhere = join(mkdtempSync(join(work, 'other-')), 'overlay2', id('e'));
    mkdirSync(join(elsewhere, 'diff'), { recursive: true });
    const paths = [
      a,
      b,
      join(o2, id('c')),
      join(o2, id('d')),
      `${o2}/../etc`,
      join(o2, 'l'),
      '/etc/passwd',
      elsewhere,
    ];
    const reclaim = (age: number) => `reclaim:${Buffer.from(`${age} ${join(o2, '..')}`).toString('base64')}`;
    const verdicts = (age: number) => parseReclaim(op(sh, reclaim(age), paths), paths.length);
    const refused = ['badpath', 'absent', 'badpath', 'badpath', 'badpath', 'badpath'];
    expect(verdicts(3600)).toEqual(['young', 'young', ...refused]);
    expect(existsSync(a) && existsSync(b)).toBe(true);
    expect(verdicts(0)).toEqual(['removed', 'removed', ...refused]);
    expect(existsSync(a) || existsSync(b)).toBe(false);
    expect(existsSync(elsewhere)).toBe(true);
    expect(lstatSync(join(o2, id('c'))).isSymbolicLink()).toBe(true);
    expect(readdirSync(join(o2, 'l'))).toEqual([]);

    // A root whose content-store directory is a symlink to another tree: the leftover-shaped blob
    // over there is never deleted through it; nor is one a level deeper than the shape allows.
    const root2 = mkdtempSync(join(work, 'cr-'));
    const victim = join(mkdtempSync(join(work, 'victim-')), 'io.containerd.content.v1.content');
    mkdirSync(join(victim, 'blobs', 'sha256'), { recursive: true });
    writeFileSync(join(victim, 'blobs', 'sha256', id('f')), 'precious');
    symlinkSync(victim, join(root2, 'io.containerd.content.v1.content'));
    mkdirSync(join(root2, 'x', 'overlay2', id('9')), { recursive: true });
    const through = [
      join(root2, 'io.containerd.content.v1.content', 'blobs', 'sha256', id('f')),
      join(root2, 'x', 'overlay2', id('9')),
    ];
    const op2 = `reclaim:${Buffer.from(`0 ${root2}`).toString('base64')}`;
    expect(parseReclaim(op(sh, op2, through), through.length)).toEqual(['badpath', 'badpath']);
    expect(existsSync(join(victim, 'blobs', 'sha256', id('f')))).toBe(true);
    expect(existsSync(join(root2, 'x', 'overlay2', id('9')))).toBe(true);
  });
});

// gmeasure walks with the engine host's GNU find (through nsenter): here the host's find is
// called directly, with the op's own shell and its grep (busybox's under busybox sh).
describe.each(shells)('gmeasure of many roots under $name', (sh) => {
  /** The op's output and the root list it wrote (empty: it took the quick way). */
  const gmeasure = (args: string[]) => {
    const lt = mkdtempSync(join(work, 'lt-'));
    const r = spawnSync(
      sh.shell,
      [
        '-c',
        '. "$0"; hosttool() { t=$1; shift; "/usr/bin/$t" "$@"; }; lt_op "$@"',
        opsFile,
        'gmeasure:diff',
        ...args,
      ],
      {
        env: { PATH: sh.path, R: '', LT_PID: '1', LT_TMP: lt, LT_LOOP: '1', LC_ALL: 'C' },
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    expect(r.stderr.toString()).toBe('');
    expect(r.status).toBe(0);
    return { out: r.stdout.toString('latin1'), listed: readFileSync(join(lt, 'q'), 'utf8') };
  };

  it('lists 300 roots by one loop, the same bytes as the root-by-root loop, which a missing root brings back', () => {
    const base = mkdtempSync(join(work, 'many-'));
    const roots: string[] = [];
    for (let i = 0; i < 300; i++) {
      // Spaces, glob characters and a leading dash in names: data, never patterns or options.
      const d = join(base, `l ${i}*[x] -a`);
      mkdirSync(join(d, 'diff'), { recursive: true });
      writeFileSync(join(d, 'diff', 'f'), 'x'.repeat(i));
      if (i % 5 === 0) rmSync(join(d, 'diff'), { recursive: true });
      roots.push(d);
    }
    const whole = join(base, 'whole');
    mkdirSync(whole);
    writeFileSync(join(whole, 'g'), 'gg');
    const quick = gmeasure([...roots, '--', whole]);
    expect(quick.listed).toBe('');
    const status = quick.out.slice(0, quick.out.indexOf('=G\n'));
    expect(status).toBe(`${roots.map((_, i) => (i % 5 === 0 ? 'S ? +' : 'S + +')).join('\n')}\nW +\n`);
    // A missing root: the op lists them all again, one by one (the list file is written), and
    // says only that one is missing; every other byte is the same.
    const slow = gmeasure([...roots, '--', whole, join(base, 'gone')]);
    expect(slow.listed).not.toBe('');
    expect(slow.out).toBe(quick.out.replace('W +\n=G\n', 'W +\nW ?\n=G\n'));
    // The walk's figures through the product's parser: each layer's content bytes, by value.
    const m = parseGnuMeasure(quick.out, roots.length + 1);
    expect(m.slice(0, 12).map((x) => [x.missing, x.apparentBytes])).toEqual(
      Array.from({ length: 12 }, (_, i) => (i % 5 === 0 ? [true, 0] : [false, i])),
    );
    expect(m[roots.length]).toMatchObject({ missing: false, apparentBytes: 2 });
  });
});

// Whiteouts are character devices 0/0: making them takes root (mknod), as CI has.
describe.runIf(process.getuid?.() === 0)('rdev under each shell', () => {
  it.each(shells)(
    'gives each device its numbers, run by run of siblings, anything else "-"; 8,000 whiteouts in one directory at once ($name)',
    (sh) => {
      const dir = mkdtempSync(join(work, 'rdev-'));
      for (const d of ['a', 'b', 'many']) mkdirSync(join(dir, d));
      const mknod = (rel: string, kind: 'c' | 'b', major: number, minor: number) =>
        execFileSync('mknod', [join(dir, rel), kind, String(major), String(minor)]);
      mknod('wh0', 'c', 0, 0);
      mknod('a/wh1', 'c', 0, 0);
      writeFileSync(join(dir, 'a', 'file'), 'x');
      symlinkSync('/dev/null', join(dir, 'a', 'link'));
      mknod('b/blk', 'b', 7, 3);
      mknod('b/wh2', 'c', 0, 0);
      // A directory swapped for a symlink: nothing below it is looked at.
      symlinkSync('a', join(dir, 'c'));
      // Hard links of one whiteout: a process per mknod would take the test's time.
      const many = Array.from({ length: 8000 }, (_, i) => `many/w${i}`);
      mknod('many/w0', 'c', 0, 0);
      for (const m of many.slice(1)) linkSync(join(dir, 'many/w0'), join(dir, m));
      const names = ['wh0', 'a/wh1', 'a/file', 'a/link', 'a/missing', 'b/blk', 'b/wh2', 'c/wh1', ...many];
      const op64 = `rdev:${Buffer.from(dir).toString('base64')}`;
      const t0 = performance.now();
      const got = parseRdev(op(sh, op64, names), names.length);
      const ms = performance.now() - t0;
      expect(got.slice(0, 8)).toEqual([
        [0, 0],
        [0, 0],
        undefined,
        undefined,
        undefined,
        [7, 3],
        [0, 0],
        undefined,
      ]);
      expect(got.slice(8).every((r) => r?.[0] === 0 && r[1] === 0)).toBe(true);
      // Linear: the list copied per device took 4.9 s for 5,000 in one directory, 13 s for 8,000.
      expect(ms).toBeLessThan(3000);
    },
    60_000,
  );
});

// The engine's process is chosen from what `procs` lists, and layertop runs the find of its mount
// namespace as root: a process that only calls itself dockerd (in a namespace of its own) must
// not be listed. Needs root (to make those namespaces), as CI has.
describe.runIf(process.getuid?.() === 0)('procs under each shell', () => {
  it.each(shells)(
    'lists a root dockerd of the host namespaces, not one in its own PID or user namespace ($name)',
    async (sh) => {
      const bin = join(mkdtempSync(join(work, 'fake-')), 'dockerd');
      execFileSync('cp', ['/bin/sleep', bin]);
      const { spawn } = await import('node:child_process');
      const host = spawn(bin, ['30']);
      const pidns = spawn('unshare', ['--pid', '--fork', bin, '30']);
      const userns = spawn('unshare', ['--user', '--map-root-user', bin, '30']);
      // Not root (real UID 65534), and in a container's cgroup (64 hex digits in its path).
      const nobody = spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', bin, '30']);
      const boxed = spawn(bin, ['30']);
      const cgroup = `/sys/fs/cgroup/pids/lt-test-${'c0ffee'.repeat(11).slice(0, 64)}`;
      let inCgroup = false;
      try {
        mkdirSync(cgroup, { recursive: true });
        writeFileSync(`${cgroup}/cgroup.procs`, String(boxed.pid));
        inCgroup = true;
      } catch {
        // No writable cgroup hierarchy here: that rule goes untested on this machine.
      }
      try {
        await new Promise((r) => setTimeout(r, 300));
        const listed = op(sh, 'procs', [])
          .toString('latin1')
          .split('\n')
          .filter((l) => l.includes(bin))
          .map((l) => Number(l.split(' ')[0]));
        // The one in the host's namespaces (its pid), and neither of the others (or their children).
        expect(listed).toEqual(
          inCgroup ? [host.pid] : [host.pid, boxed.pid].sort((a, b) => (a ?? 0) - (b ?? 0)),
        );
      } finally {
        for (const c of [host, pidns, userns, nobody, boxed]) c.kill('SIGKILL');
        execFileSync('pkill', ['-KILL', '-f', bin], { stdio: 'ignore' });
        await new Promise((r) => setTimeout(r, 100));
        // A cgroup goes by rmdir once empty (its files cannot be deleted one by one).
        if (inCgroup) rmdirSync(cgroup);
      }
    },
  );
});

// Each listed process's arguments, NUL as \x01 and newline as \x02 on its one line: by tr, or
// (LT_RAWREAD: the loop shell has `read -d`, as busybox ash and bash) by the builtin read, which
// must print the same bytes, and fall back to tr for an argument holding a newline only.
describe.runIf(process.getuid?.() === 0)('procs: the command line of each candidate', () => {
  // Under bash, tr is a wrapper that counts its runs (busybox sh runs its own applet whatever PATH says).
  const wrap = mkdtempSync(join(work, 'trwrap-'));
  const trLog = join(wrap, 'runs');
  writeFileSync(join(wrap, 'tr'), `#!/bin/sh\necho run >> ${trLog}\nexec /usr/bin/tr "$@"\n`, {
    mode: 0o755,
  });
  const bash = { name: 'bash', shell: '/bin/bash', path: `${wrap}:/usr/bin:/bin` };
  const ways = [
    ...shells.flatMap((sh) => [
      { ...sh, way: 'tr', env: {} as Record<string, string>, trRuns: undefined as number | undefined },
      ...(sh.shell.endsWith('/sh')
        ? [{ ...sh, way: 'the builtin read', env: { LT_RAWREAD: '1' }, trRuns: undefined }]
        : []),
    ]),
    // One tr: for the process whose argument holds a newline, none for the other.
    { ...bash, way: 'the builtin read', env: { LT_RAWREAD: '1' }, trRuns: 1 },
  ];
  it.each(ways)('prints every argument whole ($name, $way)', async (sh) => {
    const bin = join(mkdtempSync(join(work, 'fake-')), 'dockerd');
    execFileSync('cp', ['/bin/sh', bin]);
    const { spawn } = await import('node:child_process');
    // A shell named dockerd that stays (the `:` keeps it from exec'ing sleep) with hostile arguments.
    const argsOf = [
      [
        '-c',
        'sleep 30; :',
        'x',
        'a b',
        '$(touch pwned)',
        '',
        'tab\there',
        '  lead and trail  ',
        'back\\slash',
        '-%s%d',
        'é\u00ff',
      ],
      ['-c', 'sleep 30; :', 'x', 'new\nline', 'after'],
    ];
    const procs = argsOf.map((a) => spawn(bin, a));
    rmSync(trLog, { force: true });
    try {
      await new Promise((r) => setTimeout(r, 300));
      const lines = op(sh, 'procs', [], sh.env)
        .toString('latin1')
        .split('\n')
        .filter((l) => l.includes(bin));
      // Bytes as the kernel holds them (UTF-8), read back as latin1 like the output.
      const want = procs.map((p, i) =>
        Buffer.from(
          `${p.pid} dockerd ${[bin, ...(argsOf[i] ?? [])].map((a) => `${a.replace(/\n/g, '\x02')}\x01`).join('')}`,
        ).toString('latin1'),
      );
      expect(lines.sort()).toEqual(want.sort());
      if (sh.trRuns !== undefined)
        expect(existsSync(trLog) ? readFileSync(trLog, 'utf8').split('\n').filter(Boolean).length : 0).toBe(
          sh.trRuns,
        );
    } finally {
      for (const p of procs) p.kill('SIGKILL');
      await new Promise((r) => setTimeout(r, 100));
    }
  });
});

// fread of a root a running container writes to (":live"): the file is opened through a private
// read-only, nodev, nosymfollow bind mount of the root (liveview), so a name swapped for a symlink
// or a device node in the instant between infile's checks and its open is never followed or
// opened. That instant cannot be hit on purpose: the view itself is tested, then the op through
// it. Needs root (a mount namespace), as CI has.
describe.runIf(process.getuid?.() === 0)('fread of a live root under each shell', () => {
  it.each(shells)(
    'the view follows no symlink and opens no device; the op reads through it and refuses a symlink ($name)',
    (sh) => {
      const base = mkdtempSync(join(work, 'live-'));
      const lt = join(base, 'w');
      mkdirSync(lt);
      writeFileSync(join(base, 'ops.sh'), HELPER_OPS);
      const root = join(base, 'root');
      mkdirSync(root);
      const data = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 251));
      writeFileSync(join(root, 'file'), data);
      writeFileSync(join(base, 'secret'), 'secret');
      symlinkSync(join(base, 'secret'), join(root, 'link'));
      // What a container could swap in: /dev/null's numbers stand for any device.
      execFileSync('mknod', [join(root, 'dev'), 'c', '1', '3']);
      const B = bb && sh.path === bb ? join(bb, 'busybox') : '/usr/bin/env';
      const env = { PATH: sh.path, R: '', LT_PID: '0', LT_TMP: lt, LT_BB: B, LC_ALL: 'C' };

      // liveview in a private mount namespace of its own, then `then`, with `mount` from B.
      const inView = (mount: string, then: string, path = sh.path) =>
        spawnSync(
          '/usr/bin/unshare',
          [
            '-m',
            '--propagation',
            'private',
            sh.shell,
            '-c',
            `. "$1"; B=$2; liveview "$3"; echo "view $?"${then}`,
          ].concat(['sh', join(base, 'ops.sh'), mount, root]),
          { env: { ...env, PATH: path, LT_LOOP: '1' }, timeout: 10_000 },
        );
      // The view, opened the way infile opens (a shell redirection, which follows symlinks).
      const view = inView(
        B,
        `
           for n in file link dev; do if command exec 3<"$3/$n" 2>/dev/null; then echo "$n opened"; exec 3<&-; else echo "$n refused"; fi; done`,
      );
      expect(view.stdout.toString()).toBe('view 0\nfile opened\nlink refused\ndev refused\n');
      // A mount that exits 0 without making the view nosymfollow (busybox before 1.33 passes the
      // word on as data; a kernel before 5.10 drops the flag): the view is refused (9), as its
      // options read back say, and nothing is opened through it.
      const oldMount = join(base, 'old-mount');
      writeFileSync(
        oldMount,
        `#!/bin/sh\nc=$1; shift\nif [ "$c" = mount ] && [ "$1" = -o ]; then o=$(echo "$2" | sed 's/,nosymfollow//'); shift 2; exec mount -o "$o" "$@"; fi\nexec "$c" "$@"\n`,
        { mode: 0o755 },
      );
      const old = inView(oldMount, '', `${sh.path}:/usr/bin:/bin`);
      expect(old.stdout.toString()).toBe('view 9\n');
      expect(old.stderr.toString()).toMatch(
        /cannot show a running container's files without following symlinks/,
      );
      // Without the view the same shell opens both: the test would see a view that protects nothing.
      const bare = spawnSync(
        sh.shell,
        [
          '-c',
          'for n in link dev; do if command exec 3<"$1/$n"; then echo "$n opened"; exec 3<&-; fi; done',
          'sh',
          root,
        ],
        { env, timeout: 10_000 },
      );
      expect(bare.stdout.toString()).toBe('link opened\ndev opened\n');
      // The view was the private namespace's alone.
      expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(root);

      const fread = (range: string, rel: string) =>
        spawnSync(sh.shell, [join(base, 'ops.sh'), `fread:${range}:live`, root, rel], {
          env,
          timeout: 10_000,
        });
      const head = fread('0+100', 'file');
      expect(head.stderr.toString()).toBe('');
      expect(head.status).toBe(0);
      const nl = head.stdout.indexOf(0x0a);
      expect(head.stdout.toString('latin1', 0, nl)).toMatch(/^\d+ \d+ 81a4 70000$/);
      expect(head.stdout.subarray(nl + 1)).toEqual(data.subarray(0, 100));
      const tail = fread('65536+65536', 'file');
      expect(tail.status).toBe(0);
      expect(tail.stdout.subarray(tail.stdout.indexOf(0x0a) + 1)).toEqual(data.subarray(65536));
      for (const refused of ['link', 'dev']) {
        const r = fread('0+100', refused);
        expect(r.status).toBe(7);
        expect(r.stdout.length).toBe(0);
      }
      expect(fread('0+100', 'nope').status).toBe(4);
      expect(fread('0+100', 'file').status).toBe(0);
      // The walks of such a root (where the host's find is not GNU's) through the view: the same
      // bytes as without it.
      mkdirSync(join(root, 'sub'));
      writeFileSync(join(root, 'sub', 'in'), 'in');
      const run = (name: string) =>
        spawnSync(
          sh.shell,
          [join(base, 'ops.sh'), name, root, ...(name.startsWith('tree') ? ['c0ffee'] : [])],
          {
            env,
            timeout: 10_000,
          },
        );
      for (const name of ['names', 'tree']) {
        const plain = run(name);
        const live = run(`${name}:live`);
        expect(live.stderr.toString()).toBe('');
        expect(live.status).toBe(0);
        expect(live.stdout.toString('latin1')).toContain('./sub/in');
        expect(live.stdout).toEqual(plain.stdout);
      }
      rmSync(root, { recursive: true });
      expect(fread('0+100', 'file').status).toBe(3);
    },
    60_000,
  );
});

// CI always has the fixtures (npm test makes them first): there busybox must not be skipped.
it.runIf(process.env.CI === 'true')('runs busybox sh in CI', () => {
  expect(bb, `${BUSYBOX_TAR} missing`).toBeDefined();
});
