import fuzzysort from 'fuzzysort';
import { shortId } from '../../model/digest.js';
import { escapeText } from '../../model/escape.js';
import type { ScanModel } from '../../model/report.js';
import { buildRows, type Row } from '../tree/tree-rows.js';

export interface SearchHit {
  row: Row;
  /** What matched, escaped for display. */
  label: string;
  /** [start, end) ranges of `label` to highlight. */
  ranges: [number, number][];
  score: number;
}

interface Target {
  text: string;
  rowKey: string;
  kind: string;
}

const expandedRows = new WeakMap<ScanModel, Row[]>();

/** Fuzzy search over image repository:tag, image ids, layer ids and build commands. */
export function search(model: ScanModel, query: string, limit = 50): SearchHit[] {
  if (!query.trim()) return [];
  // Search the fully expanded tree so every row can be found; reveal() expands the path to it.
  // Built once per model, not at every keystroke.
  let rows = expandedRows.get(model);
  if (!rows) {
    rows = buildRows(model, new Set(), 'tree', 'size');
    expandedRows.set(model, rows);
  }
  const byKey = new Map(rows.map((r) => [r.key, r]));
  const targets: Target[] = [];
  for (const img of model.inputs.images) {
    for (const tag of img.tags)
      targets.push({ text: escapeText(tag), rowKey: `image:${img.id}`, kind: 'image' });
    targets.push({
      text: shortId(img.id),
      rowKey: `image:${img.id}`,
      kind: 'image id',
    });
  }
  for (const node of model.graph.layers.values()) {
    targets.push({
      text: shortId(node.chainId),
      rowKey: `layer:${node.chainId}`,
      kind: 'layer id',
    });
    if (node.createdBy)
      targets.push({ text: escapeText(node.createdBy), rowKey: `layer:${node.chainId}`, kind: 'command' });
  }
  for (const c of model.inputs.containers) {
    targets.push({ text: escapeText(c.name), rowKey: `container:${c.id}`, kind: 'container' });
  }
  const results = fuzzysort.go(query, targets, { key: 'text', limit: limit * 2, threshold: 0.3 });
  const hits: SearchHit[] = [];
  const seen = new Set<string>();
  for (const r of results) {
    const row = byKey.get(r.obj.rowKey);
    if (!row || seen.has(row.key)) continue;
    seen.add(row.key);
    const ranges: [number, number][] = [];
    for (const i of r.indexes) {
      const last = ranges.at(-1);
      if (last && last[1] === i) last[1] = i + 1;
      else ranges.push([i, i + 1]);
    }
    hits.push({ row, label: r.obj.text, ranges, score: r.score });
    if (hits.length >= limit) break;
  }
  return hits;
}
