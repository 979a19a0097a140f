import { useEffect, useReducer, useRef } from 'react';
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
import type { EngineData } from '../data-context.js';
import { size } from '../format.js';
import { type FilesEvent, type FilesView, filesReducer } from '../state/files-view.js';

export type FilesAction = FilesEvent | { type: 'open'; view: FilesView } | { type: 'close' };

function reducer(s: FilesView | undefined, e: FilesAction): FilesView | undefined {
  if (e.type === 'open') return e.view;
  if (e.type === 'close') return undefined;
  return s ? filesReducer(s, e) : s;
}

/**
 * The files pane's state and its engine steps: resolve the image or container to its layer
 * directories, show the layer's names at once, then list layers 0..k for the real view.
 */
export function useFilesView(data: EngineData) {
  const [view, dispatch] = useReducer(reducer, undefined);
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
  }, [ref]);

  useEffect(() => {
    if (!target || layer === undefined) return;
    let live = true;
    const dir = target.layers[layer]?.dir;
    if (dir)
      latest.current.listNames(dir).then(
        (names) => live && dispatch({ type: 'names', names }),
        () => undefined,
      );
    latest.current.listFiles(target, layer).then(
      (listed) => live && dispatch({ type: 'listed', listed }),
      (err: unknown) => live && dispatch({ type: 'error', error: (err as Error).message }),
    );
    return () => {
      live = false;
    };
  }, [target, layer]);

  return [view, dispatch] as const;
}

/**
 * The preview of one file: its first bytes (text escaped, binary as hex), and for a modified text
 * file the unified diff against the version below. Reads at most PREVIEW_BYTES of each version.
 */
export async function loadPreview(data: EngineData, view: FilesView, item: FileItem): Promise<DiffLine[]> {
  const target = view.target;
  const listed = view.listed;
  if (!target || !listed) return [];
  const dir = target.layers[item.layer]?.dir;
  if (item.type !== 'file' || !dir)
    return [
      { kind: ' ', text: `${item.type}${item.linkTarget !== undefined ? ` -> ${item.linkTarget}` : ''}` },
    ];
  const upper = await data.readHead(`${dir}/${item.path}`, PREVIEW_BYTES);
  if (!upper) return [{ kind: ' ', text: '(cannot be read)' }];
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
    const lowerDir = below ? target.layers[below.layer]?.dir : undefined;
    if (below?.entry.type === 'file' && lowerDir) {
      const lower = await data.readHead(`${lowerDir}/${item.path}`, PREVIEW_BYTES);
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
