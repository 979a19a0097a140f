/**
 * JSON text of a big plain object made in slices of a few milliseconds, with a turn of the event
 * loop between them: the size cache (about 5 MB at 1,300 images) took 100-200 ms of one
 * `JSON.stringify` while the explorer measured, and a key pressed meanwhile waited for all of it.
 * For plain JSON data (what the cache holds) the text is exactly `JSON.stringify(value)`'s: the
 * same key order (both walk the object's own keys the same way) and members whose value JSON
 * leaves out (undefined, functions) left out. Not for other data: a `toJSON` below the top gets ""
 * as its key, and a cycle through a big object is not detected.
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
  let start = performance.now();
  const write = async (obj: Record<string, unknown>): Promise<void> => {
    parts.push('{');
    let first = true;
    for (const key of Object.keys(obj)) {
      const v = obj[key];
      // One level deep: a top-level member that is a big object is sliced in its turn.
      const text = isPlainObject(v) && Object.keys(v).length > 64 ? undefined : JSON.stringify(v);
      if (text === undefined && !isPlainObject(v)) continue;
      parts.push(`${first ? '' : ','}${JSON.stringify(key)}:`);
      first = false;
      if (text === undefined) await write(v as Record<string, unknown>);
      else parts.push(text);
      if (performance.now() - start > sliceMs) {
        if (flush) await flush(parts.splice(0).join(''));
        else await new Promise<void>((r) => setImmediate(r));
        start = performance.now();
      }
    }
    parts.push('}');
  };
  await write(value);
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
