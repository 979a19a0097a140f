import type { Key } from 'ink';

/**
 * Every key the explorer knows, as data, per pane: the input handlers look keys up here and the
 * help overlay is drawn from the same table, so help cannot disagree with what the keys do. Panes
 * that take typed text (the searches, the typed confirmation) list their keys; any other printable
 * key is text there.
 */
export type Pane = 'tree' | 'search' | 'files' | 'filesSearch' | 'preview' | 'cleanup' | 'confirm' | 'report';

export type Action =
  // moving, in every list
  | 'up'
  | 'down'
  | 'pageUp'
  | 'pageDown'
  | 'home'
  | 'end'
  | 'expand'
  | 'collapse'
  | 'toggle'
  // the tree
  | 'expandAll'
  | 'collapseAll'
  | 'mark'
  | 'removeMarked'
  | 'clearMarks'
  | 'prune'
  | 'files'
  | 'focusNext'
  | 'search'
  | 'sort'
  | 'view'
  | 'refresh'
  | 'help'
  | 'quit'
  // the files pane
  | 'close'
  | 'open'
  | 'mode'
  | 'wastedFiles'
  | 'filter'
  | 'toggleStatus'
  | 'info'
  | 'largest'
  | 'prevLayer'
  | 'nextLayer'
  // searches and the typed confirmation
  | 'accept'
  | 'erase'
  | 'eraseWord'
  | 'clear'
  // the cleanup panel
  | 'explain'
  | 'confirm'
  | 'toggleAll'
  | 'toggleVolumes';

export interface Binding {
  action: Action;
  /** Names shown in help; matched by `pressed` below. */
  keys: string[];
  help: string;
  /** A short label for the pane's prompt line, where the pane shows its keys in one line. */
  hint?: string;
}

const MOVE: Binding[] = [
  { action: 'up', keys: ['↑', 'k'], help: 'move up' },
  { action: 'down', keys: ['↓', 'j'], help: 'move down' },
  { action: 'pageUp', keys: ['PgUp', 'Ctrl-b'], help: 'page up' },
  { action: 'pageDown', keys: ['PgDn', 'Ctrl-f'], help: 'page down' },
  { action: 'home', keys: ['Home', 'g'], help: 'first row' },
  { action: 'end', keys: ['End', 'G'], help: 'last row' },
];
const SCROLL: Binding[] = [
  { action: 'up', keys: ['↑', 'k'], help: 'scroll up' },
  { action: 'down', keys: ['↓', 'j'], help: 'scroll down' },
  { action: 'pageUp', keys: ['PgUp', 'Ctrl-b'], help: 'page up' },
  { action: 'pageDown', keys: ['PgDn', 'Ctrl-f'], help: 'page down' },
  { action: 'home', keys: ['Home', 'g'], help: 'top' },
  { action: 'end', keys: ['End', 'G'], help: 'bottom' },
];
const QUIT: Binding = { action: 'quit', keys: ['Ctrl-c'], help: 'quit layertop' };
/** A fuzzy search field (the tree's, the files pane's): typed text filters, these keys act. */
const searchKeys = (accept: string): Binding[] => [
  { action: 'accept', keys: ['Enter'], help: accept },
  { action: 'up', keys: ['↑'], help: 'previous match' },
  { action: 'down', keys: ['↓'], help: 'next match' },
  { action: 'erase', keys: ['Backspace'], help: 'delete a character' },
  { action: 'eraseWord', keys: ['Ctrl-w'], help: 'delete the last word' },
  { action: 'clear', keys: ['Ctrl-u'], help: 'clear the query' },
  { action: 'close', keys: ['Esc'], help: 'close the search' },
  QUIT,
];

/**
 * How far a scroll action moves a view whose page is `page` lines: ±Infinity goes to an end (the
 * caller's reducer clamps). Undefined for any other action. One table for the cleanup panel, its
 * report and the help.
 */
export function scrollDelta(action: Action | undefined, page: number): number | undefined {
  switch (action) {
    case 'up':
      return -1;
    case 'down':
      return 1;
    case 'pageUp':
      return -page;
    case 'pageDown':
      return page;
    case 'home':
      return Number.NEGATIVE_INFINITY;
    case 'end':
      return Number.POSITIVE_INFINITY;
    default:
      return undefined;
  }
}

/** A search query after an editing action (Backspace, Ctrl-w, Ctrl-u); undefined for any other. */
export function editedQuery(action: Action | undefined, query: string): string | undefined {
  if (action === 'erase') return query.slice(0, -1);
  // As a shell's Ctrl-w: the blanks before the cursor, then the word before them.
  if (action === 'eraseWord') return query.replace(/\S*\s*$/, '');
  if (action === 'clear') return '';
  return undefined;
}

export const PANES: Record<Pane, { title: string; bindings: Binding[] }> = {
  tree: {
    title: 'layer tree',
    bindings: [
      ...MOVE,
      { action: 'expand', keys: ['→', 'l'], help: 'expand' },
      { action: 'collapse', keys: ['←', 'h'], help: 'collapse, or go to the parent' },
      { action: 'toggle', keys: ['Enter'], help: 'expand / collapse' },
      { action: 'expandAll', keys: ['+'], help: 'expand everything' },
      { action: 'collapseAll', keys: ['-'], help: 'collapse everything to the base layers' },
      { action: 'mark', keys: ['Space'], help: 'mark an image, container, volume or the build cache' },
      { action: 'removeMarked', keys: ['d'], help: 'remove the marked items (preview, confirm, report)' },
      { action: 'clearMarks', keys: ['u'], help: 'unmark everything' },
      { action: 'prune', keys: ['p'], help: 'cleanup: exact preview of docker system prune -a' },
      { action: 'files', keys: ['f'], help: "files: the layer's diff (A/M/D/O) or merged view (m)" },
      { action: 'focusNext', keys: ['Tab'], help: 'switch between tree and details' },
      {
        action: 'search',
        keys: ['/'],
        help: 'fuzzy search: images, tags, ids, build commands, containers, cache records',
      },
      { action: 'sort', keys: ['s'], help: 'sort by disk size / by time' },
      {
        action: 'view',
        keys: ['v'],
        help: 'layer tree / per-image view / disk: every byte of the data root by category',
      },
      { action: 'refresh', keys: ['r'], help: 'scan again' },
      { action: 'help', keys: ['?'], help: 'this help' },
      { action: 'quit', keys: ['q', 'Ctrl-c'], help: 'quit' },
    ],
  },
  search: { title: 'search (type to filter)', bindings: searchKeys('go to the selected match') },
  files: {
    title: 'files',
    bindings: [
      ...MOVE,
      { action: 'expand', keys: ['→', 'l'], help: 'open a directory' },
      { action: 'collapse', keys: ['←', 'h'], help: 'close a directory, or go to the parent' },
      { action: 'open', keys: ['Enter'], help: 'open a directory / preview a file' },
      { action: 'mode', keys: ['m'], help: "the layer's diff / the merged view below it" },
      {
        action: 'wastedFiles',
        keys: ['w'],
        help: "the image's wasted files (replaced or deleted later), most first",
      },
      { action: 'sort', keys: ['s'], help: 'sort by size / by name' },
      {
        action: 'largest',
        keys: ['L'],
        help: "every file in one list, largest first (the layer's in the diff, the image's in the merged view)",
      },
      {
        action: 'toggleStatus',
        keys: ['A', 'M', 'D', 'O'],
        help: 'show only added / modified / deleted / opaque entries (they combine: A then D shows both)',
      },
      { action: 'filter', keys: ['F'], help: 'show every status again' },
      {
        action: 'info',
        keys: ['i'],
        help: 'mode, owner and modification time of each entry (a chmod or chown copy-up says what changed)',
      },
      { action: 'prevLayer', keys: ['['], help: 'the layer below' },
      { action: 'nextLayer', keys: [']'], help: 'the layer above' },
      { action: 'search', keys: ['/'], help: 'fuzzy search by path' },
      { action: 'help', keys: ['?'], help: 'this help' },
      { action: 'close', keys: ['Esc', 'q'], help: 'back to the tree' },
      QUIT,
    ],
  },
  filesSearch: { title: 'files search (type to filter)', bindings: searchKeys('go to the selected path') },
  preview: {
    title: 'file preview',
    bindings: [...SCROLL, { action: 'close', keys: ['Esc', 'q', '←'], help: 'back to the files' }, QUIT],
  },
  cleanup: {
    title: 'cleanup preview',
    bindings: [
      ...SCROLL,
      {
        action: 'confirm',
        keys: ['D'],
        help: 'delete: asks for the typed confirmation',
        hint: 'remove all of this',
      },
      {
        action: 'toggleAll',
        keys: ['a'],
        help: 'prune: every unused image (-a) / dangling only',
        hint: 'toggle -a',
      },
      {
        action: 'toggleVolumes',
        keys: ['V'],
        help: 'prune: anonymous volumes too (--volumes)',
        hint: 'toggle --volumes',
      },
      { action: 'explain', keys: ['?'], help: 'how each figure is computed', hint: 'explain' },
      { action: 'close', keys: ['Esc', 'q'], help: 'back to the tree', hint: 'close' },
      QUIT,
    ],
  },
  confirm: {
    title: 'typed confirmation (type yes)',
    bindings: [
      { action: 'accept', keys: ['Enter'], help: 'run the removal once "yes" is typed' },
      { action: 'erase', keys: ['Backspace'], help: 'delete a character' },
      { action: 'up', keys: ['↑'], help: 'scroll up' },
      { action: 'down', keys: ['↓'], help: 'scroll down' },
      { action: 'close', keys: ['Esc'], help: 'back to the preview' },
      QUIT,
    ],
  },
  report: {
    title: 'cleanup report',
    bindings: [...SCROLL, { action: 'close', keys: ['Esc', 'Enter', 'q'], help: 'back to the tree' }, QUIT],
  },
};

/** The tree's keys: kept by this name for the footer and the tests. */
export const BINDINGS = PANES.tree.bindings;

/** What the symbols on screen mean: part of every help. */
export const SYMBOLS: [string, string][] = [
  ['SIZE', "Docker's bytes"],
  ['DISK', 'allocated on disk'],
  ['S×n', 'shared by n images'],
  ['U', 'unique to one image'],
  ['C×n', 'used by n containers'],
  ['RW', 'writable layer'],
  ['▣ ◆', 'image, container'],
  ['A M D O', 'added, modified, deleted, opaque'],
];

/** Named keys as Ink reports them; any other name is the character itself (or Ctrl-<char>). */
const NAMED: Record<string, (key: Key, input: string) => boolean> = {
  '↑': (k) => k.upArrow,
  '↓': (k) => k.downArrow,
  '←': (k) => k.leftArrow,
  '→': (k) => k.rightArrow,
  PgUp: (k) => k.pageUp,
  PgDn: (k) => k.pageDown,
  Home: (k) => k.home,
  End: (k) => k.end,
  Enter: (k) => k.return,
  Tab: (k) => k.tab,
  Esc: (k) => k.escape,
  Backspace: (k) => k.backspace || k.delete,
  Space: (_k, input) => input === ' ',
};

function pressed(name: string, input: string, key: Key): boolean {
  const named = NAMED[name];
  if (named) return named(key, input);
  if (name.startsWith('Ctrl-')) return key.ctrl && input === name.slice(5);
  return !key.ctrl && !key.meta && input === name;
}

/** The pane's prompt line from the table: "D remove all of this  ? explain  Esc close". */
export function keyHints(pane: Pane, leaveOut: readonly Action[] = []): string {
  return PANES[pane].bindings
    .filter((b) => b.hint && !leaveOut.includes(b.action))
    .map((b) => `${b.keys[0]} ${b.hint}`)
    .join('  ');
}

/**
 * Hints on one line of `width` cells, two spaces apart: the first and the last always (help and
 * quit, or close: the keys a person needs to get out), the ones between in order while they fit.
 */
export function fitHints(hints: readonly string[], width: number): string {
  if (hints.length <= 2) return hints.join('  ');
  const first = hints[0] as string;
  const last = hints.at(-1) as string;
  let used = first.length + 2 + last.length;
  const middle: string[] = [];
  for (const h of hints.slice(1, -1)) {
    if (used + h.length + 2 > width) continue;
    middle.push(h);
    used += h.length + 2;
  }
  return [first, ...middle, last].join('  ');
}

/** The action of a key in a pane, if it has one there. */
export function actionIn(pane: Pane, input: string, key: Key): Action | undefined {
  return PANES[pane].bindings.find((b) => b.keys.some((k) => pressed(k, input, key)))?.action;
}

/** The tree's action of a key (the pane most keys go to). */
export function actionFor(input: string, key: Key): Action | undefined {
  return actionIn('tree', input, key);
}

/** Printable text typed into a pane that takes text (a search, the confirmation). */
export function typedText(input: string, key: Key): string | undefined {
  return input && !key.ctrl && !key.meta && !key.escape && !key.return ? input : undefined;
}
