import { Box, type Key, Text, useInput, useWindowSize } from 'ink';
import { useMemo, useReducer, useRef } from 'react';
import type { EngineData } from '../data-context.js';
import { actionFor } from '../key-bindings.js';
import { explorerReducer, initialState } from '../state/explorer-state.js';
import { search } from '../state/search.js';
import { buildRows } from '../state/tree-rows.js';
import { makeTheme } from '../theme.js';
import { DetailPane } from './DetailPane.js';
import { HelpOverlay } from './HelpOverlay.js';
import { LayerTree, windowStart } from './LayerTree.js';
import { SearchPanel } from './SearchPanel.js';
import { StatusBar } from './StatusBar.js';

export interface ExplorerProps {
  data: EngineData;
  onQuit: () => void;
  /** Fixed size for tests; otherwise the terminal's, following resizes. */
  size?: { columns: number; rows: number };
}

/**
 * The explorer screen. It owns the UI state (one reducer) and the one keypress handler, which routes
 * by priority: help overlay, then search, then the tree.
 */
export function Explorer({ data, onQuit, size }: ExplorerProps) {
  const term = useWindowSize();
  const columns = size?.columns ?? term.columns ?? 80;
  const rowsTotal = size?.rows ?? term.rows ?? 24;
  const theme = useMemo(() => makeTheme(), []);
  const [state, dispatch] = useReducer(explorerReducer, initialState);
  const model = data.model;
  const rows = useMemo(
    () => (model ? buildRows(model, state.collapsed, state.view, state.sort) : []),
    [model, state.collapsed, state.view, state.sort],
  );
  const hits = useMemo(
    () => (model && state.overlay === 'search' ? search(model, state.query) : []),
    [model, state.overlay, state.query],
  );
  const found = rows.findIndex((r) => r.key === state.cursor);
  const cursor = Math.max(0, found);
  const bodyHeight = Math.max(3, rowsTotal - 3);
  const wide = columns >= 140;
  const treeWidth = wide ? Math.floor(columns * 0.6) : columns;
  const treeHeight = wide ? bodyHeight : Math.max(3, bodyHeight - 9);
  const startRef = useRef(0);
  const start = windowStart(cursor, rows.length, treeHeight - 1, startRef.current);
  startRef.current = start;
  const page = Math.max(1, treeHeight - 2);

  // Keys typed faster than a frame arrive as one string ("jjj"): outside the search field each
  // character is its own key press. A reducer batch keeps the cursor moves exact.
  useInput((input, key) => {
    if (
      state.overlay !== 'search' &&
      input.length > 1 &&
      !key.ctrl &&
      !key.meta &&
      /^[\x20-\x7e]+$/.test(input)
    ) {
      for (const ch of input) handleKey(ch, { ...key, return: false });
      return;
    }
    handleKey(input, key);
  });

  function handleKey(input: string, key: Key): void {
    if (state.overlay === 'help') {
      if (key.escape || input === '?' || input === 'q') dispatch({ type: 'overlay', overlay: 'none' });
      return;
    }
    if (state.overlay === 'search') {
      if (key.escape) dispatch({ type: 'overlay', overlay: 'none' });
      else if (key.return) {
        const hit = hits[state.searchIndex];
        if (hit) dispatch({ type: 'reveal', row: hit.row });
      } else if (key.upArrow) dispatch({ type: 'searchMove', delta: -1, count: hits.length });
      else if (key.downArrow) dispatch({ type: 'searchMove', delta: 1, count: hits.length });
      else if (key.backspace || key.delete) dispatch({ type: 'query', query: state.query.slice(0, -1) });
      else if (key.ctrl && input === 'c') onQuit();
      else if (input && !key.ctrl && !key.meta) dispatch({ type: 'query', query: state.query + input });
      return;
    }
    const action = actionFor(input, key);
    switch (action) {
      case 'quit':
        onQuit();
        return;
      case 'up':
        dispatch({ type: 'move', delta: -1, rows });
        return;
      case 'down':
        dispatch({ type: 'move', delta: 1, rows });
        return;
      case 'pageUp':
        dispatch({ type: 'move', delta: -page, rows });
        return;
      case 'pageDown':
        dispatch({ type: 'move', delta: page, rows });
        return;
      case 'home':
        dispatch({ type: 'jump', to: 'first', rows });
        return;
      case 'end':
        dispatch({ type: 'jump', to: 'last', rows });
        return;
      case 'expand':
      case 'collapse':
      case 'toggle':
        dispatch({ type: action, rows });
        return;
      case 'focusNext':
      case 'sort':
      case 'view':
        dispatch({ type: action });
        return;
      case 'search':
        dispatch({ type: 'overlay', overlay: 'search' });
        return;
      case 'help':
        dispatch({ type: 'overlay', overlay: 'help' });
        return;
      case 'refresh':
        data.refresh();
        return;
      default:
        return;
    }
  }

  const footer = `? help  / search  v view: ${state.view === 'tree' ? 'layer tree' : 'per image'}  s sort: ${state.sort}  r refresh  q quit`;
  let body: React.ReactNode;
  if (!model) {
    body = (
      <Text color={data.phase === 'error' ? theme.color('danger') : theme.color('dim')}>
        {data.phase === 'error' ? (data.message ?? 'error') : 'Connecting to the Docker engine…'}
      </Text>
    );
  } else if (state.overlay === 'help') {
    body = <HelpOverlay theme={theme} height={bodyHeight} />;
  } else if (state.overlay === 'search') {
    body = (
      <SearchPanel
        query={state.query}
        hits={hits}
        index={state.searchIndex}
        height={bodyHeight}
        theme={theme}
      />
    );
  } else {
    const tree = (
      <LayerTree
        model={model}
        rows={rows}
        cursor={cursor}
        start={start}
        height={treeHeight}
        width={treeWidth}
        theme={theme}
        focused={state.focus === 'tree'}
      />
    );
    const detail = (
      <DetailPane
        model={model}
        row={rows[cursor]}
        width={wide ? columns - treeWidth : columns}
        height={wide ? bodyHeight : bodyHeight - treeHeight}
        theme={theme}
      />
    );
    body = (
      <Box flexDirection={wide ? 'row' : 'column'}>
        {tree}
        {detail}
      </Box>
    );
  }
  return (
    <Box flexDirection="column" width={columns} height={rowsTotal}>
      <StatusBar data={data} width={columns} theme={theme} />
      <Box height={bodyHeight} flexDirection="column">
        {body}
      </Box>
      {data.message && model ? (
        <Text wrap="truncate" color={theme.color('shared')}>
          {data.message}
        </Text>
      ) : (
        <Text wrap="truncate" color={theme.color('dim')}>
          {footer}
        </Text>
      )}
    </Box>
  );
}
