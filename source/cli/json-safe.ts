// JSON that is safe on a terminal too. JSON.stringify escapes U+0000-U+001F but writes C1 controls
// raw (U+009B starts a control sequence on terminals that take C1 codes), and bidi controls and
// other invisible format characters, which can make a name in `--json` read as another. Written
// as \uXXXX they are the same string to any JSON parser and plain text on a screen. Outside its
// strings JSON is ASCII, so the whole text can be rewritten.

const UNSAFE_ONE =
  /[\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]|\udb40[\udc00-\udc7f]/;
const UNSAFE = new RegExp(UNSAFE_ONE.source, 'g');

const escapeUnits = (s: string): string =>
  [...Array(s.length).keys()].map((i) => `\\u${s.charCodeAt(i).toString(16).padStart(4, '0')}`).join('');

/** `text` (JSON) with every unsafe character as its \u escape. */
export function jsonSafe(text: string): string {
  return UNSAFE_ONE.test(text) ? text.replace(UNSAFE, escapeUnits) : text;
}

/** JSON.stringify, safe on a terminal (see above). */
export function jsonText(value: unknown, space?: number): string {
  return jsonSafe(JSON.stringify(value, null, space));
}
