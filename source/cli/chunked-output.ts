// Long outputs (a layer of 400,000 files) written in chunks as they are made: neither a list of
// every line nor one string of the whole JSON is ever held (stdout to a pipe or a file is
// synchronous on Linux, so a chunk is out before the next is made).

import { jsonSafe } from './json-safe.js';

const CHUNK = 64 * 1024;

/** Collects text and writes it out every 64 KiB; `end()` writes the rest. */
export class ChunkedWriter {
  private parts: string[] = [];
  private size = 0;

  constructor(
    private readonly out: (text: string) => void = (t) => process.stdout.write(t),
    /** JSON: its C1 and invisible characters written as \u escapes (json-safe.ts). */
    private readonly json = false,
  ) {}

  write(text: string): void {
    this.parts.push(text);
    this.size += text.length;
    if (this.size >= CHUNK) this.flush();
  }

  end(): void {
    this.flush();
  }

  private flush(): void {
    if (!this.parts.length) return;
    const text = this.parts.join('');
    this.out(this.json ? jsonSafe(text) : text);
    this.parts = [];
    this.size = 0;
  }
}

/**
 * Writes `JSON.stringify({ ...head, [key]: items })` plus a newline, byte for byte, one item at a
 * time: `toJson` makes each item's object only when it is written.
 */
export function writeJsonWithList<T>(
  w: ChunkedWriter,
  head: Record<string, unknown>,
  key: string,
  items: Iterable<T>,
  toJson: (item: T) => unknown,
): void {
  const { [key]: _ignored, ...rest } = head;
  const open = JSON.stringify(rest);
  w.write(`${open.slice(0, -1)}${open.length > 2 ? ',' : ''}${JSON.stringify(key)}:[`);
  let first = true;
  for (const item of items) {
    w.write(`${first ? '' : ','}${JSON.stringify(toJson(item))}`);
    first = false;
  }
  w.write(']}\n');
  w.end();
}
