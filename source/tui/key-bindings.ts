import type { Key } from 'ink';

/** Every key the explorer knows, as data: the input handler and the help overlay both read this table. */
export type Action =
  | 'up'
  | 'down'
  | 'pageUp'
  | 'pageDown'
  | 'home'
  | 'end'
  | 'expand'
  | 'collapse'
  | 'toggle'
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
  | 'quit';

export interface Binding {
  action: Action;
  /** Names shown in help; matched by `matches` below. */
  keys: string[];
  help: string;
}

export const BINDINGS: Binding[] = [
  { action: 'up', keys: ['↑', 'k'], help: 'move up' },
  { action: 'down', keys: ['↓', 'j'], help: 'move down' },
  { action: 'pageUp', keys: ['PgUp', 'Ctrl-b'], help: 'page up' },
  { action: 'pageDown', keys: ['PgDn', 'Ctrl-f'], help: 'page down' },
  { action: 'home', keys: ['Home', 'g'], help: 'first row' },
  { action: 'end', keys: ['End', 'G'], help: 'last row' },
  { action: 'expand', keys: ['→', 'l'], help: 'expand' },
  { action: 'collapse', keys: ['←', 'h'], help: 'collapse, or go to the parent' },
  { action: 'toggle', keys: ['Enter'], help: 'expand / collapse' },
  { action: 'mark', keys: ['Space'], help: 'mark an image, container, volume or the build cache' },
  { action: 'removeMarked', keys: ['d'], help: 'remove the marked items (preview, confirm, report)' },
  { action: 'clearMarks', keys: ['u'], help: 'unmark everything' },
  { action: 'prune', keys: ['p'], help: 'cleanup: exact preview of docker system prune -a' },
  { action: 'files', keys: ['f'], help: "files: the layer's diff (A/M/D/O) or merged view (m)" },
  { action: 'focusNext', keys: ['Tab'], help: 'switch between tree and details' },
  { action: 'search', keys: ['/'], help: 'fuzzy search: images, tags, ids, build commands' },
  { action: 'sort', keys: ['s'], help: 'sort by disk size / by time' },
  { action: 'view', keys: ['v'], help: 'layer tree / per-image view' },
  { action: 'refresh', keys: ['r'], help: 'scan again' },
  { action: 'help', keys: ['?'], help: 'this help' },
  { action: 'quit', keys: ['q', 'Ctrl-c'], help: 'quit' },
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
  Space: (_k, input) => input === ' ',
};

function pressed(name: string, input: string, key: Key): boolean {
  const named = NAMED[name];
  if (named) return named(key, input);
  if (name.startsWith('Ctrl-')) return key.ctrl && input === name.slice(5);
  return !key.ctrl && !key.meta && input === name;
}

export function actionFor(input: string, key: Key): Action | undefined {
  return BINDINGS.find((b) => b.keys.some((k) => pressed(k, input, key)))?.action;
}
