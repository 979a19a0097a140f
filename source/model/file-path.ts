// File names are bytes. In JSON, `path` is the name as text; when the bytes are not valid UTF-8
// the text cannot hold them, so `pathBase64` carries the exact bytes too (and `path` shows each
// invalid byte as U+FFFD). Readers that need exact names use pathBase64 when it is present.

/** The JSON fields for a layer-relative path held as a byte string (one char per byte). */
export function filePathJson(latin1Path: string): { path: string; pathBase64?: string } {
  const bytes = Buffer.from(latin1Path, 'latin1');
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  const exact = Buffer.from(text, 'utf8').equals(bytes);
  return exact
    ? { path: `/${text}` }
    : { path: `/${text}`, pathBase64: Buffer.concat([Buffer.from('/'), bytes]).toString('base64') };
}
