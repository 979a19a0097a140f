// File names are bytes. In JSON, `path` is the name as text; when the bytes are not valid UTF-8
// the text cannot hold them, so `pathBase64` carries the exact bytes too (and `path` shows each
// invalid byte as U+FFFD). Readers that need exact names use pathBase64 when it is present.

/** The JSON fields for a layer-relative path held as a byte string (one char per byte). */
const utf8 = new TextDecoder('utf-8', { fatal: false });
const ASCII = /^[\x00-\x7f]*$/;

export function filePathJson(latin1Path: string): { path: string; pathBase64?: string } {
  // ASCII bytes are the same text in UTF-8: no buffers to make (400,000 rows of a big layer).
  if (ASCII.test(latin1Path)) return { path: `/${latin1Path}` };
  const bytes = Buffer.from(latin1Path, 'latin1');
  const text = utf8.decode(bytes);
  const exact = Buffer.from(text, 'utf8').equals(bytes);
  return exact
    ? { path: `/${text}` }
    : { path: `/${text}`, pathBase64: Buffer.concat([Buffer.from('/'), bytes]).toString('base64') };
}

/**
 * A symbolic link's target (bytes, one char per byte) as JSON, the same way: `linkTarget` as text
 * (null when the entry is no link), and `linkTargetBase64` when the bytes are not valid UTF-8.
 */
export function linkTargetJson(latin1Target: string | undefined): {
  linkTarget: string | null;
  linkTargetBase64?: string;
} {
  if (latin1Target === undefined) return { linkTarget: null };
  if (ASCII.test(latin1Target)) return { linkTarget: latin1Target };
  const bytes = Buffer.from(latin1Target, 'latin1');
  const text = utf8.decode(bytes);
  return Buffer.from(text, 'utf8').equals(bytes)
    ? { linkTarget: text }
    : { linkTarget: text, linkTargetBase64: bytes.toString('base64') };
}
