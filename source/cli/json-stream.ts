// A report's JSON, written in pieces: the scan's report is 5 MB of JSON at scale, and one string
// of it (then its copy on the way to stdout) was 3,000-6,000 fresh pages to touch; on the VMs
// these machines are, each first touch costs 10-13 µs (about 80 ms of a 1.2 s warm scan). Pieces
// reuse the young generation's pages instead.
//
// The layout is JSON.stringify(value, null, 2)'s down to the report's items (an image, a layer, a
// ledger entry), and each item is one line of compact JSON: greppable (`grep sha256:ab`) and
// diffable line by line, and faster to make. Indenting inside every item (the layout before) took
// 110-130 ms of a 1.1-1.3 s warm scan at scale, against 70-85 ms one line per item: V8's
// JSON.stringify has its fast path only without the `space` argument.
import type { ChunkedWriter } from './chunked-output.js';

/**
 * Arrays this deep or deeper, and objects below the top two levels, are one line each: a
 * report's big parts are arrays (layers, images, a ledger category's items) of small objects,
 * and each such object is one JSON.stringify; going into their fields was 100,000 small calls
 * (twice the time of the whole string).
 */
const isContainer = (v: unknown): v is object => typeof v === 'object' && v !== null;

const MAX_DEPTH = 5;
const OBJECT_DEPTH = 2;

/**
 * An object deeper down is laid out member by member too when it holds a list of objects (a
 * ledger category and its entries): so that each entry is a line, not the category.
 */
const holdsItems = (v: object): boolean =>
  Object.values(v).some((x) => Array.isArray(x) && x.length > 0 && isContainer(x[0]));

/** What JSON.stringify makes of a value that is not a container (undefined where it omits it). */
const leaf = (v: unknown): string | undefined => JSON.stringify(v);

/** One line: JSON.stringify without a `space` never writes a newline (one in a string is `\n`). */
const whole = (v: unknown): string | undefined => JSON.stringify(v);

/**
 * Writes `value` as JSON to `w` (without a trailing newline): what JSON.stringify makes of it,
 * laid out as above (JSON.parse gives back exactly what it gives of JSON.stringify). Plain data only
 * (objects, arrays, strings, numbers, booleans, null, undefined): what a report is made of; a
 * value with its own toJSON is written whole, as JSON.stringify writes it.
 */
export function writeReportJson(w: ChunkedWriter, value: unknown, pad = '', depth = 0): void {
  if (
    !isContainer(value) ||
    (Array.isArray(value) ? depth >= MAX_DEPTH : depth >= OBJECT_DEPTH && !holdsItems(value)) ||
    typeof (value as { toJSON?: unknown }).toJSON === 'function'
  ) {
    w.write((isContainer(value) ? whole(value) : leaf(value)) ?? 'null');
    return;
  }
  const inner = `${pad}  `;
  if (Array.isArray(value)) {
    if (!value.length) {
      w.write('[]');
      return;
    }
    w.write('[');
    // By index, holes included (JSON.stringify writes a hole as null; forEach skips it).
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      w.write(`${i ? ',' : ''}\n${inner}`);
      // undefined, a function or a symbol in an array: null, as JSON.stringify writes them.
      if (item === undefined || typeof item === 'function' || typeof item === 'symbol') w.write('null');
      else writeReportJson(w, item, inner, depth + 1);
    }
    w.write(`\n${pad}]`);
    return;
  }
  let first = true;
  for (const [key, item] of Object.entries(value)) {
    // Omitted, as JSON.stringify omits them.
    if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
    // A value with its own toJSON: written whole, and left out where that gives nothing.
    const own =
      isContainer(item) && typeof (item as { toJSON?: unknown }).toJSON === 'function' ? whole(item) : '';
    if (own === undefined) continue;
    w.write(`${first ? '{' : ','}\n${inner}${JSON.stringify(key)}: `);
    first = false;
    if (own) w.write(own);
    else writeReportJson(w, item, inner, depth + 1);
  }
  w.write(first ? '{}' : `\n${pad}}`);
}
