// A read-only reader for bbolt (go.etcd.io/bbolt) files, enough to walk containerd's metadata:
// meta pages, branch and leaf pages, overflow pages, nested and inline buckets. It parses a copy
// taken through the helper (a Buffer, or pages read by offset from a temporary file: only the
// pages a walk reaches are ever read), and it checks what it reads, so that a copy taken while
// containerd was writing is reported as torn instead of being mis-read.
import { BufferPages, type PageSource } from '../helper/file-pages.js';

const MAGIC = 0xed0cdaed;
const BRANCH = 0x01;
const LEAF = 0x02;
const META = 0x04;
const BUCKET_LEAF = 0x01;
const PAGE_HEADER = 16;
/** How many pages a database keeps at hand ({@link BoltDb.recent}): 512 KB of 4 KB pages. */
const RECENT_PAGES = 128;
const ELEMENT = 16;

export class BoltFormatError extends Error {
  override name = 'BoltFormatError';
}

export type BoltValue = { bucket: BoltBucket } | { value: Buffer };

/** Per entry of a bucket's index: its page (an index into `pages`), key start, key size, value size, flags. */
const STRIDE = 5;

/**
 * Where a bucket's entries are: the pages they are read from (a page's number, read again through
 * the database's few recent pages when an entry is asked for, or an inline bucket's own bytes), and
 * per entry {@link STRIDE} numbers. Page numbers, not the pages: a rescan at the containerd scale
 * engine walked 35 MB of pages, and holding them all until the layout was done made most of the
 * explorer's peak (40 MB of Buffers, and malloc's heap that never shrank back after them).
 */
export interface BucketIndex {
  pages: (number | Buffer)[];
  at: number[] | Int32Array;
}

/**
 * A bucket: its key/value pairs in key order; a value is either bytes or a nested bucket. What a
 * bucket keeps once walked is where its entries are (five numbers each), not an object per key and
 * value: at the containerd scale engine meta.db has 144,000 entries in 46,000 buckets, and objects
 * for them were most of the 50 MB that a scan's heap grew by before it was collected.
 */
export class BoltBucket {
  constructor(
    private readonly db: BoltDb,
    private readonly root: number,
    private readonly inline: Buffer | undefined,
  ) {}

  private ix: BucketIndex | undefined;
  /** Nested buckets with pages of their own made so far, by entry: each is walked once however
   *  often it is asked for. */
  private kids: (BoltBucket | undefined)[] | undefined;
  private byKey: Map<string, number> | undefined;
  /** A walk in turns under way (indexInTurns): a second caller waits for it, not walks again. */
  private indexing: Promise<void> | undefined;

  /** Walked once (the file is a copy, it does not change), unless asked for at once while a
   *  walk in turns is under way: then this walk makes it, and that one stops at its next page. */
  private index(): BucketIndex {
    if (this.ix) return this.ix;
    const ix: BucketIndex = { pages: [], at: [] };
    if (this.inline) this.db.walkPage(this.inline, ix, 'inline');
    else {
      const step = this.db.walker(this.root, ix);
      while (step());
    }
    return this.indexed(ix);
  }

  /**
   * The index made now, a page at a time, with `turn` awaited between pages: the explorer takes
   * keys meanwhile (BuildKit's snapshots.db at scale, 2,100 records: 50 ms of walk in one piece).
   */
  indexInTurns(turn: () => Promise<void>): Promise<void> {
    if (this.ix || this.inline) {
      this.index();
      return Promise.resolve();
    }
    // The same bucket's index asked for by two callers at once: one walk.
    this.indexing ??= (async () => {
      try {
        const ix: BucketIndex = { pages: [], at: [] };
        const step = this.db.walker(this.root, ix);
        // A caller that needed it at once (index()) may have made it meanwhile: no more pages.
        while (!this.ix && step()) await turn();
        if (!this.ix) this.indexed(ix);
      } finally {
        this.indexing = undefined;
      }
    })();
    return this.indexing;
  }

  private indexed(ix: BucketIndex): BucketIndex {
    // Big buckets' numbers packed (half the memory); small ones' as they are (a typed array's own
    // objects outweigh a few numbers).
    if (ix.at.length > 256) ix.at = Int32Array.from(ix.at);
    this.ix = ix;
    return ix;
  }

  get size(): number {
    return this.index().at.length / STRIDE;
  }

  /** The bytes of the page that entry `k` (an index into `at`) is on. */
  private pageOf(ix: BucketIndex, k: number): Buffer {
    const ref = ix.pages[ix.at[k] as number] as number | Buffer;
    return typeof ref === 'number' ? this.db.recent(ref) : ref;
  }

  private keyAt(i: number): Buffer {
    const ix = this.index();
    const k = i * STRIDE;
    const start = ix.at[k + 1] as number;
    return this.pageOf(ix, k).subarray(start, start + (ix.at[k + 2] as number));
  }

  private valueAt(i: number): BoltValue {
    const ix = this.index();
    const { at } = ix;
    const k = i * STRIDE;
    const page = this.pageOf(ix, k);
    const start = (at[k + 1] as number) + (at[k + 2] as number);
    const value = page.subarray(start, start + (at[k + 3] as number));
    if (!((at[k + 4] as number) & BUCKET_LEAF)) return { value };
    const root = Number(value.readBigUInt64LE(0));
    // An inline bucket (a record's few fields, inside this page) is made anew at each ask, cheaply
    // and for the asker alone: kept, the 46,000 of meta.db at scale were most of what a walk kept.
    if (root === 0) return { bucket: new BoltBucket(this.db, 0, value.subarray(16)) };
    this.kids ??= [];
    let kid = this.kids[i];
    if (!kid) {
      kid = new BoltBucket(this.db, root, undefined);
      this.kids[i] = kid;
    }
    return { bucket: kid };
  }

  /** All entries, in key order (made anew at each call from the index: callers let go of them). */
  entries(): [Buffer, BoltValue][] {
    const out: [Buffer, BoltValue][] = [];
    const n = this.size;
    for (let i = 0; i < n; i++) out.push([this.keyAt(i), this.valueAt(i)]);
    return out;
  }

  /** By key: small buckets (a record's fields) by a scan of their keys; others from a map built
   *  once (a lookup per record walked the whole bucket each time, which made 1,800 BuildKit
   *  records cost 1.5 s of a scan at scale). */
  get(key: string): BoltValue | undefined {
    const want = Buffer.from(key, 'utf8');
    const n = this.size;
    if (n <= 16) {
      const ix = this.index();
      const { at } = ix;
      for (let i = 0; i < n; i++) {
        const k = i * STRIDE;
        const start = at[k + 1] as number;
        const size = at[k + 2] as number;
        if (size === want.length && this.pageOf(ix, k).compare(want, 0, size, start, start + size) === 0)
          return this.valueAt(i);
      }
      return undefined;
    }
    if (!this.byKey) {
      this.byKey = new Map();
      // Keys as latin1 (one char per byte): exact for any bytes; `key` is looked up as its UTF-8 bytes.
      for (let i = 0; i < n; i++) this.byKey.set(this.keyAt(i).toString('latin1'), i);
    }
    const i = this.byKey.get(want.toString('latin1'));
    return i === undefined ? undefined : this.valueAt(i);
  }

  bucket(key: string): BoltBucket | undefined {
    const v = this.get(key);
    return v && 'bucket' in v ? v.bucket : undefined;
  }

  value(key: string): Buffer | undefined {
    const v = this.get(key);
    return v && 'value' in v ? v.value : undefined;
  }
}

/** FNV-1a 64 over the meta fields, as bbolt checksums its meta pages. */
function fnv64a(b: Buffer): bigint {
  let h = 0xcbf29ce484222325n;
  for (const byte of b) {
    h ^= BigInt(byte);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h;
}

export class BoltDb {
  readonly pageSize: number;
  readonly txid: bigint;
  private readonly highWater: number;
  readonly root: BoltBucket;

  /** The copy this reads (parsed views of one copy share what is computed from it). */
  readonly copy: PageSource;
  private readonly src: PageSource;

  constructor(
    copy: Buffer | PageSource,
    /** How many pages to keep at hand (tests ask for few, so that every page is read again). */
    private readonly recentPages = RECENT_PAGES,
  ) {
    this.src = Buffer.isBuffer(copy) ? new BufferPages(copy) : copy;
    this.copy = this.src;
    const metas = [0, 1].map((i) => this.readMeta(i)).filter((m) => m !== undefined);
    if (metas.length === 0)
      throw new BoltFormatError('bbolt: no valid meta page (not a bbolt file, or torn)');
    metas.sort((a, b) => (a.txid > b.txid ? -1 : 1));
    const meta = metas[0] as NonNullable<(typeof metas)[number]>;
    this.pageSize = meta.pageSize;
    this.txid = meta.txid;
    this.highWater = meta.pgid;
    if (this.highWater * this.pageSize > this.src.length) {
      throw new BoltFormatError('bbolt: the file is shorter than its meta page says (torn copy)');
    }
    this.root = new BoltBucket(this, meta.root, undefined);
  }

  private readMeta(i: number) {
    // Meta pages sit at page 0 and 1; their size is in the meta itself, 4096 on most systems.
    for (const guess of [4096, 16384, 65536, 8192]) {
      const m = this.src.read(i * guess, PAGE_HEADER + 64);
      if (m.length < PAGE_HEADER + 64) continue;
      if (m.readUInt32LE(PAGE_HEADER) !== MAGIC) continue;
      const flags = m.readUInt16LE(8);
      const pageSize = m.readUInt32LE(PAGE_HEADER + 8);
      if (!(flags & META) || (i === 1 && pageSize !== guess)) continue;
      const version = m.readUInt32LE(PAGE_HEADER + 4);
      const body = m.subarray(PAGE_HEADER, PAGE_HEADER + 56);
      const checksum = m.readBigUInt64LE(PAGE_HEADER + 56);
      if (version !== 2 || fnv64a(body) !== checksum) return undefined;
      return {
        pageSize,
        root: Number(m.readBigUInt64LE(PAGE_HEADER + 16)),
        pgid: Number(m.readBigUInt64LE(PAGE_HEADER + 40)),
        txid: m.readBigUInt64LE(PAGE_HEADER + 48),
      };
    }
    return undefined;
  }

  /**
   * The last pages read, by number: a bucket's entries are asked for in key order right after its
   * walk read them, so a few pages serve nearly every ask, and a page asked again later is read
   * again from the copy (the kernel's page cache, or memory for a small copy).
   */
  private readonly lately = new Map<number, Buffer>();

  /** Page `pgid` (with its overflow), from the few read lately or from the copy. */
  recent(pgid: number): Buffer {
    // The same page as the ask before (a page's entries one after another): no map work.
    if (pgid === this.lastId && this.lastPage) return this.lastPage;
    const p = this.recentOf(pgid);
    this.lastId = pgid;
    this.lastPage = p;
    return p;
  }

  private lastId = -1;
  private lastPage: Buffer | undefined;

  private recentOf(pgid: number): Buffer {
    const hit = this.lately.get(pgid);
    if (hit) {
      // Map order is age: asked again, it is the youngest.
      this.lately.delete(pgid);
      this.lately.set(pgid, hit);
      return hit;
    }
    const p = this.page(pgid);
    this.lately.set(pgid, p);
    if (this.lately.size > this.recentPages) this.lately.delete(this.lately.keys().next().value as number);
    return p;
  }

  private page(pgid: number): Buffer {
    if (pgid < 2 || pgid >= this.highWater)
      throw new BoltFormatError(`bbolt: page ${pgid} out of range (torn copy)`);
    const off = pgid * this.pageSize;
    const first = this.src.read(off, this.pageSize);
    if (first.length < this.pageSize)
      throw new BoltFormatError('bbolt: page past the end of the file (torn copy)');
    const id = Number(first.readBigUInt64LE(0));
    if (id !== pgid) throw new BoltFormatError(`bbolt: page ${pgid} says it is page ${id} (torn copy)`);
    const overflow = first.readUInt32LE(12);
    if (overflow === 0) return first;
    // A torn header could name any length: no read past the high-water mark.
    if (pgid + overflow >= this.highWater)
      throw new BoltFormatError(`bbolt: page ${pgid} overflows past the last page (torn copy)`);
    const size = (overflow + 1) * this.pageSize;
    const whole = this.src.read(off, size);
    if (whole.length < size) throw new BoltFormatError('bbolt: page past the end of the file (torn copy)');
    return whole;
  }

  /**
   * Walks a bucket's B+tree from its root page, in key order, into its index: a page per call of
   * the step it returns, false once every page is walked (so that a caller can pause between
   * pages). Depth first with a stack of pages still to walk, in the order a recursion takes them.
   */
  walker(pgid: number, ix: BucketIndex): () => boolean {
    const seen = new Set<number>();
    const todo = [pgid];
    return () => {
      const id = todo.pop();
      if (id === undefined) return false;
      if (seen.has(id)) throw new BoltFormatError('bbolt: page cycle (torn copy)');
      // More pages to walk than the file has: some are there twice (or out of range), which a
      // step would find, but only after a torn copy's branch pages had filled memory with them.
      if (todo.length + seen.size >= this.highWater)
        throw new BoltFormatError('bbolt: more pages to walk than the file holds (torn copy)');
      seen.add(id);
      const p = this.recent(id);
      const flags = p.readUInt16LE(8);
      const count = p.readUInt16LE(10);
      if (flags & BRANCH) {
        const kids: number[] = [];
        for (let i = 0; i < count; i++) {
          const e = PAGE_HEADER + i * ELEMENT;
          if (e + ELEMENT > p.length) throw new BoltFormatError('bbolt: element past the end of its page');
          kids.push(Number(p.readBigUInt64LE(e + 8)));
        }
        // Last child pushed first: the first is taken next.
        for (let i = kids.length - 1; i >= 0; i--) todo.push(kids[i] as number);
      } else if (flags & LEAF) {
        this.walkPage(p, ix, id);
      } else {
        throw new BoltFormatError(`bbolt: page ${id} is neither branch nor leaf (flags ${flags})`);
      }
      return true;
    };
  }

  /** Indexes the elements of a leaf page: page `pgid`, or (`inline`) an inline bucket's page inside a value. */
  walkPage(p: Buffer, ix: BucketIndex, pgid: number | 'inline'): void {
    const inline = pgid === 'inline';
    if (p.length < PAGE_HEADER) throw new BoltFormatError('bbolt: a page shorter than its header');
    const flags = p.readUInt16LE(8);
    const count = p.readUInt16LE(10);
    if (!(flags & LEAF)) {
      if (inline && count === 0) return;
      throw new BoltFormatError('bbolt: an inline bucket that is not a leaf page');
    }
    const page = ix.pages.length;
    ix.pages.push(inline ? p : pgid);
    const at = ix.at as number[];
    for (let i = 0; i < count; i++) {
      const e = PAGE_HEADER + i * ELEMENT;
      if (e + ELEMENT > p.length) throw new BoltFormatError('bbolt: element past the end of its page');
      const eflags = p.readUInt32LE(e);
      const pos = p.readUInt32LE(e + 4);
      const ksize = p.readUInt32LE(e + 8);
      const vsize = p.readUInt32LE(e + 12);
      const kstart = e + pos;
      if (kstart + ksize + vsize > p.length)
        throw new BoltFormatError('bbolt: key or value past the end of its page');
      // A nested bucket's header (root page, sequence) and an inline bucket's page must be there.
      if (eflags & BUCKET_LEAF && vsize < 16) throw new BoltFormatError('bbolt: a bucket value too short');
      at.push(page, kstart, ksize, vsize, eflags);
    }
  }
}

/** Go's binary.Uvarint. */
export function uvarint(b: Buffer): number {
  let x = 0;
  let s = 1;
  for (const byte of b) {
    x += (byte & 0x7f) * s;
    if (byte < 0x80) return x;
    s *= 128;
  }
  return x;
}

/** Go's binary.Varint (zig-zag). */
export function varint(b: Buffer): number {
  const ux = uvarint(b);
  return ux % 2 === 0 ? ux / 2 : -(ux + 1) / 2;
}
