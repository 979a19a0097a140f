// Reads a tar stream's entries (ustar, GNU long names, PAX path/linkpath), names as byte strings
// (latin1, one char per byte) so they compare exactly with layertop's listings.
export interface TarEntry {
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo' | 'other';
  size: number;
  linkTarget: string;
  mode: number;
}

const TYPES: Record<string, TarEntry['type']> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file',
  '5': 'dir',
  '2': 'symlink',
  '1': 'hardlink',
  '3': 'char',
  '4': 'block',
  '6': 'fifo',
};

const field = (b: Buffer, off: number, len: number) => {
  const end = b.indexOf(0, off);
  return b.toString('latin1', off, end < 0 || end > off + len ? off + len : end);
};
const octal = (b: Buffer, off: number, len: number) => Number.parseInt(field(b, off, len).trim() || '0', 8);

function pax(body: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let pos = 0;
  while (pos < body.length) {
    const sp = body.indexOf(0x20, pos);
    if (sp < 0) break;
    const len = Number(body.toString('latin1', pos, sp));
    if (!len) break;
    const rec = body.subarray(sp + 1, pos + len - 1); // without the trailing newline
    const eq = rec.indexOf(0x3d);
    // Values are UTF-8 in PAX, or raw bytes (Go writes them as they are): keep the bytes.
    out[rec.toString('latin1', 0, eq)] = rec.toString('latin1', eq + 1);
    pos += len;
  }
  return out;
}

export function readTar(buf: Buffer): TarEntry[] {
  const out: TarEntry[] = [];
  let pos = 0;
  let longName: string | undefined;
  let longLink: string | undefined;
  let ext: Record<string, string> = {};
  while (pos + 512 <= buf.length) {
    const h = buf.subarray(pos, pos + 512);
    if (h.every((x) => x === 0)) break;
    const size = octal(h, 124, 12);
    const flag = String.fromCharCode(h[156] ?? 0);
    const body = buf.subarray(pos + 512, pos + 512 + size);
    pos += 512 + Math.ceil(size / 512) * 512;
    if (flag === 'L') {
      longName = field(body, 0, body.length);
      continue;
    }
    if (flag === 'K') {
      longLink = field(body, 0, body.length);
      continue;
    }
    if (flag === 'x') {
      ext = pax(body);
      continue;
    }
    if (flag === 'g') continue;
    const prefix = field(h, 345, 155);
    let path = ext.path ?? longName ?? (prefix ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100));
    const linkTarget = ext.linkpath ?? longLink ?? field(h, 157, 100);
    path = path.replace(/^\.?\//, '').replace(/\/$/, '');
    out.push({
      path,
      type: TYPES[flag] ?? 'other',
      size: ext.size !== undefined ? Number(ext.size) : size,
      linkTarget,
      mode: octal(h, 100, 8) & 0o7777,
    });
    longName = undefined;
    longLink = undefined;
    ext = {};
  }
  return out;
}
