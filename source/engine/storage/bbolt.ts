// A read-only reader for bbolt (go.etcd.io/bbolt) files, enough to walk containerd's metadata:
// meta pages, branch and leaf pages, overflow pages, nested and inline buckets. Pure: it parses a
// Buffer (a copy taken through the helper), and it checks what it reads, so that a copy taken while
// containerd was writing is reported as torn instead of being mis-read.

const MAGIC = 0xed0cdaed;
const BRANCH = 0x01;
const LEAF = 0x02;
const META = 0x04;
const BUCKET_LEAF = 0x01;
const PAGE_HEADER = 16;
const ELEMENT = 16;

export class BoltFormatError extends Error {
  override name = 'BoltFormatError';
}

export type BoltValue = { bucket: BoltBucket } | { value: Buffer };

/** A bucket: its key/value pairs in key order; a value is either bytes or a nested bucket. */
export class BoltBucket {
  constructor(
    private readonly db: BoltDb,
    private readonly root: number,
    private readonly inline: Buffer | undefined,
  ) {}

  private walked: [Buffer, BoltValue][] | undefined;
  private byKey: Map<string, BoltValue> | undefined;

  /** All entries, in key order (walked once: the file is a copy, it does not change). */
  entries(): [Buffer, BoltValue][] {
    if (this.walked) return this.walked;
    const out: [Buffer, BoltValue][] = [];
    if (this.inline) this.db.walkPage(this.inline, 0, out, true);
    else this.db.walk(this.root, out, new Set());
    this.walked = out;
    return out;
  }

  /** By key, from a map built once: a lookup per record walked the whole bucket each time, which
   *  made 1,800 BuildKit records cost 1.5 s of a scan at scale. */
  get(key: string): BoltValue | undefined {
    if (!this.byKey) {
      this.byKey = new Map();
      // Keys as latin1 (one char per byte): exact for any bytes; `key` is looked up as its UTF-8 bytes.
      for (const [k, v] of this.entries()) this.byKey.set(k.toString('latin1'), v);
    }
    return this.byKey.get(Buffer.from(key, 'utf8').toString('latin1'));
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

  constructor(private readonly buf: Buffer) {
    const metas = [0, 1].map((i) => this.readMeta(i)).filter((m) => m !== undefined);
    if (metas.length === 0)
      throw new BoltFormatError('bbolt: no valid meta page (not a bbolt file, or torn)');
    metas.sort((a, b) => (a.txid > b.txid ? -1 : 1));
    const meta = metas[0] as NonNullable<(typeof metas)[number]>;
    this.pageSize = meta.pageSize;
    this.txid = meta.txid;
    this.highWater = meta.pgid;
    if (this.highWater * this.pageSize > buf.length) {
      throw new BoltFormatError('bbolt: the file is shorter than its meta page says (torn copy)');
    }
    this.root = new BoltBucket(this, meta.root, undefined);
  }

  private readMeta(i: number) {
    // Meta pages sit at page 0 and 1; their size is in the meta itself, 4096 on most systems.
    for (const guess of [4096, 16384, 65536, 8192]) {
      const off = i * guess;
      if (off + PAGE_HEADER + 64 > this.buf.length) continue;
      if (this.buf.readUInt32LE(off + PAGE_HEADER) !== MAGIC) continue;
      const flags = this.buf.readUInt16LE(off + 8);
      const pageSize = this.buf.readUInt32LE(off + PAGE_HEADER + 8);
      if (!(flags & META) || (i === 1 && pageSize !== guess)) continue;
      const version = this.buf.readUInt32LE(off + PAGE_HEADER + 4);
      const body = this.buf.subarray(off + PAGE_HEADER, off + PAGE_HEADER + 56);
      const checksum = this.buf.readBigUInt64LE(off + PAGE_HEADER + 56);
      if (version !== 2 || fnv64a(body) !== checksum) return undefined;
      return {
        pageSize,
        root: Number(this.buf.readBigUInt64LE(off + PAGE_HEADER + 16)),
        pgid: Number(this.buf.readBigUInt64LE(off + PAGE_HEADER + 40)),
        txid: this.buf.readBigUInt64LE(off + PAGE_HEADER + 48),
      };
    }
    return undefined;
  }

  private page(pgid: number): Buffer {
    if (pgid < 2 || pgid >= this.highWater)
      throw new BoltFormatError(`bbolt: page ${pgid} out of range (torn copy)`);
    const off = pgid * this.pageSize;
    const id = Number(this.buf.readBigUInt64LE(off));
    if (id !== pgid) throw new BoltFormatError(`bbolt: page ${pgid} says it is page ${id} (torn copy)`);
    const overflow = this.buf.readUInt32LE(off + 12);
    const end = off + (overflow + 1) * this.pageSize;
    if (end > this.buf.length) throw new BoltFormatError('bbolt: page past the end of the file (torn copy)');
    return this.buf.subarray(off, end);
  }

  /** Walks a bucket's B+tree from its root page, in key order. */
  walk(pgid: number, out: [Buffer, BoltValue][], seen: Set<number>): void {
    if (seen.has(pgid)) throw new BoltFormatError('bbolt: page cycle (torn copy)');
    seen.add(pgid);
    const p = this.page(pgid);
    const flags = p.readUInt16LE(8);
    const count = p.readUInt16LE(10);
    if (flags & BRANCH) {
      for (let i = 0; i < count; i++) {
        const e = PAGE_HEADER + i * ELEMENT;
        this.walk(Number(p.readBigUInt64LE(e + 8)), out, seen);
      }
    } else if (flags & LEAF) {
      this.walkPage(p, 0, out, false);
    } else {
      throw new BoltFormatError(`bbolt: page ${pgid} is neither branch nor leaf (flags ${flags})`);
    }
  }

  /** Reads the elements of a leaf page (a real page, or an inline bucket's page inside a value). */
  walkPage(p: Buffer, base: number, out: [Buffer, BoltValue][], inline: boolean): void {
    const flags = p.readUInt16LE(base + 8);
    const count = p.readUInt16LE(base + 10);
    if (!(flags & LEAF)) {
      if (inline && count === 0) return;
      throw new BoltFormatError('bbolt: an inline bucket that is not a leaf page');
    }
    for (let i = 0; i < count; i++) {
      const e = base + PAGE_HEADER + i * ELEMENT;
      if (e + ELEMENT > p.length) throw new BoltFormatError('bbolt: element past the end of its page');
      const eflags = p.readUInt32LE(e);
      const pos = p.readUInt32LE(e + 4);
      const ksize = p.readUInt32LE(e + 8);
      const vsize = p.readUInt32LE(e + 12);
      const kstart = e + pos;
      if (kstart + ksize + vsize > p.length)
        throw new BoltFormatError('bbolt: key or value past the end of its page');
      const key = Buffer.from(p.subarray(kstart, kstart + ksize));
      const value = p.subarray(kstart + ksize, kstart + ksize + vsize);
      if (eflags & BUCKET_LEAF) {
        const root = Number(value.readBigUInt64LE(0));
        out.push([
          key,
          { bucket: new BoltBucket(this, root, root === 0 ? Buffer.from(value.subarray(16)) : undefined) },
        ]);
      } else {
        out.push([key, { value: Buffer.from(value) }]);
      }
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
