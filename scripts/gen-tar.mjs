#!/usr/bin/env node
// Writes a tar stream of generated files to stdout, for `docker import -` (no registry here, and
// writing the files to disk first would cost more than the import). Deterministic per seed.
//   node scripts/gen-tar.mjs files SEED COUNT MAXBYTES   COUNT files of 0..MAXBYTES bytes
//   node scripts/gen-tar.mjs archive FIRST LAST          a `docker load` archive of images
//                                                        lt-scale/imp-FIRST..LAST, one layer each
//   node scripts/gen-tar.mjs branches FILE [SAVE_DIR]    a `docker load` archive of images that
//                                                        each add one layer on top of layers the
//                                                        engine has: FILE is JSON [{tag, diffIds,
//                                                        seed}]; the existing layers are named in
//                                                        the manifest only (the engine skips
//                                                        layers it has, by chain ID); with SAVE_DIR
//                                                        (a `docker save` of those images,
//                                                        unpacked) and lowerPaths per entry, the
//                                                        lower layers are copied in (the containerd
//                                                        image store loads only what is there)
//   node scripts/gen-tar.mjs many COUNT                  COUNT files, 1,000 per directory: every
//                                                        tenth holds one byte, the rest are empty
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

const [kind, ...rest] = process.argv.slice(2);

function header(name, size, type) {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'latin1');
  h.write(type === '5' ? '0000755\0' : '0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  h.write('14000000000\0', 136);
  h.write('        ', 148);
  h.write(type, 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}

// A small fast PRNG (mulberry32): the same seed gives the same tar.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const chunks = [];
let pending = 0;
let capture = null; // while set, entries go to this array instead of stdout (a nested tar)
function out(buf) {
  if (capture) {
    capture.push(buf);
    return;
  }
  chunks.push(buf);
  pending += buf.length;
  if (pending > 1 << 20) flush();
}
function flush() {
  if (!chunks.length) return;
  process.stdout.write(Buffer.concat(chunks));
  chunks.length = 0;
  pending = 0;
}
function file(name, data) {
  out(header(name, data.length, '0'));
  out(data);
  const pad = (512 - (data.length % 512)) % 512;
  if (pad) out(Buffer.alloc(pad));
}
const dir = (name) => out(header(name.endsWith('/') ? name : `${name}/`, 0, '5'));

function files(seed, count, max) {
  const r = rng(seed);
  dir('data');
  for (let i = 0; i < count; i++) {
    const n = Math.floor(r() * max);
    const b = Buffer.alloc(n);
    let j = 0;
    for (; j + 4 <= n; j += 4) b.writeUInt32LE(Math.floor(r() * 4294967296), j);
    for (; j < n; j++) b[j] = Math.floor(r() * 256);
    file(`data/s${seed}-f${i}`, b);
  }
}

/** A whole tar (with its end blocks) as one buffer. */
function tarOf(write) {
  const saved = capture;
  capture = [];
  write();
  capture.push(Buffer.alloc(1024));
  const buf = Buffer.concat(capture);
  capture = saved;
  return buf;
}

if (kind === 'files') {
  const [seed, count, max] = rest.map(Number);
  files(seed, count, max);
} else if (kind === 'archive' || kind === 'branches') {
  // docker-archive (what `docker save` writes): per image its new layer's tar and a config whose
  // rootfs.diff_ids names the layers by their sha256; manifest.json ties them to their tags.
  const manifest = [];
  // lowerPaths: where the lower layers are in `saveDir` (a `docker save` unpacked), for engines
  // that load only what the archive holds (the containerd image store): copied in, once each.
  const copied = new Set();
  const image = (tag, lower, layer, createdMs, describe, lowerPaths, saveDir) => {
    const diff = createHash('sha256').update(layer).digest('hex');
    const created = new Date(createdMs).toISOString();
    const diffIds = [...lower, `sha256:${diff}`];
    const config = Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        created,
        config: { Cmd: ['sh'] },
        rootfs: { type: 'layers', diff_ids: diffIds },
        history: diffIds.map((_, k) => ({ created, created_by: describe(k) })),
      }),
    );
    const cfg = createHash('sha256').update(config).digest('hex');
    for (const p of lowerPaths ?? []) {
      if (copied.has(p)) continue;
      copied.add(p);
      file(p, readFileSync(`${saveDir}/${p}`));
    }
    file(`${diff}/layer.tar`, layer);
    file(`${cfg}.json`, config);
    manifest.push({
      Config: `${cfg}.json`,
      RepoTags: [tag],
      Layers: lowerPaths
        ? [...lowerPaths, `${diff}/layer.tar`]
        : diffIds.map((d) => `${d.replace('sha256:', '')}/layer.tar`),
    });
  };
  if (kind === 'archive') {
    const [first, last] = rest.map(Number);
    for (let i = first; i <= last; i++)
      image(
        `lt-scale/imp-${i}:latest`,
        [],
        tarOf(() => files(i, 1 + (i % 12), 8192)),
        Date.UTC(2024, 0, 1) + i * 60_000,
        () => `generated files, seed ${i}`,
      );
  } else {
    for (const b of JSON.parse(readFileSync(rest[0], 'utf8')))
      image(
        b.tag,
        b.diffIds,
        tarOf(() => files(b.seed, 2, 3000)),
        Date.UTC(2024, 6, 1) + b.seed * 60_000,
        (k) => `branch ${b.seed} layer ${k}`,
        b.lowerPaths,
        rest[1],
      );
  }
  file('manifest.json', Buffer.from(JSON.stringify(manifest)));
} else if (kind === 'many') {
  const [count] = rest.map(Number);
  dir('many');
  for (let i = 0; i < count; i++) {
    if (i % 1000 === 0) dir(`many/d${i / 1000}`);
    file(`many/d${Math.floor(i / 1000)}/f${i}`, i % 10 ? Buffer.alloc(0) : Buffer.from([i & 0xff]));
  }
} else {
  process.stderr.write('usage: gen-tar.mjs files SEED COUNT MAXBYTES | archive FIRST LAST | many COUNT\n');
  process.exit(2);
}
out(Buffer.alloc(1024));
flush();
