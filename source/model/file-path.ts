// File names are bytes. In JSON, `path` is the name as text; when the bytes are not valid UTF-8
// the text cannot hold them, so `pathBase64` carries the exact bytes too (and `path` shows each
// invalid byte as U+FFFD). Readers that need exact names use pathBase64 when it is present.
// A symbolic link's target the same way: `linkTarget`, `linkTargetBase64`.

const utf8 = new TextDecoder('utf-8', { fatal: false });
const ASCII = /^[\x00-\x7f]*$/;

/** Bytes held as a string of one char per byte: as text, and as base64 when the text loses any. */
function bytesJson(latin1: string): { text: string; base64?: string } {
  // ASCII bytes are the same text in UTF-8: no buffers to make (400,000 rows of a big layer).
  if (ASCII.test(latin1)) return { text: latin1 };
  const bytes = Buffer.from(latin1, 'latin1');
  const text = utf8.decode(bytes);
  return Buffer.from(text, 'utf8').equals(bytes) ? { text } : { text, base64: bytes.toString('base64') };
}

/** The JSON fields for a layer-relative path held as a byte string (one char per byte). */
export function filePathJson(latin1Path: string): { path: string; pathBase64?: string } {
  const { text, base64 } = bytesJson(`/${latin1Path}`);
  return base64 === undefined ? { path: text } : { path: text, pathBase64: base64 };
}

/** A symbolic link's target (null when the entry is no link), the same way. */
export function linkTargetJson(latin1Target: string | undefined): {
  linkTarget: string | null;
  linkTargetBase64?: string;
} {
  if (latin1Target === undefined) return { linkTarget: null };
  const { text, base64 } = bytesJson(latin1Target);
  return base64 === undefined ? { linkTarget: text } : { linkTarget: text, linkTargetBase64: base64 };
}
