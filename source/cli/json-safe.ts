// JSON that is safe on a terminal too. JSON.stringify escapes U+0000-U+001F but writes C1 controls
// raw (U+009B starts a control sequence on terminals that take C1 codes), and bidi controls and
// other invisible characters, which can make a name in `--json` read as another. Written as \uXXXX
// they are the same string to any JSON parser and plain text on a screen. Outside its strings JSON
// is ASCII, so the whole text can be rewritten. The invisible characters are the screen's own set
// (model/escape.ts), so the two never disagree.
import { INVISIBLE_CLASS } from '../model/escape.js';

const SOURCE = `[\\u007f-\\u009f]|${INVISIBLE_CLASS}`;
const UNSAFE_ONE = new RegExp(SOURCE, 'u');
const UNSAFE = new RegExp(SOURCE, 'gu');

const escapeUnits = (s: string): string => {
  let out = '';
  for (let i = 0; i < s.length; i++) out += `\\u${s.charCodeAt(i).toString(16).padStart(4, '0')}`;
  return out;
};

/** `text` (JSON) with every unsafe character as its \u escape(s). */
export function jsonSafe(text: string): string {
  return UNSAFE_ONE.test(text) ? text.replace(UNSAFE, escapeUnits) : text;
}

/** JSON.stringify, safe on a terminal (see above). */
export function jsonText(value: unknown, space?: number): string {
  return jsonSafe(JSON.stringify(value, null, space));
}
