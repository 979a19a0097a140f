import { Box, type Key, Text, useWindowSize } from 'ink';
import { useEffect, useLayoutEffect, useMemo, useReducer, useRef, useState } from 'react';
import { shortId } from '../../model/digest.js';
import { escapeBytes, escapeText } from '../../model/escape.js';
import { heldByBuildCache } from '../../model/freed.js';
import { wastedBytes } from '../../model/overlay.js';
import { type PrunePlan, planPrune, planSelection } from '../../model/prune-plan.js';
import type { ScanModel } from '../../model/report.js';
import { PrunePanel, panelInner, pruneBodyHeight, pruneLines } from '../cleanup/PrunePanel.js';
import { openPrune, type PruneFlow } from '../cleanup/prune-flow.js';
import { usePruneFlow } from '../cleanup/use-prune-flow.js';
import type { EngineData } from '../engine-data.js';
import {
  FilesPanel,
  filesKey,
  filesModel,
  filesPaneLines,
  prepareFileSearch,
  searchFiles,
} from '../files/FilesPanel.js';
import { type FilesView, openFiles } from '../files/files-view.js';
import { loadPreview, useFilesView } from '../files/use-files-view.js';
import { disk } from '../format.js';
import { HelpOverlay, helpRows } from '../help/HelpOverlay.js';
import { helpLines, helpWindow } from '../help/help-lines.js';
import {
  type Action,
  actionFor,
  actionIn,
  editedQuery,
  fitHints,
  type Pane,
  scrollDelta,
  typedText,
} from '../key-bindings.js';
import { useKeys } from '../keys-to.js';
import { RenderEpoch } from '../render-epoch.js';
import { SearchPanel } from '../search/SearchPanel.js';
import { dropSearchIndex, prepareSearch, search } from '../search/search.js';
import { makeTheme } from '../theme.js';
import { DetailPane, detailFields } from '../tree/DetailPane.js';
import { LayerTree, revealStart, windowStart } from '../tree/LayerTree.js';
import { buildRows, type Row } from '../tree/tree-rows.js';
import { type ExplorerState, explorerReducer, initialState, selectionOf } from './explorer-state.js';
import { StatusBar } from './StatusBar.js';

export interface ExplorerProps {
  data: EngineData;
  onQuit: () => void;
  /** Fixed size for tests; otherwise the terminal's, following resizes. */
  size?: { columns: number; rows: number };
  /** Filters every prune plan applies (the docker config's pruneFilters). */
  pruneFilters?: import('../../model/prune-plan.js').PruneFilters | undefined;
  /** Opened from the fleet view: each layer on how many engines, and what q goes back to. */
  across?: ReadonlyMap<string, { engines: number; diskBytes: number | null }> | undefined;
}

/**
 * The explorer screen. It owns the UI state (one reducer) and the one keypress handler, which routes
 * by priority: help overlay, then search, then the tree.
 */
const STALE_HINT = "the cleanup waits for this run's own scan (the tree still shows the last one)";
const AWAY_HINT = 'the engine is away (reconnecting): no cleanup until it answers again';
const REBORN_HINT =
  'the engine came back: the cleanup preview made before was closed; p (or d) makes a fresh one';

export function Explorer({ data, onQuit, size: fixedSize, pruneFilters, across }: ExplorerProps) {
  const term = useWindowSize();
  const columns = fixedSize?.columns ?? term.columns ?? 80;
  const rowsTotal = fixedSize?.rows ?? term.rows ?? 24;
  const theme = useMemo(() => makeTheme(), []);
  const [state, rawDispatch] = useReducer(explorerReducer, initialState);
  // Key presses can arrive several per frame ("/" then "lthostile" from a fast typist or a paste):
  // each must see the state the previous one made, not the last rendered one. The reducer is pure,
  // so the handler keeps its own copy of the latest state next to React's.
  const latest = useRef(state);
  const dispatch = (action: Parameters<typeof explorerReducer>[1]) => {
    latest.current = explorerReducer(latest.current, action);
    rawDispatch(action);
  };
  const model = data.model;
  const rows = useMemo(
    () => (model ? buildRows(model, state.collapsed, state.view, state.sort) : []),
    [model, state.collapsed, state.view, state.sort],
  );
  const hits = useMemo(
    () => (model && state.overlay === 'search' ? search(model, state.query) : []),
    [model, state.overlay, state.query],
  );
  // The search index of a measured model that has stayed 200 ms is built (and prepared by
  // fuzzysort in background slices, see prepareSearch), not at the first typed character (about
  // 40 ms at 3,100 layers and 1,800 build-cache records). Not for a model a scan under way will
  // replace (the API tree, the last scan): its index took 7 MB and 40 ms of the measuring, and
  // such a model's index is built when the search opens (prepared while the first character is
  // typed). While a rescan runs, the index of the model on screen goes unless a search is open
  // (which keeps or builds it): it is not held beside the scan and the model that scan makes
  // (10-14 MB at 1,322 images). A settled model's is built whether a search is open or not.
  const settled = data.phase === 'ready';
  const keep = !settled && state.overlay === 'search';
  useEffect(() => {
    if (!model) return;
    if (!settled && !keep) {
      dropSearchIndex(model);
      return;
    }
    let cancel: (() => void) | undefined;
    const t = setTimeout(
      () => {
        cancel = prepareSearch(model);
      },
      settled ? 200 : 0,
    );
    t.unref?.();
    return () => {
      clearTimeout(t);
      cancel?.();
    };
  }, [model, settled, keep]);
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
  // The marked set is gone once its removal has reported: the footer said "2 marked: frees 0B"
  // under the report until it was closed (a user trial). What failed is in the report; marking
  // it again is one Space.
  const reported = flow?.phase === 'report' && flow.source === 'selection';
  // A layout effect: the report's first frame shows no marks either.
  // biome-ignore lint/correctness/useExhaustiveDependencies: dispatch is made anew each render; the effect is about `reported` turning true
  useLayoutEffect(() => {
    if (reported) dispatch({ type: 'clearMarks' });
  }, [reported]);
  // The engine came back after it was lost: a preview made before (and an error about the loss)
  // is closed, never confirmed against an engine that restarted meanwhile (its containers stopped,
  // say). A user trial found the old rows and error kept, D doing nothing, "yes" closing silently.
  const latestFlow = useRef(flow);
  latestFlow.current = flow;
  const link = data.link;
  const linkBefore = useRef(link);
  // biome-ignore lint/correctness/useExhaustiveDependencies: about `link` changing; the dispatches are stable in effect
  useEffect(() => {
    const was = linkBefore.current;
    linkBefore.current = link;
    const open = latestFlow.current;
    if (was !== 'lost' || link === 'lost' || !open) return;
    if (open.phase === 'checking' || open.phase === 'running' || open.phase === 'report') return;
    flowDispatch({ type: 'close' });
    dispatch({ type: 'hint', text: REBORN_HINT });
  }, [link]);
  const [files, filesDispatch, filesNow] = useFilesView(data);
  const fm = useMemo(() => (files ? filesModel(files) : undefined), [files]);
  const fileHits = useMemo(
    () => (files?.searching && fm ? searchFiles(fm.items, files.query) : []),
    [files?.searching, files?.query, fm],
  );
  // The search's keys made as the search opens, after its line is drawn, not at the first typed
  // character (0.1-0.2 s for a listing of 20,000 to 400,000 names).
  const searchItems = files?.searching ? fm?.items : undefined;
  useEffect(() => {
    if (!searchItems) return;
    const t = setTimeout(() => prepareFileSearch(searchItems), 0);
    return () => clearTimeout(t);
  }, [searchItems]);
  const filesStartRef = useRef(0);
  const filesOpenedRef = useRef<FilesView['opened']>(undefined);
  // Wasted bytes per layer, learnt from every image listed to its top in the files pane.
  const [wasted, setWasted] = useState<
    ReadonlyMap<string, { bytes: number; image: string; imageId: string }>
  >(new Map());
  useEffect(() => {
    const t = files?.target;
    const listed = files?.listed;
    if (!t || !listed || t.kind !== 'image' || listed.layers.length !== t.layers.length) return;
    const per = wastedBytes(listed.layers).perLayer;
    setWasted((old) => {
      const next = new Map(old);
      for (const [i, l] of t.layers.entries())
        next.set(l.id, { bytes: per[i] ?? 0, image: files?.label ?? t.name, imageId: t.id });
      return next;
    });
  }, [files?.target, files?.listed, files?.label]);
  const found = rows.findIndex((r) => r.key === state.cursor);
  const cursor = Math.max(0, found);
  const bodyHeight = Math.max(3, rowsTotal - 3);
  const wide = columns >= 140;
  const treeWidth = wide ? Math.floor(columns * 0.6) : columns;
  // The details take 9 lines under the tree, fewer on a short terminal (a third of the body, at
  // least 4): at 80x24 they took 9 of 24 lines and left the tree 11 rows.
  const detailRows = Math.max(4, Math.min(9, Math.floor(bodyHeight / 3)));
  const treeHeight = wide ? bodyHeight : Math.max(3, bodyHeight - detailRows);
  const startRef = useRef(0);
  const openedRef = useRef<ExplorerState['opened']>(undefined);
  let start = windowStart(cursor, rows.length, treeHeight - 1, startRef.current);
  // Once per opening: the rows it added come into view (see ExplorerState.opened).
  const op = state.opened;
  if (op && op !== openedRef.current && rows[cursor]?.key === op.key) {
    openedRef.current = op;
    start = revealStart(start, cursor, cursor + rows.length - op.rowsBefore, treeHeight - 1);
  }
  startRef.current = start;
  const page = Math.max(1, treeHeight - 2);

  // Keys typed faster than a frame arrive as one string ("jjj"): outside the search field each
  // character is its own key press. A reducer batch keeps the cursor moves exact. Each key reaches
  // the handler of the frame on screen (useKeys, keys-to.ts).
  const onInput = (input: string, key: Key): void => {
    // Keys read in one chunk with a control key among them ("app-b\r" typed fast or pasted,
    // "\t-" for Tab then "-"): the text goes in as typed, each Enter, Tab or Backspace as its own
    // key, so a search is never given "\r" and a Tab is never lost with the key after it.
    if (input.length > 1 && !key.ctrl && !key.meta && /[\r\n\t\x7f\b]/.test(input)) {
      for (const part of input.split(/(\r\n|[\r\n\t\x7f\b])/)) {
        if (!part) continue;
        if (/^[\r\n]+$/.test(part)) handleKey('', { ...key, return: true });
        else if (part === '\t') handleKey('', { ...key, tab: true });
        else if (part === '\x7f' || part === '\b') handleKey('', { ...key, backspace: true });
        else onInput(part, { ...key, return: false });
      }
      return;
    }
    if (
      latest.current.overlay !== 'search' &&
      !(flow && (flow.phase === 'confirm' || flow.phase === 'changed')) &&
      !filesNow.current?.searching &&
      input.length > 1 &&
      !key.ctrl &&
      !key.meta &&
      /^[\x20-\x7e]+$/.test(input)
    ) {
      for (const ch of input) handleKey(ch, { ...key, return: false });
      return;
    }
    handleKey(input, key);
  };
  useKeys(onInput);

  function handlePruneKey(f: PruneFlow, input: string, key: Key): void {
    if (key.ctrl && input === 'c') {
      onQuit();
      return;
    }
    const body = pruneBodyHeight(bodyHeight);
    const max = Math.max(0, pruneLines(f, panelInner(columns)).length - body);
    // The panel's own page (the tree's is taller: a page of it skipped lines here), and its ends.
    const scroll = (action: Action | undefined) => {
      const delta = scrollDelta(action, body);
      if (delta === undefined) return false;
      flowDispatch({ type: 'scroll', delta, max });
      return true;
    };
    switch (f.phase) {
      case 'preview': {
        const action = actionIn('cleanup', input, key);
        if (action === 'close') flowDispatch({ type: 'close' });
        else if (scroll(action)) return;
        else if (action === 'explain') flowDispatch({ type: 'explain' });
        else if (action === 'confirm') flowDispatch({ type: 'confirm' });
        else if (model && f.source === 'prune' && (action === 'toggleAll' || action === 'toggleVolumes')) {
          const all = action === 'toggleAll' ? !f.all : f.all;
          const volumes = action === 'toggleVolumes' ? !f.volumes : f.volumes;
          flowDispatch({
            type: 'plan',
            plan: planPrune(model, { all, volumes, filters: pruneFilters }),
            all,
            volumes,
          });
        }
        return;
      }
      case 'confirm':
      case 'changed': {
        const action = actionIn('confirm', input, key);
        if (action === 'close') flowDispatch({ type: 'back' });
        else if (action === 'accept') flowDispatch({ type: 'submit' });
        else if (action === 'erase') flowDispatch({ type: 'typed', text: f.typed.slice(0, -1) });
        else if (action === 'up') flowDispatch({ type: 'scroll', delta: -1, max });
        else if (action === 'down') flowDispatch({ type: 'scroll', delta: 1, max });
        else if (!action) {
          const text = typedText(input, key);
          if (text) flowDispatch({ type: 'typed', text: f.typed + text });
        }
        return;
      }
      case 'report':
      case 'failed': {
        const action = actionIn('report', input, key);
        if (action === 'close') {
          flowDispatch({ type: 'close' });
        } else scroll(action);
        return;
      }
      default:
        return; // checking, running: the keys wait
    }
  }

  /**
   * The row under the cursor as the latest key left it: keys read in one chunk ("jjjf") come
   * before the render that would give `rows` and `cursor` their new values.
   */
  function liveRow(): Row | undefined {
    const live = liveRows();
    return live.find((r) => r.key === latest.current.cursor) ?? live[0];
  }

  /** The tree's rows as the latest key left them (collapsed, view and sort may have changed since the render). */
  function liveRows(): Row[] {
    const now = latest.current;
    return !model || (now.collapsed === state.collapsed && now.view === state.view && now.sort === state.sort)
      ? rows
      : buildRows(model, now.collapsed, now.view, now.sort);
  }

  /** Opens the files pane for the row under the cursor: a layer (of an image using it), an image's top layer, a container. */
  function openFilesFor(): void {
    const row = liveRow();
    if (!model || !row) return;
    const tagsOf = (id: string) => {
      const img = model.inputs.images.find((i) => i.id === id);
      return img?.tags.length ? img.tags.join(', ') : shortId(id);
    };
    if (row.kind === 'container' && row.containerId) {
      const c = model.inputs.containers.find((x) => x.id === row.containerId);
      filesDispatch({ type: 'open', view: openFiles(row.containerId, c?.name ?? row.containerId) });
    } else if (row.kind === 'image' && row.imageId) {
      filesDispatch({ type: 'open', view: openFiles(row.imageId, tagsOf(row.imageId)) });
    } else if (row.kind === 'layer' && row.chainId) {
      // A layer is the same in every image that has it: list it through one of them, a tagged one
      // where there is one, and name the layer first (a trial read "<none> 9520e8de544d · layer 0
      // of 2" as the files of a dangling image).
      const node = model.graph.layers.get(row.chainId);
      const taggedIds = new Set(model.inputs.images.filter((i) => i.tags.length).map((i) => i.id));
      const tagged = node?.images.find((id) => taggedIds.has(id));
      const image = row.imageId ?? tagged ?? node?.images[0];
      const label = (id: string) => `layer ${shortId(row.chainId ?? '')} in ${tagsOf(id)}`;
      if (node && image) filesDispatch({ type: 'open', view: openFiles(image, label(image), node.depth) });
    }
  }

  function handleKey(input: string, key: Key): void {
    // Nothing on screen yet (connecting, or no engine): only quit and try again mean anything; an
    // overlay opened now would be invisible and swallow the next key.
    if (!model) {
      const action = actionFor(input, key);
      if (action === 'quit') onQuit();
      else if (action === 'refresh') data.refresh();
      return;
    }
    // Help is over whichever pane opened it; the same keys close it everywhere.
    if (latest.current.overlay === 'help') {
      if (key.ctrl && input === 'c') onQuit();
      else if (key.escape || input === '?' || input === 'q') dispatch({ type: 'overlay', overlay: 'none' });
      else {
        // The help scrolls when it does not fit (80x24): the preview's scroll keys move it.
        const rows = helpRows(bodyHeight);
        const { maxScroll } = helpWindow(helpLines(helpPane, Math.max(20, columns - 4), rows), rows, 0);
        const delta = scrollDelta(actionIn('preview', input, key), rows - 1);
        if (delta !== undefined) dispatch({ type: 'helpScroll', delta, max: maxScroll });
        else dispatch({ type: 'hint', text: 'help is open: ↑↓ scroll, Esc or ? closes it' });
      }
      return;
    }
    if (flow) {
      handlePruneKey(flow, input, key);
      return;
    }
    // The files pane as the keys before this one left it (it may have closed since the last frame).
    const fv = filesNow.current;
    const fvm = fv && (fv === files ? fm : filesModel(fv));
    if (fv && fvm) {
      if (key.ctrl && input === 'c') {
        onQuit();
        return;
      }
      if (!fv.preview && !fv.searching && actionIn('files', input, key) === 'help') {
        dispatch({ type: 'overlay', overlay: 'help' });
        return;
      }
      const hitsNow = fv === files ? fileHits : fv.searching ? searchFiles(fvm.items, fv.query) : [];
      filesKey(fv, fvm, hitsNow, input, key, filesDispatch, page, (item) => {
        void loadPreview(data, fv, item).then(
          (lines) =>
            filesDispatch({
              type: 'preview',
              preview: {
                path: item.path,
                // The name's bytes escaped: a name can hold newlines and terminal escapes.
                title: `/${escapeBytes(Buffer.from(item.path, 'latin1'))} (${item.type}, ${item.size} bytes)`,
                lines,
              },
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
    const now = latest.current;
    if (now.overlay === 'search') {
      const action = actionIn('search', input, key);
      if (action === 'close') dispatch({ type: 'overlay', overlay: 'none' });
      else if (action === 'accept') {
        // The hits of the query as typed so far (the rendered ones may be a key behind).
        const hit = (model ? search(model, now.query) : [])[now.searchIndex];
        if (hit) dispatch({ type: 'reveal', row: hit.row });
      } else if (action === 'up') dispatch({ type: 'searchMove', delta: -1, count: hits.length });
      else if (action === 'down') dispatch({ type: 'searchMove', delta: 1, count: hits.length });
      else if (editedQuery(action, now.query) !== undefined)
        dispatch({ type: 'query', query: editedQuery(action, now.query) as string });
      else if (action === 'quit') onQuit();
      else {
        const text = typedText(input, key);
        if (text) dispatch({ type: 'query', query: now.query + text });
      }
      return;
    }
    const action = actionFor(input, key);
    // Tab gave the details the focus: the arrows, pages and Home/End scroll them, not the tree.
    const delta = now.focus === 'detail' ? scrollDelta(action, page) : undefined;
    if (delta !== undefined) {
      const max = model ? detailFields(model, liveRow(), wasted, across).length - 1 : 0;
      dispatch({ type: 'detailScroll', delta, max });
      return;
    }
    // The rows as the keys before this one in the same chunk left them ("hj", "vj").
    const live = liveRows();
    switch (action) {
      case 'quit':
        onQuit();
        return;
      case 'up':
        dispatch({ type: 'move', delta: -1, rows: live });
        return;
      case 'down':
        dispatch({ type: 'move', delta: 1, rows: live });
        return;
      case 'pageUp':
        dispatch({ type: 'move', delta: -page, rows: live });
        return;
      case 'pageDown':
        dispatch({ type: 'move', delta: page, rows: live });
        return;
      case 'home':
        dispatch({ type: 'jump', to: 'first', rows: live });
        return;
      case 'end':
        dispatch({ type: 'jump', to: 'last', rows: live });
        return;
      case 'expand':
      case 'collapse':
      case 'toggle':
        dispatch({ type: action, rows: live });
        return;
      case 'expandAll':
        dispatch({ type: 'expandAll' });
        return;
      case 'collapseAll':
        if (model)
          dispatch({
            type: 'collapseAll',
            keys: buildRows(model, new Set(), now.view, now.sort)
              .filter((r) => r.expandable)
              .map((r) => r.key),
            rows: live,
          });
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
        dispatch({ type: 'hint', text: 'scanning again…' });
        return;
      case 'mark':
        dispatch({ type: 'mark', rows: live });
        return;
      case 'clearMarks':
        dispatch({ type: 'clearMarks' });
        return;
      case 'prune':
        // Never a cleanup planned on a last scan of an earlier run: it waits for this run's own.
        if (data.link === 'lost') dispatch({ type: 'hint', text: AWAY_HINT });
        else if (model && data.staleSince !== undefined) dispatch({ type: 'hint', text: STALE_HINT });
        else if (model)
          flowDispatch({
            type: 'open',
            flow: openPrune(planPrune(model, { all: true, volumes: false, filters: pruneFilters })),
          });
        return;
      case 'files':
        openFilesFor();
        return;
      case 'removeMarked': {
        // Marks made by a key of the same chunk ("Space d") are not rendered into `marked` yet.
        const marks = latest.current.marks;
        const chosen =
          marks === state.marks
            ? marked
            : model && marks.size
              ? planSelection(model, selectionOf(marks))
              : undefined;
        if (data.link === 'lost') dispatch({ type: 'hint', text: AWAY_HINT });
        else if (!chosen)
          dispatch({ type: 'hint', text: 'nothing marked: Space marks the row under the cursor, then d' });
        else if (data.staleSince !== undefined) dispatch({ type: 'hint', text: STALE_HINT });
        else if (model) flowDispatch({ type: 'open', flow: openPrune(chosen) });
        return;
      }
      default:
        return;
    }
  }

  // The pane help describes: the one the keys go to under it.
  const helpPane: Pane = flow
    ? flow.phase === 'confirm' || flow.phase === 'changed'
      ? 'confirm'
      : flow.phase === 'report' || flow.phase === 'failed'
        ? 'report'
        : 'cleanup'
    : files
      ? files.preview
        ? 'preview'
        : files.searching
          ? 'filesSearch'
          : 'files'
      : 'tree';
  // Marked images whose own layers BuildKit's cache holds: they come back only with the cache.
  const heldOfMarked =
    model && marked && selection.buildCache !== true
      ? heldByBuildCache(model, [...selection.images])
      : undefined;
  const markedCacheNote = heldOfMarked?.layers
    ? ` (the build cache holds ${disk(heldOfMarked.diskBytes)} more of them: mark it too)`
    : '';
  // "try again" only when something failed: offered while connecting, it read as a failure.
  const footer = !model
    ? data.phase === 'error'
      ? 'r try again  q quit'
      : 'q quit'
    : state.hint
      ? state.hint
      : marked
        ? `${state.marks.size} marked: frees ${disk(marked.predictedFreedBytes)} on disk${markedCacheNote}  d remove them  u unmark  Space mark`
        : fitHints(
            [
              '? help',
              '/ search',
              'f files',
              'p cleanup',
              'Space mark',
              `v view: ${state.view === 'tree' ? 'layer tree' : state.view === 'images' ? 'per image' : 'disk'}`,
              `s sort: ${state.sort}`,
              'r refresh',
              'q quit',
            ],
            columns,
          );
  let body: React.ReactNode;
  if (!model) {
    body = (
      <Text color={data.phase === 'error' ? theme.color('danger') : theme.color('dim')}>
        {data.phase === 'error'
          ? escapeText(data.message ?? 'error')
          : data.phase === 'measuring'
            ? firstWait(data)
            : 'Connecting to the Docker engine…'}
      </Text>
    );
  } else if (state.overlay === 'help') {
    body = (
      <HelpOverlay
        theme={theme}
        height={bodyHeight}
        width={columns}
        pane={helpPane}
        scroll={state.helpScroll}
      />
    );
  } else if (flow) {
    body = <PrunePanel flow={flow} width={columns} height={bodyHeight} theme={theme} />;
  } else if (files && fm) {
    const fcursor = Math.max(
      0,
      fm.rows.findIndex((r) => r.node.path === files.cursor),
    );
    const fheight = Math.max(1, filesPaneLines(bodyHeight).body);
    let fstart = windowStart(fcursor, fm.rows.length, fheight, filesStartRef.current);
    const fop = files.opened;
    if (fop && fop !== filesOpenedRef.current && fm.rows[fcursor]?.node.path === fop.path) {
      filesOpenedRef.current = fop;
      fstart = revealStart(fstart, fcursor, fcursor + fm.rows.length - fop.rowsBefore, fheight);
    }
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
  } else if (state.view === 'disk' && rows.length === 0) {
    body = (
      <Text color={theme.color('dim')}>
        The disk view needs this run's own measurements of the data root (
        {data.staleSince !== undefined ? 'the last scan on screen has none' : 'no helper measured it'}). v
        goes on to the layer tree.
      </Text>
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
        disk={state.view === 'disk'}
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
        focused={state.focus === 'detail'}
        scroll={state.detailScroll}
        across={across}
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
    <RenderEpoch.Provider value={data.renderEpoch ?? 0}>
      <Box flexDirection="column" width={columns} height={rowsTotal}>
        <StatusBar data={data} width={columns} theme={theme} />
        <Box height={bodyHeight} flexDirection="column">
          {body}
        </Box>
        {data.message && model ? (
          <Text wrap="truncate" color={theme.color('shared')}>
            {escapeText(data.message)}
          </Text>
        ) : (
          <Text wrap="truncate" color={theme.color('dim')}>
            {footer}
          </Text>
        )}
      </Box>
    </RenderEpoch.Provider>
  );
}

/**
 * What a first screen without a tree waits for: the list of the engine's images (the containerd
 * store's engine computes it anew at each call: 15-20 s at 1,300 images; a scan makes it from
 * containerd's records where it can, in seconds), with the storage measured meanwhile, or, once
 * listed, the measuring of what it listed. Without a helper nothing is measured.
 */
function firstWait(data: EngineData): string {
  const p = data.progress;
  const measuring = data.helper !== 'off' && data.helper !== 'failed';
  if (data.listed !== undefined) {
    const images = `${data.listed.toLocaleString('en-US')} image${data.listed === 1 ? '' : 's'}`;
    return `Connected. The engine holds ${images}; ${measuring ? 'measuring what they hold' : 'reading their layers'}…`;
  }
  const wait = '(a large engine’s list of images can take a while)';
  // All walks asked so far are done (more may come once the list is in: "so far").
  if (measuring && p && p.total > 0 && p.done >= p.total)
    return `Connected. Waiting for the list of the engine’s images; its storage measured meanwhile (${disk(p.bytes)} so far)… ${wait}`;
  return measuring
    ? `Connected. Listing the engine’s images, measuring its storage meanwhile… ${wait}`
    : `Connected. Listing the engine’s images… ${wait}`;
}
