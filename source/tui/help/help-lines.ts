// The help overlay's lines for a pane at a given width, pure: drawn from the key table, so help can
// never disagree with what the keys do. Nothing is cut: a description wraps under itself, and when
// the lines are more than the screen holds the overlay scrolls (help-window below).
import { type Binding, PANES, type Pane, SYMBOLS } from '../key-bindings.js';

export interface HelpLine {
  text: string;
  /** The symbols' legend (drawn dim). */
  legend?: boolean;
}

/** Greedy word wrap to `width` cells; a word longer than a line is cut into pieces. */
export function wrap(text: string, width: number): string[] {
  const w = Math.max(1, width);
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    let rest = word;
    while (rest.length > w) {
      if (line) {
        out.push(line);
        line = '';
      }
      out.push(rest.slice(0, w));
      rest = rest.slice(w);
    }
    if (!line) line = rest;
    else if (line.length + 1 + rest.length <= w) line += ` ${rest}`;
    else {
      out.push(line);
      line = rest;
    }
  }
  if (line || out.length === 0) out.push(line);
  return out;
}

/** "keys  what they do", the description wrapped under itself at `width`. */
function entryLines(key: string, keyWidth: number, help: string, width: number): string[] {
  return wrap(help, width - keyWidth).map(
    (part, i) => (i === 0 ? key.padEnd(keyWidth) : ' '.repeat(keyWidth)) + part,
  );
}

const keyText = (b: Binding) => b.keys.join(' / ');

/**
 * The lines of the help for `pane` in `width` cells. Where the keys, whole, and the symbols fit side
 * by side within `height` rows, the symbols stand to the right of the keys; otherwise they follow
 * the keys as a second list.
 */
export function helpLines(pane: Pane, width: number, height: number): HelpLine[] {
  const { bindings } = PANES[pane];
  const keyWidth = Math.max(...bindings.map((b) => keyText(b).length)) + 2;
  const helpWidth = Math.max(...bindings.map((b) => b.help.length));
  const symWidth = Math.max(...SYMBOLS.map(([sym]) => sym.length)) + 2;
  const legendWidth = Math.max(...SYMBOLS.map(([, text]) => text.length)) + symWidth;
  const besideAt = keyWidth + helpWidth + 3;
  if (besideAt + legendWidth <= width && bindings.length <= height) {
    return bindings.map((b, i) => {
      const sym = SYMBOLS[i];
      const left = `${keyText(b).padEnd(keyWidth)}${b.help}`.padEnd(besideAt);
      return { text: sym ? `${left}${sym[0].padEnd(symWidth)}${sym[1]}` : left };
    });
  }
  const lines: HelpLine[] = [];
  for (const b of bindings)
    for (const text of entryLines(keyText(b), keyWidth, b.help, width)) lines.push({ text });
  lines.push({ text: '' });
  for (const [sym, text] of SYMBOLS)
    for (const t of entryLines(sym, Math.max(keyWidth, symWidth), text, width))
      lines.push({ text: t, legend: true });
  return lines;
}

/**
 * The part of `lines` shown in `rows` rows from `scroll`, clamped. When not all fit, the last row
 * says where the view is and how to move it.
 */
export function helpWindow(
  lines: readonly HelpLine[],
  rows: number,
  scroll: number,
): { shown: HelpLine[]; status?: string; maxScroll: number } {
  if (lines.length <= rows) return { shown: [...lines], maxScroll: 0 };
  const room = Math.max(1, rows - 1);
  const maxScroll = lines.length - room;
  const from = Math.max(0, Math.min(maxScroll, scroll));
  return {
    shown: lines.slice(from, from + room),
    status: `lines ${from + 1}-${from + room} of ${lines.length}  ↑↓ scroll${from < maxScroll ? ' (more below)' : ''}`,
    maxScroll,
  };
}
