import { timeSlices } from './time-slices.js';

/**
 * JSON text of a big plain object made in slices of a few milliseconds, with a turn of the event
 * loop between them: the size cache (about 5 MB at 1,300 images) took 100-200 ms of one
 * `JSON.stringify` while the explorer measured, and a key pressed meanwhile waited for all of it.
 * For plain JSON data (what the cache holds) the text is exactly `JSON.stringify(value)`'s: the
 * same key order (both walk the object's own keys the same way), members whose value JSON leaves
 * out (undefined, functions) left out, and null for such an array element. Not for other data: a
 * `toJSON` below the top gets "" as its key, and a cycle through a big object is not detected.
 */
export async function stringifyInSlices(
  value: Record<string, unknown>,
  sliceMs = 4,
  /**
   * Takes the text so far at each turn (and the rest at the end), which then returns "": the
   * size cache goes to its file as it is made. Its one string and then its one Buffer, made at
   * the end, blocked the explorer's thread for 120-170 ms per save at scale (V8 flattening and
   * encoding 5 MB, page by fresh page).
   */
  flush?: (text: string) => Promise<void>,
): Promise<string> {
  const parts: string[] = [];
  const turn = timeSlices(sliceMs, flush ? () => flush(parts.splice(0).join('')) : undefined);
  // Sliced in its turn: a plain object near the top (the last scan's inputs: a few members, each
  // big) or one with many members (the cache's entries), and a long array (the last scan's images
  // and layers), element by element. Anything else is one JSON.stringify.
  // A small object deeper down is sliced too when one of its members is big (the last scan's
  // buildCache: six members, one an array of 1,800 records, 1 MB of text in one call, whose
  // growing buffer came from malloc: see text-pieces).
  // The look-ahead costs a key list per record (a review measured 55 ms against 21 ms over 50,000
  // records of 8 keys, spread over the slices): only members that are objects are looked into.
  const big = (v: object): boolean =>
    Array.isArray(v) ? v.length > 64 : isPlainObject(v) && Object.keys(v).length > 64;
  const sliced = (v: unknown, depth: number): boolean => {
    if (Array.isArray(v)) return v.length > 64;
    if (!isPlainObject(v)) return false;
    if (depth < 2) return true;
    const keys = Object.keys(v);
    if (keys.length > 64) return true;
    for (const k of keys) {
      const m = v[k];
      if (typeof m === 'object' && m !== null && big(m)) return true;
    }
    return false;
  };
  const writeArray = async (arr: readonly unknown[], depth: number): Promise<void> => {
    parts.push('[');
    for (let i = 0; i < arr.length; i++) {
      if (i > 0) parts.push(',');
      const v = arr[i];
      if (sliced(v, depth + 1)) await writeAny(v, depth + 1);
      else {
        // As JSON.stringify writes an array: what JSON leaves out (undefined, a function, a hole) is null.
        const text = JSON.stringify(v);
        parts.push(text === undefined ? 'null' : text);
        await turn();
      }
    }
    parts.push(']');
  };
  const writeAny = (v: unknown, depth: number): Promise<void> =>
    Array.isArray(v) ? writeArray(v, depth) : write(v as Record<string, unknown>, depth);
  const write = async (obj: Record<string, unknown>, depth: number): Promise<void> => {
    parts.push('{');
    let first = true;
    for (const key of Object.keys(obj)) {
      const v = obj[key];
      const inTurn = sliced(v, depth + 1);
      const whole = inTurn ? undefined : JSON.stringify(v);
      if (whole === undefined && !inTurn) continue;
      parts.push(`${first ? '' : ','}${JSON.stringify(key)}:`);
      first = false;
      if (whole === undefined) await writeAny(v, depth + 1);
      else {
        parts.push(whole);
        await turn();
      }
    }
    parts.push('}');
  };
  await write(value, 0);
  if (!flush) return parts.join('');
  await flush(parts.join(''));
  return '';
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  // An object with its own toJSON would be written its own way: only plain ones are sliced.
  return (
    (proto === Object.prototype || proto === null) && typeof (v as { toJSON?: unknown }).toJSON !== 'function'
  );
}
