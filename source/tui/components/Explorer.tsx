import { Box, type Key, Text, useInput, useWindowSize } from 'ink';
import { useEffect, useMemo, useReducer, useRef, useState } from 'react';
import { wastedBytes } from '../../model/overlay.js';
import { type PrunePlan, planPrune, planSelection } from '../../model/prune-plan.js';
import type { ScanModel } from '../../model/report.js';
import type { EngineData } from '../data-context.js';
import { size } from '../format.js';
import { loadPreview, useFilesView } from '../hooks/use-files-view.js';
import { usePruneFlow } from '../hooks/use-prune-flow.js';
import { actionFor } from '../key-bindings.js';
import { explorerReducer, initialState, selectionOf } from '../state/explorer-state.js';
import { openFiles } from '../state/files-view.js';
import { openPrune, type PruneFlow } from '../state/prune-flow.js';
import { search } from '../state/search.js';
import { buildRows } from '../state/tree-rows.js';
import { makeTheme } from '../theme.js';
import { DetailPane } from './DetailPane.js';
import { FilesPanel, filesKey, filesModel, searchFiles } from './FilesPanel.js';
import { HelpOverlay } from './HelpOverlay.js';
import { LayerTree, windowStart } from './LayerTree.js';
import { PrunePanel, pruneBodyHeight, pruneLines } from './PrunePanel.js';
import { SearchPanel } from './SearchPanel.js';
import { StatusBar } from './StatusBar.js';

export interface ExplorerProps {
  data: EngineData;
  onQuit: () => void;
  /** Fixed size for tests; otherwise the terminal's, following resizes. */
  size?: { columns: number; rows: number };
  /** Filters every prune plan applies (the docker config's pruneFilters). */
  pruneFilters?: import('../../model/prune-plan.js').PruneFilters | undefined;
}

/**
 * The explorer screen. It owns the UI state (one reducer) and the one keypress handler, which routes
 * by priority: help overlay, then search, then the tree.
 */
export function Explorer({ data, onQuit, size: fixedSize, pruneFilters }: ExplorerProps) {
  const term = useWindowSize();
  const columns = fixedSize?.columns ?? term.columns ?? 80;
  const rowsTotal = fixedSize?.rows ?? term.rows ?? 24;
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
  const selection = useMemo(() => selectionOf(state.marks), [state.marks]);
  const marked = useMemo(
    () => (model && state.marks.size ? planSelection(model, selection) : undefined),
    [model, selection, state.marks.size],
  );
  const makePlan = (m: ScanModel, f: PruneFlow): PrunePlan =>
    f.source === 'prune'
      ? planPrune(m, { all: f.all, volumes: f.volumes, filters: pruneFilters })
      : planSelection(m, selection);
  const [flow, flowDispatch] = usePruneFlow(data, makePlan);
  const [files, filesDispatch] = useFilesView(data);
  const fm = useMemo(() => (files ? filesModel(files) : undefined), [files]);
  const fileHits = useMemo(
    () => (files?.searching && fm ? searchFiles(fm.items, files.query) : []),
    [files?.searching, files?.query, fm],
  );
  const filesStartRef = useRef(0);
  // Wasted bytes per layer, learnt from every image listed to its top in the files pane.
  const [wasted, setWasted] = useState<ReadonlyMap<string, { bytes: number; image: string }>>(new Map());
  useEffect(() => {
    const t = files?.target;
    const listed = files?.listed;
    if (!t || !listed || t.kind !== 'image' || listed.layers.length !== t.layers.length) return;
    const per = wastedBytes(listed.layers).perLayer;
    setWasted((old) => {
      const next = new Map(old);
      for (const [i, l] of t.layers.entries())
        next.set(l.id, { bytes: per[i] ?? 0, image: files?.label ?? t.name });
      return next;
    });
  }, [files?.target, files?.listed, files?.label]);
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
      !(flow && (flow.phase === 'confirm' || flow.phase === 'changed')) &&
      !files?.searching &&
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

  function handlePruneKey(f: PruneFlow, input: string, key: Key): void {
    if (key.ctrl && input === 'c') {
      onQuit();
      return;
    }
    const max = Math.max(0, pruneLines(f).length - pruneBodyHeight(bodyHeight));
    switch (f.phase) {
      case 'preview':
        if (key.escape || input === 'q') flowDispatch({ type: 'close' });
        else if (key.upArrow || input === 'k') flowDispatch({ type: 'scroll', delta: -1, max });
        else if (key.downArrow || input === 'j') flowDispatch({ type: 'scroll', delta: 1, max });
        else if (key.pageUp) flowDispatch({ type: 'scroll', delta: -page, max });
        else if (key.pageDown) flowDispatch({ type: 'scroll', delta: page, max });
        else if (input === '?') flowDispatch({ type: 'explain' });
        else if (input === 'D') flowDispatch({ type: 'confirm' });
        else if (model && f.source === 'prune' && (input === 'a' || input === 'V')) {
          const all = input === 'a' ? !f.all : f.all;
          const volumes = input === 'V' ? !f.volumes : f.volumes;
          flowDispatch({
            type: 'plan',
            plan: planPrune(model, { all, volumes, filters: pruneFilters }),
            all,
            volumes,
          });
        }
        return;
      case 'confirm':
      case 'changed':
        if (key.escape) flowDispatch({ type: 'back' });
        else if (key.return) flowDispatch({ type: 'submit' });
        else if (key.backspace || key.delete) flowDispatch({ type: 'typed', text: f.typed.slice(0, -1) });
        else if (key.upArrow) flowDispatch({ type: 'scroll', delta: -1, max });
        else if (key.downArrow) flowDispatch({ type: 'scroll', delta: 1, max });
        else if (input && !key.ctrl && !key.meta) flowDispatch({ type: 'typed', text: f.typed + input });
        return;
      case 'report':
      case 'failed':
        if (key.escape || key.return || input === 'q') {
          if (f.phase === 'report' && f.source === 'selection') dispatch({ type: 'clearMarks' });
          flowDispatch({ type: 'close' });
        } else if (key.upArrow || input === 'k') flowDispatch({ type: 'scroll', delta: -1, max });
        else if (key.downArrow || input === 'j') flowDispatch({ type: 'scroll', delta: 1, max });
        return;
      default:
        return; // checking, running: the keys wait
    }
  }

  /** Opens the files pane for the row under the cursor: a layer (of an image using it), an image's top layer, a container. */
  function openFilesFor(): void {
    const row = rows[cursor];
    if (!model || !row) return;
    const tagsOf = (id: string) => {
      const img = model.inputs.images.find((i) => i.id === id);
      return img?.tags.length ? img.tags.join(', ') : id.replace(/^sha256:/, '').slice(0, 12);
    };
    if (row.kind === 'container' && row.containerId) {
      const c = model.inputs.containers.find((x) => x.id === row.containerId);
      filesDispatch({ type: 'open', view: openFiles(row.containerId, c?.name ?? row.containerId) });
    } else if (row.kind === 'image' && row.imageId) {
      filesDispatch({ type: 'open', view: openFiles(row.imageId, tagsOf(row.imageId)) });
    } else if (row.kind === 'layer' && row.chainId) {
      // A layer is the same in every image that has it: list it through one of them.
      const node = model.graph.layers.get(row.chainId);
      const image = row.imageId ?? node?.images[0];
      if (node && image) filesDispatch({ type: 'open', view: openFiles(image, tagsOf(image), node.depth) });
    }
  }

  function handleKey(input: string, key: Key): void {
    if (flow) {
      handlePruneKey(flow, input, key);
      return;
    }
    if (files && fm) {
      if (key.ctrl && input === 'c') {
        onQuit();
        return;
      }
      filesKey(files, fm, fileHits, input, key, filesDispatch, page, (item) => {
        void loadPreview(data, files, item).then(
          (lines) =>
            filesDispatch({
              type: 'preview',
              preview: { path: item.path, title: `/${item.path} (${item.type}, ${item.size} bytes)`, lines },
            }),
          (err: unknown) =>
            filesDispatch({
              type: 'preview',
              preview: {
                path: item.path,
                title: 'preview',
                lines: [{ kind: ' ', text: (err as Error).message }],
              },
            }),
        );
      });
      return;
    }
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
      case 'mark':
        dispatch({ type: 'mark', rows });
        return;
      case 'clearMarks':
        dispatch({ type: 'clearMarks' });
        return;
      case 'prune':
        if (model)
          flowDispatch({
            type: 'open',
            flow: openPrune(planPrune(model, { all: true, volumes: false, filters: pruneFilters })),
          });
        return;
      case 'files':
        openFilesFor();
        return;
      case 'removeMarked':
        if (model && marked) flowDispatch({ type: 'open', flow: openPrune(marked) });
        return;
      default:
        return;
    }
  }

  const footer = marked
    ? `${state.marks.size} marked: frees ${size(marked.predictedFreedBytes)} on disk  d remove them  u unmark  Space mark`
    : `? help  / search  f files  p cleanup  Space mark  v view: ${state.view === 'tree' ? 'layer tree' : 'per image'}  s sort: ${state.sort}  r refresh  q quit`;
  let body: React.ReactNode;
  if (!model) {
    body = (
      <Text color={data.phase === 'error' ? theme.color('danger') : theme.color('dim')}>
        {data.phase === 'error' ? (data.message ?? 'error') : 'Connecting to the Docker engine…'}
      </Text>
    );
  } else if (flow) {
    body = <PrunePanel flow={flow} width={columns} height={bodyHeight} theme={theme} />;
  } else if (files && fm) {
    const fcursor = Math.max(
      0,
      fm.rows.findIndex((r) => r.node.path === files.cursor),
    );
    const fstart = windowStart(fcursor, fm.rows.length, Math.max(1, bodyHeight - 5), filesStartRef.current);
    filesStartRef.current = fstart;
    body = (
      <FilesPanel
        view={files}
        fm={fm}
        hits={fileHits}
        width={columns}
        height={bodyHeight}
        theme={theme}
        start={fstart}
      />
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
        marks={state.marks}
      />
    );
    const detail = (
      <DetailPane
        model={model}
        row={rows[cursor]}
        width={wide ? columns - treeWidth : columns}
        height={wide ? bodyHeight : bodyHeight - treeHeight}
        theme={theme}
        wasted={wasted}
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
