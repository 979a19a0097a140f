import { useCallback, useEffect, useReducer, useRef } from 'react';
import { FileReadError, type FileSource, isLiveLayer, layerSource } from '../../engine/file-read.js';
import { escapeBytes } from '../../model/escape.js';
import {
  type DiffLine,
  hexDump,
  isText,
  PREVIEW_BYTES,
  textLines,
  unifiedDiff,
} from '../../model/file-content.js';
import type { FileItem } from '../../model/file-tree.js';
import { mergeLayers } from '../../model/overlay.js';
import type { EngineData } from '../engine-data.js';
import { size } from '../format.js';
import { type FilesEvent, type FilesView, filesReducer } from './files-view.js';

/** A name's or a link target's bytes, escaped: never raw to the terminal. */
const shown = (s: string) => escapeBytes(Buffer.from(s, 'latin1'));

export type FilesAction = FilesEvent | { type: 'open'; view: FilesView } | { type: 'close' };

function reducer(s: FilesView | undefined, e: FilesAction): FilesView | undefined {
  if (e.type === 'open') return e.view;
  if (e.type === 'close') return undefined;
  return s ? filesReducer(s, e) : s;
}

/**
 * The files pane's state and its engine steps: resolve the image or container to its layer
 * directories, show the layer's names at once, then list every layer for the real view.
 */
export function useFilesView(data: EngineData) {
  const [view, rawDispatch] = useReducer(reducer, undefined);
  // The latest state, kept beside React's for key handlers that run before the next frame (see
  // the explorer's input handler): every change goes through this dispatch.
  const now = useRef(view);
  const dispatch = useCallback((e: FilesAction) => {
    now.current = reducer(now.current, e);
    rawDispatch(e);
  }, []);
  const latest = useRef(data);
  latest.current = data;
  const ref = view?.ref;
  const target = view?.target;
  const layer = view?.layer;

  useEffect(() => {
    if (!ref) return;
    let live = true;
    latest.current.filesTarget(ref).then(
      (t) => live && dispatch({ type: 'target', target: t }),
      (err: unknown) => live && dispatch({ type: 'error', error: (err as Error).message }),
    );
    return () => {
      live = false;
    };
  }, [ref, dispatch]);

  // The layer's names at once (fast) while the whole stack is listed: the first layer opened only.
  const firstLayer = useRef<number | undefined>(undefined);
  useEffect(() => {
    if (!target || layer === undefined || firstLayer.current !== undefined) return;
    firstLayer.current = layer;
    let live = true;
    const dir = target.layers[layer]?.dir;
    if (dir)
      latest.current.listNames(dir, isLiveLayer(target, layer)).then(
        (names) => live && dispatch({ type: 'names', names }),
        () => undefined,
      );
    return () => {
      live = false;
    };
  }, [target, layer, dispatch]);
  // Every layer of the target, once: a layer's wasted bytes are what the layers ABOVE it hide
  // (listing only 0..k made them 0 on every layer), and [ ] then moves between layers at once.
  useEffect(() => {
    if (!target) return;
    let live = true;
    latest.current.listFiles(target, target.layers.length - 1).then(
      (listed) => live && dispatch({ type: 'listed', listed }),
      (err: unknown) => live && dispatch({ type: 'error', error: (err as Error).message }),
    );
    return () => {
      live = false;
      firstLayer.current = undefined;
    };
  }, [target, dispatch]);

  return [view, dispatch, now] as const;
}

/** A read the helper refused (a symlink swapped in, a file gone) is shown as its reason. */
async function readOrWhy(
  data: EngineData,
  source: FileSource,
): Promise<{ bytes: Buffer; why?: undefined } | { bytes?: undefined; why: string }> {
  try {
    return { bytes: (await data.readFile(source, PREVIEW_BYTES)).bytes };
  } catch (err) {
    if (err instanceof FileReadError) return { why: err.message };
    throw err;
  }
}

/**
 * The preview of one file: its first bytes (text escaped, binary as hex), and for a modified text
 * file the unified diff against the version below. Reads at most PREVIEW_BYTES of each version,
 * through the same engine read as `layertop cat` (the path resolved inside the layer, never
 * through a symlink). A symlink is never read: its target (from the listing) is shown, escaped.
 */
export async function loadPreview(data: EngineData, view: FilesView, item: FileItem): Promise<DiffLine[]> {
  const target = view.target;
  const listed = view.listed;
  if (!target || !listed) return [];
  if (item.type === 'symlink') return [{ kind: ' ', text: `symlink -> ${shown(item.linkTarget ?? '')}` }];
  if (item.type === 'whiteout') return [{ kind: ' ', text: 'deleted in this layer (a whiteout)' }];
  if (item.type !== 'file') return [{ kind: ' ', text: item.type }];
  const upperRead = await readOrWhy(data, layerSource(target, item.layer, item.path));
  if (!upperRead.bytes) return [{ kind: ' ', text: `(cannot be read: ${upperRead.why})` }];
  const upper = upperRead.bytes;
  const cut =
    item.size > upper.length
      ? [{ kind: ' ' as const, text: `… first ${size(upper.length)} of ${size(item.size)}` }]
      : [];
  if (!isText(upper))
    return [
      { kind: ' ', text: `binary, ${size(item.size)}` },
      ...hexDump(upper).map((text) => ({ kind: ' ' as const, text })),
      ...cut,
    ];
  const k = view.layer ?? 0;
  if (item.status === 'modified' && view.mode === 'diff' && k > 0) {
    const below = mergeLayers(listed.layers, k - 1).get(item.path);
    if (below?.entry.type === 'file' && target.layers[below.layer]) {
      const lower = (await readOrWhy(data, layerSource(target, below.layer, item.path))).bytes;
      if (lower && isText(lower)) {
        const diff = unifiedDiff(textLines(lower), textLines(upper));
        return diff.length
          ? [...diff, ...cut]
          : [{ kind: ' ', text: '(same content: only its metadata changed, a copy-up)' }];
      }
    }
  }
  return [...textLines(upper).map((text) => ({ kind: ' ' as const, text })), ...cut];
}
