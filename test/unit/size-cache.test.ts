import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FORGET_AFTER_MS, parseCacheText, SizeCache } from '../../source/engine/helper/size-cache.js';
import { stringifyInSlices } from '../../source/process/json-slices.js';

const isNumber = (v: unknown): v is number => typeof v === 'number';
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
const fresh = () => join(mkdtempSync(join(tmpdir(), 'lt-size-cache-')), 'layer-sizes.json');

describe('the size cache file', () => {
  it('opens (read without blocking) what an earlier run saved', async () => {
    const file = fresh();
    const first = new SizeCache(file);
    first.set('e|chain|/dir', { apparentBytes: 10, diskBytes: 4096, contentDiskBytes: 4096 });
    first.setFact('e|fact', 7);
    await first.save();
    const again = await SizeCache.open(file);
    expect(again.get('e|chain|/dir')).toEqual({ apparentBytes: 10, diskBytes: 4096, contentDiskBytes: 4096 });
    expect(again.fact('e|fact', isNumber)).toBe(7);
    // The same as the synchronous reading.
    expect(new SizeCache(file).fact('e|fact', isNumber)).toBe(7);
  });

  it("writes the scan's first needs (foreseen walks, ledger plan, image list) on a first line of their own", async () => {
    const file = fresh();
    const c = new SizeCache(file);
    c.setFact('e|/root|mutable|targets', [{ dir: '/a' }]);
    c.setFact('e|/root|ledger|plan', { listed: [] });
    c.setFact('e|/root|layers|sha256:x', ['d1']);
    c.set('e|/root|sha256:x|/d', { apparentBytes: 1, diskBytes: 4096 });
    await c.save();
    const [first, second, end] = readFileSync(file, 'utf8').split('\n');
    expect(JSON.parse(first as string)).toEqual({
      version: 2,
      early: { 'e|/root|mutable|targets': [{ dir: '/a' }], 'e|/root|ledger|plan': { listed: [] } },
    });
    expect(JSON.parse(second as string)).toEqual({
      entries: { 'e|/root|sha256:x|/d': { apparentBytes: 1, diskBytes: 4096 } },
      // The engine stamped as seen at its first save (see "engines not scanned for long").
      facts: { 'e|/root|layers|sha256:x': ['d1'], 'e|/root|seen': expect.any(Number) },
    });
    expect(end).toBe('');
  });

  it('answers the first line at once and the rest once read, or read at once when asked for sooner', async () => {
    const file = fresh();
    const big = new SizeCache(file);
    // Past the 512 kB read for the first line: the rest is read after open resolves, in pieces
    // of 256 kB. Keys mostly of multi-byte characters (2, 3 and 4 bytes), so the head's end and
    // the pieces' ends fall inside characters (checked: decoding each piece alone fails this
    // test): each must come back whole.
    const key = (i: number) => `e|/root|c${i}|/d${'\u00e9\u20ac\u{1f600}'.repeat(4)}`;
    for (let i = 0; i < 20_000; i++) big.set(key(i), { apparentBytes: i, diskBytes: 4096 });
    big.setFact('e|/root|mutable|targets', [{ dir: '/a' }]);
    big.setFact('e|/root|layers|sha256:x', ['d1']);
    await big.save();
    const isTargets = (v: unknown): v is { dir: string }[] => Array.isArray(v);
    const isList = (v: unknown): v is string[] => Array.isArray(v);

    const waited = await SizeCache.open(file);
    expect(waited.fact('e|/root|mutable|targets', isTargets)).toEqual([{ dir: '/a' }]);
    await waited.loaded();
    const wrong: number[] = [];
    for (let i = 0; i < 20_000; i++) if (waited.get(key(i))?.apparentBytes !== i) wrong.push(i);
    expect(wrong).toEqual([]);
    expect(waited.fact('e|/root|layers|sha256:x', isList)).toEqual(['d1']);

    // Asked before the rest is in: read at once, the same answers.
    const eager = await SizeCache.open(file);
    expect(eager.fact('e|/root|layers|sha256:x', isList)).toEqual(['d1']);
    expect(eager.get(key(7))).toEqual({ apparentBytes: 7, diskBytes: 4096 });
    expect(eager.get(key(19_999))).toEqual({ apparentBytes: 19_999, diskBytes: 4096 });

    // A change before the rest is in keeps the rest: the next save holds both.
    const early = await SizeCache.open(file);
    early.set('e|/root|new|/d', { apparentBytes: 1, diskBytes: 1 });
    await early.save();
    const again = new SizeCache(file);
    expect(again.get('e|/root|new|/d')).toEqual({ apparentBytes: 1, diskBytes: 1 });
    expect(again.get(key(19_999))).toEqual({ apparentBytes: 19_999, diskBytes: 4096 });
    expect(again.fact('e|/root|mutable|targets', isTargets)).toEqual([{ dir: '/a' }]);
  });

  it('reads a file of the first version (one line) and a file whose rest is torn (its first line kept)', async () => {
    const isNumberFact = (v: unknown): v is number => typeof v === 'number';
    const v1 = fresh();
    writeFileSync(
      v1,
      JSON.stringify({
        version: 1,
        entries: { 'e|c|/d': { apparentBytes: 2, diskBytes: 4096 } },
        facts: { 'e|r|mutable|targets': 5, 'e|f': 6 },
      }),
    );
    const old = await SizeCache.open(v1);
    expect(old.get('e|c|/d')).toEqual({ apparentBytes: 2, diskBytes: 4096 });
    expect(old.fact('e|r|mutable|targets', isNumberFact)).toBe(5);
    expect(old.fact('e|f', isNumberFact)).toBe(6);

    const torn = fresh();
    writeFileSync(
      torn,
      `${JSON.stringify({ version: 2, early: { 'e|r|mutable|targets': 5 } })}\n{"entries":{"e|c|/d":`,
    );
    const cache = await SizeCache.open(torn);
    await cache.loaded();
    expect(cache.fact('e|r|mutable|targets', isNumberFact)).toBe(5);
    expect(cache.get('e|c|/d')).toBeUndefined();
  });

  it('opens as no cache, never failing, a file that is a directory or whose big first line is not an object', async () => {
    const dir = fresh();
    mkdirSync(dir);
    expect((await SizeCache.open(dir)).get('e|c|/d')).toBeUndefined();
    const odd = fresh();
    writeFileSync(odd, `null\n${'x'.repeat(600_000)}`);
    expect((await SizeCache.open(odd)).get('e|c|/d')).toBeUndefined();
  });

  it('starts empty from a file that is absent or not JSON, and a save replaces a broken one', async () => {
    const absent = await SizeCache.open(fresh());
    expect(absent.get('e|chain|/dir')).toBeUndefined();
    const file = fresh();
    writeFileSync(file, '{"version":1,"entries":{"e|c|/d":');
    const broken = await SizeCache.open(file);
    expect(broken.get('e|c|/d')).toBeUndefined();
    broken.setFact('e|fact', 1);
    await broken.save();
    expect(parseCacheText(readFileSync(file, 'utf8'))?.facts).toEqual({ 'e|fact': 1 });
  });

  it('without a file (--no-cache) remembers within the run only and writes nothing', async () => {
    const none = await SizeCache.open(undefined);
    none.setFact('e|fact', 3);
    expect(none.fact('e|fact', isNumber)).toBe(3);
    await none.save();
    expect(none.file).toBeUndefined();
  });

  it('a change made while a save is written is saved by the next save, not lost', async () => {
    const file = fresh();
    const cache = new SizeCache(file);
    for (let i = 0; i < 50_000; i++) cache.set(`e|c${i}|/d`, { apparentBytes: i, diskBytes: 4096 });
    const first = cache.save();
    // Until the first slices are in the file being written (the first entry among them), the
    // rest not yet: a turn at a time, as the explorer's keys run between the slices.
    const written = () =>
      readdirSync(dirname(file)).some(
        (n) => n.endsWith('.tmp') && readFileSync(join(dirname(file), n), 'utf8').includes('"e|c0|/d"'),
      );
    for (let turns = 0; !written(); turns++) {
      expect(turns).toBeLessThan(100_000);
      await new Promise<void>((r) => setImmediate(r));
    }
    cache.set('e|c0|/d', { apparentBytes: 1, diskBytes: 8192 });
    await first;
    expect(new SizeCache(file).get('e|c0|/d')).toEqual({ apparentBytes: 0, diskBytes: 4096 });
    await cache.save();
    expect(new SizeCache(file).get('e|c0|/d')).toEqual({ apparentBytes: 1, diskBytes: 8192 });
    expect(new SizeCache(file).get('e|c49999|/d')).toEqual({ apparentBytes: 49999, diskBytes: 4096 });
  });

  it('runs saves one after another: two saves with a change between, and two caches of one file', async () => {
    const file = fresh();
    const a = new SizeCache(file);
    const b = new SizeCache(file);
    for (let i = 0; i < 30_000; i++) {
      a.set(`e|a${i}|/d`, { apparentBytes: i, diskBytes: 4096 });
      b.set(`e|b${i}|/d`, { apparentBytes: i, diskBytes: 8192 });
    }
    // None awaited before the next: each writes its own text whole, one after the other, and the
    // file ends as the last one wrote it (a's again: a change came while its first save ran).
    const saves = [a.save(), b.save()];
    await new Promise<void>((r) => setImmediate(r));
    a.set('e|late|/d', { apparentBytes: 1, diskBytes: 1 });
    saves.push(a.save());
    await Promise.all(saves);
    const last = parseCacheText(readFileSync(file, 'utf8')) as { entries: Record<string, unknown> };
    // The last save's content, whole: a's entries with the late one, none of b's.
    expect(Object.keys(last.entries)).toHaveLength(30_001);
    expect(last.entries['e|late|/d']).toEqual({ apparentBytes: 1, diskBytes: 1 });
    // No temporary file left beside it.
    expect(readdirSync(dirname(file))).toEqual(['layer-sizes.json']);
  });
});

describe('engines not scanned for long', () => {
  const isNumber = (v: unknown): v is number => typeof v === 'number';
  const size = { apparentBytes: 1, diskBytes: 4096 };

  it('are forgotten at the next save, entries and facts; the others stay, an unstamped one is stamped', async () => {
    const file = fresh();
    const cache = new SizeCache(file);
    const now = Date.now();
    for (const e of ['gone|/var/lib/docker', 'here|/var/lib/docker', 'old-cache|/data']) {
      cache.set(SizeCache.key(e, 'sha256:c', '/d'), size);
      cache.setFact(`${e}|layers|img`, ['sha256:c']);
    }
    cache.touchEngine('gone|/var/lib/docker', now - FORGET_AFTER_MS - 1000);
    cache.touchEngine('here|/var/lib/docker', now - FORGET_AFTER_MS + 60_000);
    await cache.save();
    const back = new SizeCache(file);
    expect(back.get(SizeCache.key('gone|/var/lib/docker', 'sha256:c', '/d'))).toBeUndefined();
    expect(back.fact('gone|/var/lib/docker|layers|img', Array.isArray)).toBeUndefined();
    expect(back.fact('gone|/var/lib/docker|seen', isNumber)).toBeUndefined();
    expect(back.get(SizeCache.key('here|/var/lib/docker', 'sha256:c', '/d'))).toEqual(size);
    expect(back.fact('here|/var/lib/docker|layers|img', Array.isArray)).toEqual(['sha256:c']);
    // A cache written before engines were stamped: its engines count as seen now.
    expect(back.get(SizeCache.key('old-cache|/data', 'sha256:c', '/d'))).toEqual(size);
    expect(back.fact('old-cache|/data|seen', isNumber)).toBeGreaterThanOrEqual(now);
  });

  it('knows an engine whose data root holds "|" by its stamp, not by the key\'s first two parts', async () => {
    const file = fresh();
    const cache = new SizeCache(file);
    const now = Date.now();
    cache.set(SizeCache.key('id|/a|b', 'sha256:c', '/d'), size);
    cache.touchEngine('id|/a|b', now);
    await cache.save();
    // Its keys' first two parts make "id|/a", which was never seen: that must not be stamped.
    const back = new SizeCache(file);
    expect(back.fact('id|/a|seen', isNumber)).toBeUndefined();
    expect(back.get(SizeCache.key('id|/a|b', 'sha256:c', '/d'))).toEqual(size);
  });

  it('a scan notes its engine at most once a day: a warm scan leaves the file unwritten', async () => {
    const file = fresh();
    const cache = new SizeCache(file);
    const t = Date.now() - 2 * 86_400_000;
    cache.touchEngine('e|/r', t);
    await cache.save();
    const written = readFileSync(file, 'utf8');
    const again = new SizeCache(file);
    await again.loaded();
    again.touchEngine('e|/r', t + 3_600_000);
    await again.save();
    expect(readFileSync(file, 'utf8')).toBe(written);
    again.touchEngine('e|/r', t + 86_400_000);
    await again.save();
    expect(new SizeCache(file).fact('e|/r|seen', isNumber)).toBe(t + 86_400_000);
  });
  it('a rescan that measured the same figures leaves the file unwritten; a changed figure is written', async () => {
    const file = fresh();
    const cache = new SizeCache(file);
    cache.set('e|/r|sha256:a|/d', { apparentBytes: 10, diskBytes: 4096, contentDiskBytes: undefined });
    cache.set('e|/r|sha256:b|/d', { apparentBytes: 20, diskBytes: 8192, contentDiskBytes: 8192 });
    await cache.save();
    const written = readFileSync(file, 'utf8');
    // As the next run does: the same figures from the file (an undefined member is not in it).
    const again = new SizeCache(file);
    await again.loaded();
    writeFileSync(file, 'not written since');
    again.set('e|/r|sha256:a|/d', { apparentBytes: 10, diskBytes: 4096, contentDiskBytes: undefined });
    again.set('e|/r|sha256:b|/d', { apparentBytes: 20, diskBytes: 8192, contentDiskBytes: 8192 });
    await again.save();
    expect(readFileSync(file, 'utf8')).toBe('not written since');
    again.set('e|/r|sha256:b|/d', { apparentBytes: 20, diskBytes: 12288, contentDiskBytes: 12288 });
    await again.save();
    expect(readFileSync(file, 'utf8')).not.toBe(written);
    expect(new SizeCache(file).get('e|/r|sha256:b|/d')).toEqual({
      apparentBytes: 20,
      diskBytes: 12288,
      contentDiskBytes: 12288,
    });
  });
  it('a fact set again as it was (the same value, or the same JSON) leaves the file unwritten; a new or changed one is written', async () => {
    const file = fresh();
    const cache = new SizeCache(file);
    const layers = ['sha256:d1', 'sha256:d2'];
    cache.setFact('e|/r|layers|sha256:i', layers);
    await cache.save();
    expect(new SizeCache(file).fact('e|/r|layers|sha256:i', isStrings)).toEqual(layers);
    const again = new SizeCache(file);
    await again.loaded();
    writeFileSync(file, 'not written since');
    const read = again.fact('e|/r|layers|sha256:i', isStrings);
    again.setFact('e|/r|layers|sha256:i', read);
    again.setFact('e|/r|layers|sha256:i', [...layers]);
    await again.save();
    expect(readFileSync(file, 'utf8')).toBe('not written since');
    again.setFact('e|/r|commands|sha256:i', ['RUN x', undefined]);
    await again.save();
    expect(
      new SizeCache(file).fact('e|/r|commands|sha256:i', (v: unknown): v is unknown[] => Array.isArray(v)),
    ).toEqual(['RUN x', null]);
    again.setFact('e|/r|layers|sha256:i', ['sha256:d1']);
    await again.save();
    expect(new SizeCache(file).fact('e|/r|layers|sha256:i', isStrings)).toEqual(['sha256:d1']);
  });
});

describe('what a complete scan did not use', () => {
  const size = { apparentBytes: 1, diskBytes: 4096, contentDiskBytes: 4096 };

  it("is forgotten at the scan's end: that engine's entries and facts only, not its stamp, nor another engine's", async () => {
    const file = fresh();
    const c = new SizeCache(file);
    c.set('e|/r|sha256:kept|/r/overlay2/a', size);
    c.set('e|/r|sha256:gone|/r/overlay2/b', size);
    c.setFact('e|/r|layers|sha256:img1', ['d1']);
    c.setFact('e|/r|layers|sha256:img2', ['d2']);
    c.setFact('f|/r|layers|sha256:img2', ['d2']);
    c.touchEngine('e|/r');
    // An engine whose data root holds "|": its keys start like e|/r's.
    c.setFact('e|/r|x|layers|sha256:img3', ['d3']);
    c.touchEngine('e|/r|x');
    await c.save();
    const again = new SizeCache(file);
    const scan = again.track();
    // What the scan asks for (hit or miss) or sets counts as used.
    expect(again.get('e|/r|sha256:kept|/r/overlay2/a')).toEqual(size);
    expect(again.fact('e|/r|layers|sha256:img1', isStrings)).toEqual(['d1']);
    again.setFact('e|/r|commands|sha256:img1', ['RUN x']);
    const other = again.track();
    scan.stop();
    // Not noted by a stopped tracker; noted by one still running.
    again.fact('e|/r|layers|sha256:img2', isStrings);
    expect(other.keys.has('e|/r|layers|sha256:img2')).toBe(true);
    expect(scan.keys.has('e|/r|layers|sha256:img2')).toBe(false);
    other.stop();
    expect(again.sweep('e|/r', scan.keys)).toBe(2);
    expect(again.get('e|/r|sha256:gone|/r/overlay2/b')).toBeUndefined();
    expect(again.fact('e|/r|layers|sha256:img2', isStrings)).toBeUndefined();
    await again.save();
    const saved = new SizeCache(file);
    expect(saved.get('e|/r|sha256:kept|/r/overlay2/a')).toEqual(size);
    expect(saved.get('e|/r|sha256:gone|/r/overlay2/b')).toBeUndefined();
    expect(saved.fact('e|/r|layers|sha256:img1', isStrings)).toEqual(['d1']);
    expect(saved.fact('e|/r|commands|sha256:img1', isStrings)).toEqual(['RUN x']);
    expect(saved.fact('e|/r|layers|sha256:img2', isStrings)).toBeUndefined();
    expect(saved.fact('f|/r|layers|sha256:img2', isStrings)).toEqual(['d2']);
    expect(saved.fact('e|/r|x|layers|sha256:img3', isStrings)).toEqual(['d3']);
    expect(saved.fact('e|/r|seen', isNumber)).toBeGreaterThan(0);
  });

  it("an engine's first scan (nothing of it to forget) is only stamped: nothing goes, the next sweep a day later", async () => {
    const file = fresh();
    const c = new SizeCache(file);
    c.set('e|/r|sha256:a|/d', size);
    c.setFact('e|/r|layers|sha256:i', ['d']);
    c.set('f|/r|sha256:b|/d', size);
    const day = 86_400_000;
    const now = 1_000 * day;
    c.stampSweep('e|/r', now);
    expect(c.get('e|/r|sha256:a|/d')).toEqual(size);
    expect(c.fact('e|/r|layers|sha256:i', isStrings)).toEqual(['d']);
    expect(c.get('f|/r|sha256:b|/d')).toEqual(size);
    expect(c.sweepDue('e|/r', now + day - 1)).toBe(false);
    expect(c.sweepDue('e|/r', now + day)).toBe(true);
  });

  it('forgets nothing when the scan used everything, and is due once a day per engine', async () => {
    const file = fresh();
    const c = new SizeCache(file);
    c.set('e|/r|sha256:a|/d', size);
    c.setFact('e|/r|layers|sha256:i', ['d']);
    const day = 86_400_000;
    const now = 1_000 * day;
    expect(c.sweepDue('e|/r', now)).toBe(true);
    const scan = c.track();
    c.get('e|/r|sha256:a|/d');
    c.fact('e|/r|layers|sha256:i', isStrings);
    scan.stop();
    expect(c.sweep('e|/r', scan.keys, now)).toBe(0);
    expect(c.get('e|/r|sha256:a|/d')).toEqual(size);
    // Not again the same day, nor for a clock set back; again a day later; another engine's own.
    expect(c.sweepDue('e|/r', now + day - 1)).toBe(false);
    expect(c.sweepDue('e|/r', now - 1)).toBe(true);
    expect(c.sweepDue('e|/r', now + day)).toBe(true);
    expect(c.sweepDue('f|/r', now)).toBe(true);
    // The stamp is one of the facts a scan reads first (the file's first line): deciding does not
    // wait for the rest of the file.
    await c.save();
    const [first] = readFileSync(file, 'utf8').split('\n');
    expect(JSON.parse(first as string).early).toEqual({ 'e|/r|swept|at': now });
  });
});

describe('JSON in slices', () => {
  const entries: Record<string, unknown> = {};
  for (let i = 0; i < 300; i++)
    entries[`e|\u00e9"\n|${i}`] = { apparentBytes: i, diskBytes: i * 2, more: i % 3 ? undefined : [i, null] };
  const value = {
    version: 1,
    entries,
    // Integer-like keys come first in both, whatever the insertion order.
    facts: {
      b: 1,
      10: 'ten',
      2: 'two',
      gone: undefined,
      fn: () => 1,
      nested: { ...entries },
      d: new Date(0),
    },
    // More than 64 members: written member by member by the slicing code itself, not by one
    // JSON.stringify (integer-like keys, left-out members and a Date among them).
    big: {
      ...Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`k${i}`, i % 2 ? i : { v: [i, 'x'] }])),
      7: 'seven',
      3: null,
      gone: undefined,
      fn: () => 1,
      when: new Date(0),
    },
  };

  it('is exactly what JSON.stringify writes', async () => {
    const text = await stringifyInSlices(value, 0);
    expect(text).toBe(JSON.stringify(value));
    expect(JSON.parse(text).facts.nested['e|\u00e9"\n|299']).toEqual({ apparentBytes: 299, diskBytes: 598 });
  });

  it('slices long arrays and the members near the top as exactly', async () => {
    // A hole in the middle (concat keeps it), which JSON writes as null.
    const holey: unknown[] = new Array(3);
    holey[0] = 1;
    holey[2] = 3;
    const arrays = {
      top: {
        list: Array.from({ length: 300 }, (_, i) =>
          i % 7 === 0
            ? undefined
            : i % 11 === 0
              ? () => i
              : i % 5 === 0
                ? { n: i, deep: [i, { x: 'é' }] }
                : `s${i}`,
        ),
        small: { a: [1, 2], b: null },
        sparse: Array.from({ length: 70 }, (_, i): unknown => i).concat(holey),
      },
      none: [],
    };
    expect(await stringifyInSlices(arrays, 0)).toBe(JSON.stringify(arrays));
    const pieces: string[] = [];
    await stringifyInSlices(arrays, 0, async (t) => {
      pieces.push(t);
    });
    expect(pieces.join('')).toBe(JSON.stringify(arrays));
    expect(pieces.length).toBeGreaterThan(300);
  });

  it('hands the same text over in pieces to a flush, turn by turn, and returns nothing then', async () => {
    const pieces: string[] = [];
    const text = await stringifyInSlices(value, 0, async (t) => {
      pieces.push(t);
    });
    expect(text).toBe('');
    expect(pieces.join('')).toBe(JSON.stringify(value));
    // Slices of 0 ms: a piece per member at least, not one piece at the end.
    expect(pieces.length).toBeGreaterThan(10);
  });

  it("slices a small object deeper down when one of its members is big (the last scan's buildCache)", async () => {
    const value = {
      inputs: {
        buildCache: {
          total: 3,
          gone: undefined,
          items: Array.from({ length: 200 }, (_, i) => ({ id: `r${i}`, size: i, shared: i % 2 === 0 })),
        },
        small: { a: 1 },
      },
    };
    const pieces: string[] = [];
    await stringifyInSlices(value, 0, async (t) => {
      pieces.push(t);
    });
    expect(pieces.join('')).toBe(JSON.stringify(value));
    // The records came one per turn, not as one JSON.stringify of the whole object.
    expect(pieces.length).toBeGreaterThan(200);
  });

  it('lets other work run between its slices', async () => {
    let ranBetween = false;
    setImmediate(() => {
      ranBetween = true;
    });
    let sawItDuring = false;
    const big: Record<string, number> = {};
    for (let i = 0; i < 2000; i++) big[`k${i}`] = i;
    const p = stringifyInSlices({ big }, 0).then((t) => {
      sawItDuring = ranBetween;
      return t;
    });
    // The other callback runs before the text is done: the work was not one block.
    await new Promise<void>((r) => setImmediate(r));
    expect(ranBetween).toBe(true);
    expect(await p).toBe(JSON.stringify({ big }));
    expect(sawItDuring).toBe(true);
  });
});
